"""Each suggestion rule on hand-built weeks: it fires on its story, and keeps quiet without it."""

import pytest

from crm.selectors import channel_label
from dashboard.selectors import weekly_numbers_range
from dashboard.suggestions import (
    attendance_rule,
    follow_up_rule,
    hard_assignment_rule,
    idle_channel_rule,
    leads_without_follow_up,
    lesson_absentees,
    weakest_step_rule,
    weekly_suggestions,
)
from tests import factories as f
from tests.dashboard.suggestion_data import (
    BEFORE,
    W47,
    assignment_graded,
    at,
    attending_well_before,
    class_of,
    closing_well_before,
    consultations,
    leads_of,
    lesson_with,
)

pytestmark = pytest.mark.django_db


def history(week=W47):
    """The twelve weeks ending with `week`, as the dashboard page reads them."""
    return weekly_numbers_range(week.shifted(-11), week)


def current_and_before(week=W47):
    weeks = history(week)
    return weeks[-1], weeks[-5:-1]


# --- 1. close rate fell → consulted leads without a follow-up date --------------------------


def test_a_fallen_close_rate_points_at_the_consulted_leads_without_a_follow_up_date():
    closing_well_before()
    waiting = consultations(W47, 3, deals=0)  # 0 of 3 this week, no follow-up date
    consultations(W47, 1, deals=0, follow_up=W47.sunday)  # this one has a date
    current, before = current_and_before()
    suggestion = follow_up_rule(W47, current, before)
    assert suggestion is not None and suggestion.rule == "follow-up"
    assert "3" in suggestion.action and "2026-W47" in suggestion.action
    # The evidence is the numbers: 0 / 4 this week against 4 / 8 before.
    for number in ("0.0%", "50.0%", "0", "4", "8"):
        assert number in suggestion.evidence
    assert suggestion.link == "/console/dashboard/2026-W47/follow-ups/"
    assert set(leads_without_follow_up(W47)) == set(waiting)


def test_a_steady_close_rate_suggests_no_follow_up():
    closing_well_before()
    consultations(W47, 2, deals=1)  # 50%, as before
    current, before = current_and_before()
    assert follow_up_rule(W47, current, before) is None


def test_a_fallen_close_rate_with_every_lead_dated_suggests_nothing():
    closing_well_before()
    consultations(W47, 3, deals=0, follow_up=W47.sunday)
    current, before = current_and_before()
    assert follow_up_rule(W47, current, before) is None


def test_a_small_dip_is_not_a_fall():
    closing_well_before()
    for week in BEFORE:  # with these, 12 deals of 24 consultations before: 50%
        consultations(week, 4, deals=2, follow_up=week.sunday)
    consultations(W47, 15, deals=7)  # 46.7% against 50%: less than five points
    current, before = current_and_before()
    assert follow_up_rule(W47, current, before) is None


# --- 2. attendance fell → the absentees of the worst-attended lesson -----------------------


def test_a_fallen_attendance_rate_points_at_the_worst_attended_lessons_absentees():
    cohort, students = class_of(4)
    attending_well_before(cohort, students)
    lesson_with(cohort, students, W47, present=3, title="第一课")
    worst = lesson_with(cohort, students, W47, present=1, title="第二课")  # 1 absent, 2 unrecorded
    current, before = current_and_before()
    suggestion = attendance_rule(W47, current, before)
    assert suggestion is not None and suggestion.rule == "attendance"
    assert "第二课" in suggestion.action and "周末班" in suggestion.action and "3" in suggestion.action
    assert "50.0%" in suggestion.evidence and "100.0%" in suggestion.evidence
    assert "1" in suggestion.evidence and "第二课" in suggestion.evidence
    assert suggestion.link == f"/console/dashboard/2026-W47/absentees/{worst.pk}/"
    assert set(lesson_absentees(W47, worst.pk)) == set(students[1:])


def test_a_full_class_suggests_nobody_to_chase():
    cohort, students = class_of(4)
    attending_well_before(cohort, students)
    lesson_with(cohort, students, W47, present=4)
    current, before = current_and_before()
    assert attendance_rule(W47, current, before) is None


def test_no_attendance_before_means_nothing_fell():
    cohort, students = class_of(4)
    lesson_with(cohort, students, W47, present=1)
    current, before = current_and_before()
    assert attendance_rule(W47, current, before) is None


# --- 3. a channel with leads but no deal for four weeks → consider dropping it -------------


