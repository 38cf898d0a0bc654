"""The weekly review through HTTP: suggestions accepted into the actions with one tap, last
week's actions carried to the next week's page and marked done / not done, the lists behind
the suggestions, the report e-mail, and every wrong user and bad input refused."""

import csv
import io

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.models import WeeklyMetrics
from dashboard.services import weekly_actions_save, weekly_metrics_snapshot, weekly_report_send
from tests import factories as f
from tests.dashboard.suggestion_data import (
    BEFORE,
    W47,
    W48,
    assignment_graded,
    attending_well_before,
    class_of,
    closing_well_before,
    consultations,
    leads_of,
    lesson_with,
)
from tests.factories import aware

PAGE = "/console/dashboard/"
ACCEPT = f"{PAGE}2026-W47/suggestions/accept/"


def every_rule_firing(extra: int = 0) -> dict:
    """W47 with all five rules firing; `extra` grows every story without changing the rules."""
    cohort, students = class_of(5 + extra)
    closing_well_before(cohort)
    attending_well_before(cohort, students)
    waiting = consultations(W47, 3 + extra, deals=0, cohort=cohort)
    worst = lesson_with(cohort, students, W47, present=2, title="第五课")
    leads_of("douyin", [*BEFORE[1:], W47], per_week=2 + extra)
    hard = assignment_graded(cohort, students, W47, passed=1, title="递归练习")
    return {"cohort": cohort, "students": students, "waiting": waiting, "worst": worst, "hard": hard}


def review(client, week="2026-W47") -> str:
    response = client.get(PAGE, {"week": week})
    assert response.status_code == 200
    return response.content.decode()


# --- suggestions on the page -----------------------------------------------------------------


def test_the_review_shows_each_suggestion_with_its_evidence_link_and_accept_button(db, founder_client):
    story = every_rule_firing()
    html = review(founder_client)
    for rule in ("follow-up", "attendance", "channel:douyin", "funnel", f"standard:{story['hard'].pk}"):
        assert f'data-rule="{rule}"' in html
        assert f'name="rule" value="{rule}"' in html
    assert "第五课" in html and "递归练习" in html and "100.0%" in html
    assert f"/console/dashboard/2026-W47/absentees/{story['worst'].pk}/" in html
    assert "/console/dashboard/2026-W47/follow-ups/" in html


def test_a_week_without_data_shows_no_suggestion_and_says_so(founder_client):
    html = review(founder_client, "2026-W10")
    assert 'class="suggestion"' not in html
    assert "暂时没有建议" in html


def test_a_quiet_week_says_nothing_stands_out(db, founder_client):
    consultations(W47, 1, deals=1)
    html = review(founder_client)
    assert 'class="suggestion"' not in html
    assert "没有突出的问题" in html


def test_the_review_query_count_does_not_grow_with_the_data(
    db, founder_client, django_assert_max_num_queries
):
    every_rule_firing()
    weekly_actions_save(week=W47.previous(), actions=["回访学员"])
    with CaptureQueriesContext(connection) as small:
        assert founder_client.get(PAGE, {"week": "2026-W47"}).status_code == 200
    every_rule_firing(extra=6)
    leads_of("kuaishou", [*BEFORE[1:], W47], per_week=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        html = review(founder_client)
    assert 'data-rule="channel:kuaishou"' in html  # the bigger data fired more, in as many queries


# --- accepting a suggestion ------------------------------------------------------------------


def test_accepting_a_suggestion_puts_it_in_the_first_empty_action_slot(db, founder_client):
    every_rule_firing()
    weekly_actions_save(week=W47, actions=["自己写的行动"])
    response = founder_client.post(ACCEPT, {"rule": "attendance"})
    assert response.status_code == 302 and response["Location"].endswith("#actions")
    row = WeeklyMetrics.objects.get(week="2026-W47")
    assert row.action_1 == "自己写的行动"
    assert "第五课" in row.action_2 and row.action_3 == ""
    html = review(founder_client)
    assert 'name="rule" value="attendance"' not in html  # accepted: shown as in the actions
    assert f'value="{row.action_2}"' in html  # and in the form, to edit like any other


def test_accepting_the_same_suggestion_twice_adds_it_once(db, founder_client):
    every_rule_firing()
    founder_client.post(ACCEPT, {"rule": "follow-up"})
    founder_client.post(ACCEPT, {"rule": "follow-up"})
    assert len(WeeklyMetrics.objects.get(week="2026-W47").actions) == 1


def test_a_full_set_of_three_refuses_a_fourth_with_a_form_error(db, founder_client):
    every_rule_firing()
    weekly_actions_save(week=W47, actions=["一", "二", "三"])
    response = founder_client.post(ACCEPT, {"rule": "funnel"})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<ul class="errorlist nonfield"><li>三条行动已写满' in html
    assert html.index("errorlist nonfield") > html.index('id="actions"')  # at the actions form
    assert WeeklyMetrics.objects.get(week="2026-W47").actions == ["一", "二", "三"]


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (ACCEPT, {"rule": "channel:made-up"}),  # a tampered rule id
        (ACCEPT, {"rule": ""}),
        (ACCEPT, {"rule": "x" * 500}),
        (f"{PAGE}2026-W99/suggestions/accept/", {"rule": "follow-up"}),  # no such week
        (f"{PAGE}nonsense/suggestions/accept/", {"rule": "follow-up"}),
        (f"{PAGE}2026-W10/suggestions/accept/", {"rule": "follow-up"}),  # a week it does not fire
    ],
)
def test_bad_input_to_accept_is_a_400_and_changes_nothing(db, founder_client, url, data):
    every_rule_firing()
    assert founder_client.post(url, data).status_code == 400
    assert not WeeklyMetrics.objects.exists()


