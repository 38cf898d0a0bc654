"""Suggested actions for next week (复盘): plain rules that read a week against the four before.

Each rule is one function that answers a Suggestion (or a few, or none) from the week's numbers
already in hand and at most two aggregate queries of its own, so the dashboard's query count
does not grow with the data. A rule only answers when it fires: no suggestion is shown to fill
the box. Every suggestion carries the numbers behind it, in a sentence, and a link to the people
or the object behind them.

The rules, in the order the box shows them:
1. follow_up_rule: the close rate fell → the leads consulted this week without a follow-up date;
2. attendance_rule: the attendance rate fell → the absentees of the week's worst-attended lesson;
3. idle_channel_rule: a channel brought leads for four weeks but no deal → consider dropping it;
4. weakest_step_rule: the weakest step of the last four weeks' funnel → work on that step;
5. hard_assignment_rule: an assignment few students pass → review its standard.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import Count, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Order
from cohorts.models import Attendance, Student
from crm.models import Channel, Consultation, Lead
from crm.selectors import channel_label, channel_names
from dashboard.selectors.numbers import (
    WeeklyNumbers,
    _expected_attendance,
    _expected_submissions,
    ratio,
)
from dashboard.selectors.pages import lead_funnel, metric_display
from onepco.weeks import Week

COMPARE_WEEKS = 4  # the week is read against the four weeks before it
MIN_DROP = 0.05  # a rate must fall by five percentage points to count as fallen, not noise
MIN_CHANNEL_LEADS = 5  # fewer leads in four weeks say nothing about a channel
MIN_STEP_BASE = 10  # a funnel step is judged only on at least ten people entering it
MIN_GRADED = 5  # an assignment's pass rate counts from five graded students
PASS_FLOOR = 0.6  # an assignment fewer than 60% pass is worth a look at its standard
MAX_PER_RULE = 2  # a rule that fires for several channels or assignments shows the worst two
OPEN_STATUSES = (Lead.Status.NEW, Lead.Status.CONTACTED, Lead.Status.CONSULTING)
PRESENT = (Attendance.Status.FULL, Attendance.Status.PARTIAL)


@dataclass(frozen=True)
class Suggestion:
    rule: str  # what the accept form posts back: "follow-up", "channel:zhihu", "standard:12"
    action: str  # what goes into an action slot when accepted
    evidence: str  # the numbers behind it, in a sentence
    link: str
    link_label: str


def _rate(value: float | None) -> str:
    return metric_display("rate", value)


def _pooled(weeks: list[WeeklyNumbers], numerator, denominator) -> tuple[float | None, int, int]:
    top = sum(numerator(n) for n in weeks)
    bottom = sum(denominator(n) for n in weeks)
    return ratio(top, bottom), top, bottom


def _fell(now: float | None, before: float | None) -> bool:
    return now is not None and before is not None and now <= before - MIN_DROP


def _lead_list(**filters: str) -> str:
    return f"{reverse('crm:lead_list')}?{urlencode(filters)}"


def _span(week: Week) -> tuple[Week, datetime]:
    """The first of the four weeks ending with `week`, and where the span ends (now at most)."""
    return week.shifted(-(COMPARE_WEEKS - 1)), min(week.end, timezone.now())


# --- 1. close rate fell → the consulted leads without a follow-up date -------------------


def leads_without_follow_up(week: Week) -> QuerySet[Lead]:
    """Open leads with a consultation held in the week and no next follow-up date set."""
    held = Consultation.objects.filter(
        lead=OuterRef("pk"),
        status=Consultation.Status.HELD,
        held_at__gte=week.start,
        held_at__lt=week.end,
    )
    return Lead.objects.filter(
        Exists(held), is_spam=False, next_follow_up_on__isnull=True, status__in=OPEN_STATUSES
    )


def follow_up_rule(week: Week, current: WeeklyNumbers, before: list[WeeklyNumbers]) -> Suggestion | None:
    earlier, deals, consultations = _pooled(before, lambda n: n.deals, lambda n: n.consultations)
    if not _fell(current.conversion_rate, earlier):
        return None
    waiting = leads_without_follow_up(week).count()
    if not waiting:
        return None
    return Suggestion(
        rule="follow-up",
        action=_("Set a follow-up date for the %(n)s leads consulted in %(week)s without one")
        % {"n": waiting, "week": week.label},
        evidence=_(
            "Conversion fell to %(now)s (%(deals)s deals of %(consultations)s consultations) from "
            "%(before)s over the four weeks before (%(deals_before)s of %(consultations_before)s); "
            "%(n)s leads consulted this week have no follow-up date."
        )
        % {
            "now": _rate(current.conversion_rate),
            "deals": current.deals,
            "consultations": current.consultations,
            "before": _rate(earlier),
            "deals_before": deals,
            "consultations_before": consultations,
            "n": waiting,
        },
        link=reverse("dashboard:follow_ups", args=[week.label]),
        link_label=_("See the %(n)s leads") % {"n": waiting},
    )


# --- 2. attendance fell → the absentees of the worst-attended lesson -----------------------


def worst_attended_lesson(week: Week) -> dict | None:
    """The lesson of the week with the lowest share of its expected students present (the
    earliest on a tie): pk, title, cohort name, expected and present. One grouped query."""
    pairs = _expected_attendance(week.start, min(week.end, timezone.now()))
    return (
        pairs.values("pk", "title", "starts_at", "cohort__name")
        .annotate(expected=Count("pk"), present=Count("pk", filter=Q(attended__in=PRESENT)))
        .annotate(share=Cast("present", FloatField()) / Cast("expected", FloatField()))
        .order_by("share", "starts_at", "pk")
        .first()
    )


def lesson_absentees(week: Week, lesson_pk: int) -> QuerySet[Student]:
    """The students expected at a lesson of the week who were not there (absent or unrecorded)."""
    pairs = _expected_attendance(week.start, min(week.end, timezone.now())).filter(
        Q(attended__isnull=True) | Q(attended=Attendance.Status.ABSENT), pk=lesson_pk
    )
    return (
        Student.objects.filter(pk__in=pairs.values("cohort__enrollments__student"))
        .select_related("user")
        .order_by("user__name", "pk")
    )


def attendance_rule(week: Week, current: WeeklyNumbers, before: list[WeeklyNumbers]) -> Suggestion | None:
    earlier, _present, _expected = _pooled(
        before, lambda n: n.attendance_full + n.attendance_partial, lambda n: n.attendance_expected
    )
    if not _fell(current.attendance_rate, earlier):
        return None
    lesson = worst_attended_lesson(week)
    if lesson is None or lesson["present"] == lesson["expected"]:
        return None
    absent = lesson["expected"] - lesson["present"]
    return Suggestion(
        rule="attendance",
        action=_("Contact the %(n)s students who missed %(lesson)s (%(cohort)s)")
        % {"n": absent, "lesson": lesson["title"], "cohort": lesson["cohort__name"]},
        evidence=_(
            "Attendance fell to %(now)s (%(present)s of %(expected)s) from %(before)s over the four "
            "weeks before; the worst-attended lesson, %(lesson)s (%(cohort)s), had %(lesson_present)s "
            "of %(lesson_expected)s students present."
        )
        % {
            "now": _rate(current.attendance_rate),
            "present": current.attendance_full + current.attendance_partial,
            "expected": current.attendance_expected,
            "before": _rate(earlier),
            "lesson": lesson["title"],
            "cohort": lesson["cohort__name"],
            "lesson_present": lesson["present"],
            "lesson_expected": lesson["expected"],
        },
        link=reverse("dashboard:absentees", args=[week.label, lesson["pk"]]),
        link_label=_("See the %(n)s absentees") % {"n": absent},
    )


# --- 3. a channel with leads but no deal for four weeks → consider dropping it -------------


def idle_channel_rule(week: Week) -> list[Suggestion]:
    """Channels (tagged links: direct traffic cannot be dropped) that brought at least
    MIN_CHANNEL_LEADS leads over the four weeks ending with `week`, leads already in the first
    of them, and no paid order from a lead of theirs in those weeks. Two grouped queries."""
    first, end = _span(week)
    leads = (
        Lead.objects.filter(is_spam=False, created_at__gte=first.start, created_at__lt=end)
        .exclude(channel="")
        .annotate(code=Lower("channel"))
        .exclude(code=Channel.DIRECT)
        .values("code")
        .annotate(n=Count("pk"), early=Count("pk", filter=Q(created_at__lt=first.end)))
        .filter(n__gte=MIN_CHANNEL_LEADS, early__gt=0)
        .order_by("-n", "code")
    )
    candidates = list(leads)
    if not candidates:
        return []
    # Channel codes are matched case-insensitively, as the lead list filters them.
    # An order placed without a lead (a buyer straight from the sales page) has no channel.
    paid = Order.objects.filter(paid_at__gte=first.start, paid_at__lt=end, lead__isnull=False).exclude(
        lead__channel=""
    )
    # order_by(): Order's default ordering would otherwise join DISTINCT and return every order.
    with_deals = {code.lower() for code in paid.order_by().values_list("lead__channel", flat=True).distinct()}
    idle = [c for c in candidates if c["code"] not in with_deals][:MAX_PER_RULE]
    names = channel_names() if idle else {}
    suggestions = []
    for item in idle:
        name = channel_label(item["code"], names)
        suggestions.append(
            Suggestion(
                rule=f"channel:{item['code']}",
                action=_("Consider dropping the channel %(channel)s: leads but no deal in four weeks")
                % {"channel": name},
                evidence=_("%(channel)s brought %(n)s leads from %(first)s to %(last)s and not one deal.")
                % {"channel": name, "n": item["n"], "first": first.label, "last": week.label},
                link=_lead_list(
                    channel=item["code"],
                    date_from=first.monday.isoformat(),
                    date_to=week.sunday.isoformat(),
                ),
                link_label=_("See its %(n)s leads") % {"n": item["n"]},
            )
        )
    return suggestions


# --- 4. the weakest step of the funnel over the last four weeks ---------------------------


def weakest_step_rule(
    week: Week, window: list[WeeklyNumbers], funnel: dict | None = None
) -> Suggestion | None:
    """Lead → consultation → deal (the true funnel of the four weeks' leads, lead_funnel), then
    attendance and passing homework over the same weeks: the step with the lowest rate among
    those with at least MIN_STEP_BASE people entering it, when at least two are measurable.
    `funnel`: lead_funnel(week, weeks=4) when already in hand (else one query)."""
    if funnel is None or funnel["weeks"] != COMPARE_WEEKS or funnel["last"] != week:
        funnel = lead_funnel(week, weeks=COMPARE_WEEKS)
    first = funnel["first"]
    leads, consulted, paid = (step["count"] for step in funnel["steps"])
    dates = {"date_from": first.monday.isoformat(), "date_to": week.sunday.isoformat()}
    _attendance, present, expected = _pooled(
        window, lambda n: n.attendance_full + n.attendance_partial, lambda n: n.attendance_expected
    )
    _passing, passed, graded = _pooled(window, lambda n: n.pass_passed, lambda n: n.pass_graded)
    steps = [
        (_("from lead to consultation"), consulted, leads, _lead_list(status=Lead.Status.NEW, **dates)),
        (_("from consultation to deal"), paid, consulted, _lead_list(status=Lead.Status.CONSULTING, **dates)),
        (_("from enrolled to attending"), present, expected, f"{reverse('dashboard:weekly')}?week={week.label}#falling-behind"),
        (_("from homework graded to passed"), passed, graded, reverse("cohorts:grading_queue")),
    ]  # fmt: skip
    measured = [
        (name, ratio(top, bottom), top, bottom, link)
        for name, top, bottom, link in steps
        if bottom >= MIN_STEP_BASE
    ]
    if len(measured) < 2:
        return None
    name, share, top, bottom, link = min(measured, key=lambda step: step[1] or 0.0)
    return Suggestion(
        rule="funnel",
        action=_("Work on the weakest step, %(step)s (%(rate)s)") % {"step": name, "rate": _rate(share)},
        evidence=_(
            "From %(first)s to %(last)s the weakest step of the funnel was %(step)s: %(top)s of "
            "%(bottom)s (%(rate)s)."
        )
        % {
            "first": first.label,
            "last": week.label,
            "step": name,
            "top": top,
            "bottom": bottom,
            "rate": _rate(share),
        },
        link=link,
        link_label=_("See who is at that step"),
    )


# --- 5. assignments few pass → review their standard --------------------------------------


def hard_assignments(week: Week) -> list[dict]:
    """Assignments due in the four weeks ending with `week` with at least MIN_GRADED graded
    students and a pass rate (each student's latest graded attempt) under PASS_FLOOR, lowest
    first. One grouped query."""
    first, end = _span(week)
    return list(
        _expected_submissions(first.start, end)
        .values("pk", "title", "cohort_id", "cohort__name")
        .annotate(
            graded=Count("pk", filter=Q(latest_passed__isnull=False)),
            passed=Count("pk", filter=Q(latest_passed=True)),
        )
        .filter(graded__gte=MIN_GRADED)
        .annotate(share=Cast("passed", FloatField()) / Cast("graded", FloatField()))
        .filter(share__lt=PASS_FLOOR)
        .order_by("share", "pk")[:MAX_PER_RULE]
    )


def hard_assignment_rule(week: Week) -> list[Suggestion]:
    return [
        Suggestion(
            rule=f"standard:{item['pk']}",
            action=_("Review the standard of %(assignment)s (%(cohort)s)")
            % {"assignment": item["title"], "cohort": item["cohort__name"]},
            evidence=_("Only %(passed)s of %(graded)s graded students passed %(assignment)s (%(rate)s).")
            % {
                "passed": item["passed"],
                "graded": item["graded"],
                "assignment": item["title"],
                "rate": _rate(item["share"]),
            },
            link=reverse("cohorts:assignment_edit", args=[item["cohort_id"], item["pk"]]),
            link_label=_("Open the assignment"),
        )
        for item in hard_assignments(week)
    ]


# --- all of them ----------------------------------------------------------------------------


def has_data(numbers: WeeklyNumbers) -> bool:
    """Whether anything happened in the week that the rules could read."""
    return any(value for value in numbers.counts().values())


def weekly_suggestions(
    week: Week, history: list[WeeklyNumbers], *, funnel: dict | None = None
) -> list[Suggestion]:
    """Every rule that fires for `week`. `history`: the weeks ending with `week`, oldest first,
    at least five (the page's twelve-week history). A week with no data gets none."""
    current, before = history[-1], history[-(COMPARE_WEEKS + 1) : -1]
    if current.week != week or not has_data(current):
        return []
    found = [
        follow_up_rule(week, current, before),
        attendance_rule(week, current, before),
        *idle_channel_rule(week),
        weakest_step_rule(week, history[-COMPARE_WEEKS:], funnel),
        *hard_assignment_rule(week),
    ]
    return [s for s in found if s is not None]


def suggestion_for(week: Week, history: list[WeeklyNumbers], rule: str) -> Suggestion | None:
    """The suggestion `rule` names among the week's, None when it does not fire (or never was)."""
    return next((s for s in weekly_suggestions(week, history) if s.rule == rule), None)
