"""Reading the numbers: each change coloured by whether it is good, every definition one tap
away, the north star saying what it misses, a true funnel, cohorts still running."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard.selectors import WeeklyNumbers
from dashboard.selectors.pages import (
    METRICS,
    NORTH_STAR,
    cohort_outcomes,
    lead_funnel,
    metric_rows,
    north_star_missing,
)
from dashboard.services import weekly_report_render
from onepco.weeks import Week
from tests import factories as f
from tests.dashboard.conftest import W46, W47, refund
from tests.factories import aware

PAGE = "/console/dashboard/"
# Every number of the page, and whether more of it is good.
UP_IS_GOOD = {
    "leads": True,
    "consultations": True,
    "deals": True,
    "conversion_rate": True,
    "revenue": True,
    "refund_rate": False,
    "attendance_rate": True,
    "submission_rate": True,
    "pass_rate": True,
    "improvement_rate": True,
    "effective_revenue": True,
    "completion_rate": True,
}


def numbers(week, scale: int) -> WeeklyNumbers:
    """A week whose every count (and so every rate) grows with `scale`."""
    return WeeklyNumbers(
        week=week,
        leads=10 * scale,
        consultations=5 + 5 * scale,
        deals=2 * scale,
        revenue=Decimal(1000 * scale),
        refunded=Decimal(10 * scale * scale),
        attendance_expected=100,
        attendance_full=20 * scale,
        attendance_partial=5 * scale,
        submission_expected=100,
        submission_submitted=20 * scale,
        pass_graded=100,
        pass_passed=20 * scale,
        improvement_measured=100,
        improvement_improved=20 * scale,
    )


def test_every_metric_has_a_direction():
    assert {m.key for m in [*METRICS, *NORTH_STAR]} == set(UP_IS_GOOD)


@pytest.mark.parametrize("key", sorted(UP_IS_GOOD))
def test_a_change_is_coloured_by_whether_it_is_good(key):
    low, high = numbers(W46, 1), numbers(W47, 2)
    # Every value grows from low to high, the refund rate included (20 / 2000 > 10 / 1000).
    rows = {r["metric"].key: r for r in metric_rows(high, low)}
    assert rows[key]["direction"] == 1
    assert rows[key]["tone"] == ("good" if UP_IS_GOOD[key] else "bad")
    down = {r["metric"].key: r for r in metric_rows(low, high)}
    assert down[key]["direction"] == -1
    assert down[key]["tone"] == ("bad" if UP_IS_GOOD[key] else "good")
    same = {r["metric"].key: r for r in metric_rows(high, numbers(W46, 2))}
    assert same[key]["tone"] == "neutral"


def test_the_page_colours_a_falling_refund_rate_green(db, founder_client):
    cohort = f.make_cohort()
    before = f.make_order(cohort, status="paid", paid_at=aware(2026, 11, 10), amount=Decimal("1000.00"))
    f.make_order(cohort, status="paid", paid_at=aware(2026, 11, 17), amount=Decimal("1000.00"))
    refund(before, "500.00", "succeeded", aware(2026, 11, 11))  # W46: 50 %, W47: 0 %
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    assert "delta-good" in stat(html, "refund_rate")
    assert "delta-neutral" in stat(html, "revenue")  # the same revenue: neutral


def test_the_weekly_report_colours_a_falling_refund_rate_green(db, settings):
    cohort = f.make_cohort()
    before = f.make_order(cohort, status="paid", paid_at=aware(2026, 11, 10), amount=Decimal("1000.00"))
    f.make_order(cohort, status="paid", paid_at=aware(2026, 11, 17), amount=Decimal("1000.00"))
    refund(before, "500.00", "succeeded", aware(2026, 11, 11))
    _subject, _text, html = weekly_report_render(week=W47)
    row = re.search(r"<td[^>]*>退款率</td>.*?</tr>", html, re.S)[0]
    assert "#047857" in row and "#b91c1c" not in row


def test_every_number_has_its_definition_one_tap_away(business, founder_client):
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    for key in UP_IS_GOOD:
        assert '<details class="def">' in stat(html, key) + "</details>", key
    assert "可能超过 100%" in stat(html, "conversion_rate")  # in the founder's language
    english = founder_client.get(PAGE, {"week": "2026-W47"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "may exceed 100%" in stat(english, "conversion_rate")


def test_the_north_star_says_which_factor_is_missing(db, founder_client):
    f.make_order(f.make_cohort(), status="paid", paid_at=aware(2026, 11, 17), amount=Decimal("100.00"))
    empty = WeeklyNumbers(week=W47)
    assert len(north_star_missing(empty)) == 2
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    star = stat(html, "effective_revenue")
    assert "—" in star and "缺少完课率" in star and "缺少作业达标率" in star


def test_the_north_star_names_only_the_missing_factor(business, founder_client):
    html = founder_client.get(PAGE, {"week": "2026-W46"}).content.decode()  # W46: nothing graded
    star = stat(html, "effective_revenue")
    assert "缺少作业达标率" in star and "缺少完课率" not in star


def test_the_funnel_never_inverts_when_the_weekly_conversion_exceeds_100_percent(db, founder_client):
    cohort = f.make_cohort()
    consulted = f.make_lead(created_at=aware(2026, 11, 16, 9))
    f.make_consultation(consulted, status="held", scheduled_at=aware(2026, 11, 16, 10))
    f.make_order(cohort, lead=consulted, status="paid", paid_at=aware(2026, 11, 16, 11))
    for day in (17, 18):  # two buy straight from the course page
        f.make_order(
            cohort,
            lead=f.make_lead(created_at=aware(2026, 11, day, 9)),
            status="paid",
            paid_at=aware(2026, 11, day, 10),
        )
    f.make_lead(created_at=aware(2026, 11, 19))  # one does nothing yet
    html = founder_client.get(PAGE, {"week": "2026-W47"}).content.decode()
    assert "300.0%" in stat(html, "conversion_rate")  # the weekly rate keeps its definition

    funnel = lead_funnel(W47, weeks=4)
    counts = [s["count"] for s in funnel["steps"]]
    assert counts == [4, 1, 1] and counts == sorted(counts, reverse=True)
    widths = [s["width"] for s in funnel["steps"]]
    assert widths == sorted(widths, reverse=True) and widths[0] == 100
    assert (funnel["paid_directly"], funnel["paid_total"]) == (2, 3)
    drawn = [int(w) for w in re.findall(r'class="bar-fill" width="(\d+)"', html)]
    assert drawn == [100, 25, 25]
    assert "另有 2 位未经咨询直接成交" in html and "所以可能超过 100%" in html


def test_the_funnel_span_is_4_or_12_weeks(business, founder_client):
    assert lead_funnel(W47, weeks=12)["first"] == W47.shifted(-11)
    html = founder_client.get(PAGE, {"week": "2026-W47", "funnel": "12"}).content.decode()
    assert 'class="chip active" href="?week=2026-W47&amp;funnel=12"' in html
    assert founder_client.get(PAGE, {"week": "2026-W47", "funnel": "7"}).status_code == 400


def test_a_cohort_that_has_not_ended_shows_in_progress_not_zero(db, founder_client):
    today = timezone.localdate()
    running = f.make_cohort(
        name="进行期", starts_on=today - timedelta(days=10), ends_on=today + timedelta(days=30)
    )
    ended = f.make_cohort(
        name="结束期", starts_on=today - timedelta(days=90), ends_on=today - timedelta(days=30)
    )
    for cohort in (running, ended):
        f.make_enrollment(f.make_student(), cohort)
    html = founder_client.get(PAGE).content.decode()
    rows = dict(re.findall(r"<tr>\s*<td class=\"cohort-name\">[^<]*· (\S+)</td>(.*?)</tr>", html, re.S))
    assert "进行中" in rows["进行期"] and "0.0%" not in rows["进行期"]
    assert "0.0%" in rows["结束期"] and "进行中" not in rows["结束期"]


def stat(html: str, key: str) -> str:
    match = re.search(rf'<div class="stat[^"]*" data-metric="{key}">(.*?)</details>', html, re.S)
    assert match, key
    return match[1]


def test_a_cohorts_improvement_needs_an_entry_taken_before(db):
    cohort = f.make_cohort()
    late, early = f.make_student(), f.make_student()
    for student in (late, early):
        f.make_enrollment(student, cohort)
    f.make_assessment(late, cohort, "stage", 80, taken_at=aware(2026, 11, 17))
    f.make_assessment(late, cohort, "entry", 50, taken_at=aware(2026, 11, 18))  # after it: no baseline
    f.make_assessment(early, cohort, "entry", 50, taken_at=aware(2026, 11, 10))
    f.make_assessment(early, cohort, "stage", 40, taken_at=aware(2026, 11, 17))
    (row,) = cohort_outcomes()
    assert row["improvement_detail"] == "0 / 1" and row["improvement_rate"] == 0.0


def test_a_long_falling_behind_list_shows_twenty_and_the_rest_one_tap_away(db, founder_client):
    cohort = f.make_cohort()
    students = [f.make_student() for _ in range(22)]
    for student in students:
        f.make_enrollment(student, cohort, enrolled_at=timezone.now() - timedelta(days=20))
    for days in (3, 2, 1):
        f.make_lesson(cohort, starts_at=timezone.now() - timedelta(days=days))  # nobody came
    week = Week.current().label
    html = founder_client.get(PAGE, {"week": week}).content.decode()
    section = html[html.index('id="falling-behind"') :]
    assert '<span class="badge badge-warn">22</span>' in section
    assert section.count("/3</td><td") == 20 and "dropouts=all" in section
    everyone = founder_client.get(PAGE, {"week": week, "dropouts": "all"}).content.decode()
    assert everyone[everyone.index('id="falling-behind"') :].count("/3</td><td") == 22