def test_wrong_users_cannot_accept_a_suggestion(db, client, student_client, outsider_client):
    every_rule_firing()
    assert client.post(ACCEPT, {"rule": "follow-up"}).status_code == 302
    assert client.get(ACCEPT).status_code == 302
    for other in (student_client, outsider_client):
        assert other.post(ACCEPT, {"rule": "follow-up"}).status_code == 403
    assert not WeeklyMetrics.objects.exists()


def test_accept_is_post_only(founder_client):
    assert founder_client.get(ACCEPT).status_code == 405


# --- last week's actions, carried over and marked ---------------------------------------


def mark_url(week: str, slot: int) -> str:
    return f"{PAGE}{week}/last-actions/{slot}/"


def test_accepted_actions_are_next_weeks_last_weeks_actions_and_mark_done(db, founder_client):
    every_rule_firing()
    founder_client.post(ACCEPT, {"rule": "follow-up"})
    accepted = WeeklyMetrics.objects.get(week="2026-W47").action_1
    html = review(founder_client, "2026-W48")
    assert 'id="last-actions"' in html and accepted in html
    assert "尚未标记" in html

    response = founder_client.post(mark_url("2026-W48", 1), {"done": "yes"})
    assert response.status_code == 302 and response["Location"].endswith("?week=2026-W48#last-actions")
    assert WeeklyMetrics.objects.get(week="2026-W47").action_1_done is True
    assert 'class="last-action is-done"' in review(founder_client, "2026-W48")

    founder_client.post(mark_url("2026-W48", 1), {"done": "no"})
    assert WeeklyMetrics.objects.get(week="2026-W47").action_1_done is False
    assert 'class="last-action is-not-done"' in review(founder_client, "2026-W48")


