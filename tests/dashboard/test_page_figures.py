"""What the page shows around the numbers: channels, funnel, drop-outs, per-cohort outcomes."""

from decimal import Decimal

from dashboard.selectors.pages import channel_figures, cohort_outcomes, dropout_list, lead_funnel, student_url
from tests import factories as f
from tests.dashboard.conftest import W47
from tests.factories import aware


def test_channels_count_first_touch_leads_consultations_deals_and_revenue(business):
    rows = {(r["channel"], r["content"]): r for r in channel_figures(W47)}
    assert rows[("xiaohongshu", "xhs-tips")] == {
        "channel": "xiaohongshu",
        "content": "xhs-tips",
        "leads": 1,
        "consultations": 1,
        "deals": 1,
        "revenue": Decimal("1000.00"),
        "refunded": Decimal("0.00"),
        "net_revenue": Decimal("1000.00"),
        # No piece published this week: nothing spent, so no return (never a division error).
        "cost": Decimal("0.00"),
        "cost_per_lead": Decimal("0.00"),
        "cost_per_deal": Decimal("0.00"),
        "roi": None,
    }
    assert rows[("zhihu", "zhihu-answer")]["revenue"] == Decimal("2000.50")
    # The W46 deal's refund paid back in W47 counts in W47, under its lead's first touch.
    assert rows[("zhihu", "zhihu-answer")]["refunded"] == Decimal("333.33")
    assert rows[("zhihu", "zhihu-answer")]["net_revenue"] == Decimal("1667.17")
    # The spam lead is nowhere; the most deals and revenue come first.
    assert sum(r["leads"] for r in rows.values()) == 2
    assert next(iter(channel_figures(W47)))["content"] == "zhihu-answer"


def test_the_funnel_follows_the_leads_of_the_span(business):
    funnel = lead_funnel(W47, weeks=1)
    # l1 and l2 were created in W47, both had a consultation held and paid; l3 (W46) is not in.
    assert [s["count"] for s in funnel["steps"]] == [2, 2, 2] and funnel["steps"][0]["width"] == 100
    assert (funnel["paid_directly"], funnel["paid_total"]) == (0, 2)
    assert [s["count"] for s in lead_funnel(W47, weeks=4)["steps"]] == [3, 3, 3]


def test_dropouts_missed_two_of_the_last_three_lessons_or_assignments(db):
    cohort = f.make_cohort()
    absent, no_homework, fine, ended = (f.make_student() for _ in range(4))
    for learner in (absent, no_homework, fine):
        f.make_enrollment(learner, cohort, enrolled_at=aware(2026, 11, 1))
    f.make_enrollment(
        ended, cohort, enrolled_at=aware(2026, 11, 1), ended_at=aware(2026, 11, 10), status="dropped"
    )
    old = f.make_lesson(cohort, starts_at=aware(2026, 11, 9, 19))  # the fourth-last: not counted
    lessons = [f.make_lesson(cohort, starts_at=aware(2026, 11, day, 19)) for day in (16, 18, 20)]
    f.make_lesson(cohort, starts_at=aware(2026, 11, 25, 19))  # after the moment asked about
    f.make_attendance(old, absent, "absent")
    f.make_attendance(lessons[0], absent, "full")
    for learner in (no_homework, fine):
        for lesson in lessons:
            f.make_attendance(lesson, learner, "partial")
    tasks = [f.make_assignment(cohort, due_at=aware(2026, 11, day, 23)) for day in (16, 19, 21)]
    handed_in = {"submitted_at": aware(2026, 11, 16, 20)}
    for task in tasks:
        f.make_submission(task, fine, **handed_in)
        f.make_submission(task, absent, **handed_in)
    f.make_submission(tasks[0], no_homework, **handed_in)
    f.make_submission(tasks[1], no_homework, submitted_at=aware(2026, 11, 24))  # after the moment

    found = {e.student_id: e for e in dropout_list(at=aware(2026, 11, 23))}
    assert set(found) == {absent.pk, no_homework.pk}
    assert (found[absent.pk].missed_lessons, found[absent.pk].missed_assignments) == (2, 0)
    assert (found[no_homework.pk].missed_lessons, found[no_homework.pk].missed_assignments) == (0, 2)
    assert student_url(absent.pk) == f"/console/students/{absent.pk}/"


def test_a_late_joiner_has_not_missed_what_came_before_them(db):
    cohort = f.make_cohort()
    early, late = f.make_student(), f.make_student()
    f.make_enrollment(early, cohort, enrolled_at=aware(2026, 11, 1))
    f.make_enrollment(late, cohort, enrolled_at=aware(2026, 11, 19))
    lessons = [f.make_lesson(cohort, starts_at=aware(2026, 11, day, 19)) for day in (16, 18, 20)]
    tasks = [f.make_assignment(cohort, due_at=aware(2026, 11, day, 23)) for day in (16, 17, 21)]
    f.make_attendance(lessons[2], late, "full")
    f.make_submission(tasks[2], late, submitted_at=aware(2026, 11, 20))
    f.make_attendance(lessons[2], early, "full")
    f.make_submission(tasks[2], early, submitted_at=aware(2026, 11, 20))

    found = {e.student_id: e for e in dropout_list(at=aware(2026, 11, 23))}
    assert set(found) == {early.pk}  # the same record, but the early student was there to miss it
    assert (found[early.pk].missed_lessons, found[early.pk].missed_assignments) == (2, 2)


def test_per_cohort_improvement_graduation_and_showcases(db):
    cohort = f.make_cohort(starts_on=aware(2026, 9, 1).date())
    better, worse, refunded, untested = (f.make_student() for _ in range(4))
    for learner in (better, worse, untested):
        f.make_enrollment(learner, cohort, enrolled_at=aware(2026, 9, 1))
    f.make_enrollment(
        refunded, cohort, enrolled_at=aware(2026, 9, 1), status="refunded", ended_at=aware(2026, 9, 9)
    )
    f.make_assessment(better, cohort, "entry", 50, taken_at=aware(2026, 9, 2))
    f.make_assessment(better, cohort, "stage", 40, taken_at=aware(2026, 10, 1))
    f.make_assessment(better, cohort, "graduation", 80, passed=True, taken_at=aware(2026, 10, 30))
    f.make_assessment(worse, cohort, "entry", 60, taken_at=aware(2026, 9, 2))
    f.make_assessment(worse, cohort, "graduation", 55, passed=False, taken_at=aware(2026, 10, 30))
    f.make_assessment(refunded, cohort, "graduation", 90, passed=True, taken_at=aware(2026, 10, 30))
    task = f.make_assignment(cohort)
    f.make_submission(task, better, is_showcase=True)
    [row] = cohort_outcomes()
    assert (row["improvement_rate"], row["improvement_detail"]) == (0.5, "1 / 2")
    assert (row["graduation_detail"], row["showcases"]) == ("1 / 3", 1)