def test_a_channel_with_leads_and_no_deal_for_four_weeks_is_suggested_for_dropping():
    span = [*BEFORE[1:], W47]  # W44–W47
    leads_of("douyin", span, per_week=2)  # 8 leads, no deal
    zhihu = leads_of("zhihu", span, per_week=2)
    f.make_order(f.make_cohort(), lead=zhihu[0], status="paid", paid_at=at(W47, 2))
    leads_of("bilibili", [W47], per_week=6)  # new this week: too early to judge
    leads_of("", span, per_week=3)  # direct traffic cannot be dropped
    leads_of("weibo", span, per_week=1)  # four leads: too few to judge
    suggestions = idle_channel_rule(W47)
    assert [s.rule for s in suggestions] == ["channel:douyin"]
    (suggestion,) = suggestions
    assert channel_label("douyin") in suggestion.action
    assert (
        "8" in suggestion.evidence and "2026-W44" in suggestion.evidence and "2026-W47" in suggestion.evidence
    )
    assert "channel=douyin" in suggestion.link and "date_from=2026-10-26" in suggestion.link


def test_a_channel_whose_lead_paid_is_kept():
    span = [*BEFORE[1:], W47]
    leads = leads_of("douyin", span, per_week=2)
    # A deal in the span from a lead of an earlier week counts for the channel too.
    old = f.make_lead(created_at=at(BEFORE[0], 0), channel="DouYin")
    f.make_order(f.make_cohort(), lead=old, status="paid", paid_at=at(BEFORE[2], 2))
    assert leads and idle_channel_rule(W47) == []


def test_a_paid_order_without_a_lead_neither_breaks_the_rule_nor_keeps_a_channel():
    """The bench's three-year data found it: a buyer who came straight to the sales page has an
    order with no lead, and the rule read its channel as None (the dashboard answered 500)."""
    span = [*BEFORE[1:], W47]
    leads_of("douyin", span, per_week=2)
    f.make_order(f.make_cohort(), status="paid", paid_at=at(W47, 2))
    assert [s.rule for s in idle_channel_rule(W47)] == ["channel:douyin"]


# --- 4. the weakest step of the funnel -----------------------------------------------------


def test_the_weakest_step_of_the_funnel_is_named_with_its_rate():
    cohort = f.make_cohort()
    for week in BEFORE[1:]:
        consultations(week, 3, deals=0, cohort=cohort)
        leads_of("zhihu", [week], per_week=2)
    consultations(W47, 4, deals=2, cohort=cohort)  # 13 consulted, 2 paid
    leads_of("zhihu", [W47], per_week=1)  # 20 leads in all
    weeks = history()
    suggestion = weakest_step_rule(W47, weeks[-4:])
    assert suggestion is not None and suggestion.rule == "funnel"
    assert "15.4%" in suggestion.action  # 2 of 13, against 13 of 20 (65%) before it
    assert "2" in suggestion.evidence and "13" in suggestion.evidence and "2026-W44" in suggestion.evidence
    assert "status=consulting" in suggestion.link


def test_too_few_leads_leave_the_funnel_unjudged():
    consultations(W47, 4, deals=1)
    weeks = history()
    assert weakest_step_rule(W47, weeks[-4:]) is None


# --- 5. an assignment few pass → review its standard ----------------------------------------


def test_an_assignment_few_pass_is_suggested_for_a_review_of_its_standard():
    cohort, students = class_of(5)
    hard = assignment_graded(cohort, students, BEFORE[3], passed=2, title="递归练习")
    assignment_graded(cohort, students, BEFORE[2], passed=4)  # 80%: fine
    assignment_graded(cohort, students[:4], W47, passed=0)  # only four graded: too few
    suggestions = hard_assignment_rule(W47)
    assert [s.rule for s in suggestions] == [f"standard:{hard.pk}"]
    (suggestion,) = suggestions
    assert "递归练习" in suggestion.action and "周末班" in suggestion.action
    assert "2" in suggestion.evidence and "5" in suggestion.evidence and "40.0%" in suggestion.evidence
    assert suggestion.link == f"/console/cohorts/{cohort.pk}/assignments/{hard.pk}/"


def test_assignments_most_pass_suggest_no_review():
    cohort, students = class_of(5)
    assignment_graded(cohort, students, W47, passed=3)  # 60%: at the floor, not under it
    assert hard_assignment_rule(W47) == []


# --- all together ---------------------------------------------------------------------------


def test_a_week_without_data_gets_no_suggestion_even_when_the_month_had_some():
    span = BEFORE[1:]
    leads_of("douyin", span, per_week=3)  # the channel rule alone would fire on the month
    assert idle_channel_rule(W47)
    assert weekly_suggestions(W47, history()) == []


def test_every_rule_that_fires_is_listed_once_in_the_boxs_order():
    cohort, students = class_of(5)
    closing_well_before(cohort)
    attending_well_before(cohort, students)
    consultations(W47, 3, deals=0, cohort=cohort)
    lesson_with(cohort, students, W47, present=2)
    leads_of("douyin", [*BEFORE[1:], W47], per_week=2)
    assignment_graded(cohort, students, W47, passed=1)
    rules = [s.rule for s in weekly_suggestions(W47, history())]
    assert rules[:3] == ["follow-up", "attendance", "channel:douyin"]
    assert rules[3] == "funnel" and rules[4].startswith("standard:") and len(rules) == 5