def test_marking_through_htmx_answers_the_box_alone(db, founder_client):
    weekly_actions_save(week=W47, actions=["一", "二"])
    response = founder_client.post(mark_url("2026-W48", 2), {"done": "no"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="card last-actions" id="last-actions">')
    assert "<html" not in html and 'class="last-action is-not-done" data-slot="2"' in html
    assert WeeklyMetrics.objects.get(week="2026-W47").action_2_done is False


def test_editing_the_actions_keeps_the_marks_of_the_ones_unchanged(db, founder_client):
    weekly_actions_save(week=W47, actions=["一", "二", "三"])
    founder_client.post(mark_url("2026-W48", 1), {"done": "yes"})
    founder_client.post(mark_url("2026-W48", 2), {"done": "no"})
    weekly_actions_save(week=W47, actions=["一", "", "新的"])
    row = WeeklyMetrics.objects.get(week="2026-W47")
    assert (row.action_1, row.action_1_done) == ("一", True)
    assert (row.action_2, row.action_2_done) == ("新的", None)
    assert (row.action_3, row.action_3_done) == ("", None)


def test_the_history_csv_carries_the_done_marks(db, founder_client):
    weekly_actions_save(week=W47, actions=["一", "二"])
    founder_client.post(mark_url("2026-W48", 1), {"done": "yes"})
    response = founder_client.get(PAGE + "history.csv")
    row = next(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (row["action_1_done"], row["action_2_done"], row["action_3_done"]) == ("True", "", "")


@pytest.mark.parametrize(
    ("url", "data", "status"),
    [
        (mark_url("2026-W48", 3), {"done": "yes"}, 404),  # an empty slot
        (mark_url("2026-W48", 4), {"done": "yes"}, 404),  # no such slot
        (mark_url("2026-W49", 1), {"done": "yes"}, 404),  # W48 has no row
        (mark_url("2026-W48", 1), {"done": "maybe"}, 400),
        (mark_url("2026-W48", 1), {}, 400),
        (mark_url("2026-W77", 1), {"done": "yes"}, 400),
    ],
)
def test_bad_marks_are_refused_and_change_nothing(db, founder_client, url, data, status):
    weekly_actions_save(week=W47, actions=["一", "二"])
    assert founder_client.post(url, data).status_code == status
    row = WeeklyMetrics.objects.get(week="2026-W47")
    assert (row.action_1_done, row.action_2_done, row.action_3_done) == (None, None, None)


def test_wrong_users_cannot_mark_an_action(db, client, student_client, outsider_client):
    weekly_actions_save(week=W47, actions=["一"])
    assert client.post(mark_url("2026-W48", 1), {"done": "yes"}).status_code == 302
    for other in (student_client, outsider_client):
        assert other.post(mark_url("2026-W48", 1), {"done": "yes"}).status_code == 403
    assert WeeklyMetrics.objects.get(week="2026-W47").action_1_done is None


def test_the_weekly_report_shows_last_weeks_actions_done_or_not(db, settings):
    weekly_actions_save(week=W47, actions=["加一场直播答疑", "回访掉队学员", "写三条小红书"])
    row = WeeklyMetrics.objects.get(week="2026-W47")
    row.action_1_done, row.action_2_done = True, False
    row.save()
    weekly_metrics_snapshot(week=W48)
    assert weekly_report_send(week=W48)
    (message,) = mail.outbox
    html = message.alternatives[0][0]
    assert "上周的行动" in message.body
    assert "1. 加一场直播答疑 · 已完成" in message.body
    assert "2. 回访掉队学员 · 未完成" in message.body
    assert "3. 写三条小红书 · 尚未标记" in message.body
    assert "上周的行动" in html and "回访掉队学员" in html
    assert all(mark in html for mark in ("已完成", "未完成", "尚未标记"))


# --- the people behind a suggestion ------------------------------------------------------


def test_the_follow_up_list_shows_the_consulted_leads_without_a_date(db, founder_client):
    story = every_rule_firing()
    dated = consultations(W47, 1, follow_up=W48.sunday)[0]
    html = founder_client.get(f"{PAGE}2026-W47/follow-ups/").content.decode()
    for lead in story["waiting"]:
        assert f"/console/leads/{lead.pk}/" in html
    assert f"/console/leads/{dated.pk}/" not in html


def test_the_absentee_list_shows_the_students_who_missed_the_lesson(db, founder_client):
    story = every_rule_firing()
    worst, students = story["worst"], story["students"]
    response = founder_client.get(f"{PAGE}2026-W47/absentees/{worst.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert all(s.user.name in html for s in students[2:]) and students[0].user.name not in html
    assert f"/console/lessons/{worst.pk}/attendance/" in html


def test_a_lesson_of_another_week_has_no_absentee_list_here(db, founder_client):
    story = every_rule_firing()
    assert founder_client.get(f"{PAGE}2026-W48/absentees/{story['worst'].pk}/").status_code == 404
    assert founder_client.get(f"{PAGE}2026-W47/absentees/999999/").status_code == 404
    assert founder_client.get(f"{PAGE}bad/absentees/{story['worst'].pk}/").status_code == 400


def test_wrong_users_cannot_see_the_people_behind_a_suggestion(db, client, student_client, outsider_client):
    story = every_rule_firing()
    for url in (f"{PAGE}2026-W47/follow-ups/", f"{PAGE}2026-W47/absentees/{story['worst'].pk}/"):
        assert client.get(url).status_code == 302
        assert student_client.get(url).status_code == 403
        assert outsider_client.get(url).status_code == 403


def test_the_people_lists_query_count_does_not_grow(db, founder_client, django_assert_max_num_queries):
    story = every_rule_firing()
    urls = (f"{PAGE}2026-W47/follow-ups/", f"{PAGE}2026-W47/absentees/{story['worst'].pk}/")
    counts = []
    for url in urls:
        with CaptureQueriesContext(connection) as small:
            assert founder_client.get(url).status_code == 200
        counts.append(len(small.captured_queries))
    cohort = story["cohort"]
    for _ in range(8):
        student = f.make_student()
        f.make_enrollment(student, cohort, enrolled_at=aware(2026, 10, 1))
    consultations(W47, 8, cohort=cohort)
    for url, count in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert founder_client.get(url).status_code == 200
