import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cohorts.models import Course, Lesson
from cohorts.selectors import courses_overview
from crm.forms import ContentSettingsForm
from crm.services import content_settings_save
from dashboard.charts import trend_charts
from dashboard.forms import (
    ActionMarkForm,
    ActionsForm,
    DashboardForm,
    RoiSpanForm,
    SuggestionAcceptForm,
    WeekForm,
)
from dashboard.jobs import snapshot_week
from dashboard.models import WeeklyMetrics
from dashboard.selectors import COUNT_FIELDS, RATE_FIELDS
from dashboard.selectors.courses import course_across as course_across_figures
from dashboard.selectors.links import tracked_link_figures
from dashboard.selectors.pages import (
    FUNNEL_SPANS,
    METRICS,
    NORTH_STAR,
    channel_figures,
    cohort_outcomes,
    comparison_for,
    dropout_summary,
    lead_funnel,
    metric_rows,
    north_star_missing,
    numbers_for_week,
    student_url,
    weekly_history,
    weekly_payload,
)
from dashboard.selectors.roi import ROI_SPANS, piece_picks_of, roi_report, span_pieces
from dashboard.services import ActionsFull, weekly_action_add, weekly_action_mark, weekly_actions_save
from dashboard.suggestions import (
    has_data,
    leads_without_follow_up,
    lesson_absentees,
    suggestion_for,
    weekly_suggestions,
)
from onepco.access import api_staff_required, staff_required
from onepco.api import api_view, field_errors, form_errors
from onepco.models import OutboxMessage
from onepco.outbox import job_path, outbox_enqueue
from onepco.spreadsheet import spreadsheet_cell
from onepco.weeks import InvalidWeek, Week


def _week_or_400(text: str) -> Week:
    try:
        return Week.parse(text)
    except InvalidWeek:
        raise BadRequest(_("Give an ISO week like 2026-W47.")) from None


@staff_required
@require_GET
def weekly(request: HttpRequest) -> HttpResponse:
    """Opens on the last complete week; the running week (本周至今) is one tap away."""
    form = DashboardForm(request.GET)
    if not form.is_valid():
        raise BadRequest(next(iter(form.errors.values()))[0])
    return _render_week(
        request,
        form.cleaned_data["week"],
        funnel_weeks=form.cleaned_data["funnel"],
        all_dropouts=form.cleaned_data["dropouts"] == "all",
    )


DROPOUTS_SHOWN = 20  # the rest one tap away: a long list would bury the page on a phone


def _rows_of(week: Week) -> tuple[WeeklyMetrics | None, WeeklyMetrics | None]:
    """The week's row and the week before's (whose actions were for this week), one query."""
    rows = {r.week: r for r in WeeklyMetrics.objects.filter(week__in=[week.label, week.previous().label])}
    return rows.get(week.label), rows.get(week.previous().label)


def _render_week(
    request: HttpRequest,
    week: Week,
    actions_form: ActionsForm | None = None,
    *,
    funnel_weeks: int = 4,
    all_dropouts: bool = False,
    accept_error: str | None = None,
) -> HttpResponse:
    current = Week.current()
    numbers, source = numbers_for_week(week)
    previous, same_days = comparison_for(numbers)
    row, last_row = _rows_of(week)
    history = weekly_history(week, known=numbers)
    funnel = lead_funnel(week, weeks=funnel_weeks)
    suggestions = weekly_suggestions(week, history, funnel=funnel)
    if actions_form is None:
        actions_form = ActionsForm(
            initial={f"action_{i}": getattr(row, f"action_{i}", "") for i in (1, 2, 3)}
        )
    first, last, pieces = span_pieces(week)
    dropouts_total, dropouts = dropout_summary(
        at=min(week.end, timezone.now()), limit=None if all_dropouts else DROPOUTS_SHOWN
    )
    context = {
        "week": week,
        "previous_week": week.previous(),
        "next_week": week.next() if week < current else None,
        "is_past": week < current,
        "running_week": current,
        "now": timezone.now(),
        "last_complete_week": current.previous(),
        "source": source,
        "numbers": numbers,
        "same_days": same_days,
        "compare_cut": previous.as_of if same_days else None,
        "row": row,
        "north_star": metric_rows(numbers, previous, NORTH_STAR, same_days=same_days),
        "north_star_missing": north_star_missing(numbers) if numbers.effective_revenue is None else [],
        "metrics": metric_rows(numbers, previous, METRICS, same_days=same_days),
        "charts": trend_charts(history),
        "funnel": funnel,
        "funnel_spans": FUNNEL_SPANS,
        "channels": channel_figures(week, pieces),
        "piece_picks": piece_picks_of(first, last, pieces),
        "dropouts": dropouts,
        "dropouts_total": dropouts_total,
        "cohorts": cohort_outcomes(),
        "actions_form": actions_form,
        "has_data": has_data(numbers),
        "suggestions": suggestions,
        "taken": set(row.actions) if row else set(),
        "accept_error": accept_error,
        "last_week_actions": last_row.action_slots if last_row else [],
        "recompute_queued": OutboxMessage.objects.filter(
            job=job_path(snapshot_week), args__0=week.label, completed_at__isnull=True
        ).exists(),
    }
    refused = accept_error or (actions_form.is_bound and not actions_form.is_valid())
    status = 400 if refused else 200
    return render(request, "dashboard/weekly.html", context, status=status)


def _week_url(week: Week) -> str:
    return f"{reverse('dashboard:weekly')}?week={week.label}"


@staff_required
@require_POST
def actions_save(request: HttpRequest, week: str) -> HttpResponse:
    target = _week_or_400(week)
    form = ActionsForm(request.POST)
    if not form.is_valid():
        return _render_week(request, target, actions_form=form)
    weekly_actions_save(week=target, actions=form.actions)
    messages.success(request, _("The actions for next week are saved."))
    return redirect(_week_url(target))


@staff_required
@require_POST
def suggestion_accept(request: HttpRequest, week: str) -> HttpResponse:
    """One tap: the suggestion's action goes into the first empty slot of the week's three.
    The text is recomputed here from the rule posted, never taken from the request."""
    target = _week_or_400(week)
    form = SuggestionAcceptForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Choose a suggestion to add."))
    suggestion = suggestion_for(target, weekly_history(target), form.cleaned_data["rule"])
    if suggestion is None:
        raise BadRequest(_("That suggestion is not among this week's."))
    try:
        weekly_action_add(week=target, action=suggestion.action)
    except ActionsFull as error:
        return _render_week(request, target, accept_error=error.messages[0])
    messages.success(request, _("Added to the actions for next week."))
    return redirect(f"{_week_url(target)}#actions")


@staff_required
@require_POST
def last_action_mark(request: HttpRequest, week: str, slot: int) -> HttpResponse:
    """Mark one of last week's actions (written on the week before `week`) done or not done.
    htmx gets the box back; without JavaScript the page reloads at the box."""
    target = _week_or_400(week)
    form = ActionMarkForm(request.POST)
    if not form.is_valid():
        raise BadRequest(_("Mark the action done or not done."))
    try:
        row = weekly_action_mark(week=target.previous(), slot=slot, done=form.value)
    except WeeklyMetrics.DoesNotExist:
        raise Http404(_("No such action last week.")) from None
    if request.headers.get("HX-Request"):
        context = {"week": target, "last_week_actions": row.action_slots}
        return render(request, "dashboard/_last_actions.html", context)
    return redirect(f"{_week_url(target)}#last-actions")


PEOPLE_SHOWN = 200


@staff_required
@require_GET
def follow_ups(request: HttpRequest, week: str) -> HttpResponse:
    """The leads consulted in the week who have no follow-up date (suggestion 1)."""
    target = _week_or_400(week)
    leads = leads_without_follow_up(target).order_by("name", "pk")[:PEOPLE_SHOWN]
    rows = [
        {
            "name": lead.name,
            "url": reverse("crm:lead_detail", args=[lead.pk]),
            "note": lead.get_status_display(),
        }
        for lead in leads
    ]
    context = {
        "week": target,
        "title": _("Consulted in %(week)s, no follow-up date") % {"week": target.label},
        "intro": _("Set each one a follow-up date on their page."),
        "rows": rows,
    }
    return render(request, "dashboard/people.html", context)


@staff_required
@require_GET
def absentees(request: HttpRequest, week: str, lesson: int) -> HttpResponse:
    """The students who missed a lesson of the week (suggestion 2)."""
    target = _week_or_400(week)
    found = get_object_or_404(
        Lesson.objects.select_related("cohort"),
        pk=lesson,
        starts_at__gte=target.start,
        starts_at__lt=target.end,
    )
    students = lesson_absentees(target, found.pk)[:PEOPLE_SHOWN]
    rows = [{"name": s.user.name or s.user.email, "url": student_url(s.pk), "note": ""} for s in students]
    context = {
        "week": target,
        "title": _("Missed %(lesson)s (%(cohort)s)") % {"lesson": found.title, "cohort": found.cohort.name},
        "intro": _("Absent or not recorded at the lesson."),
        "rows": rows,
        "more_url": reverse("cohorts:attendance", args=[found.pk]),
        "more_label": _("The lesson's attendance"),
    }
    return render(request, "dashboard/people.html", context)


@staff_required
@require_POST
def recompute(request: HttpRequest, week: str) -> HttpResponse:
    target = _week_or_400(week)
    if not target < Week.current():
        raise BadRequest(_("Only a week that has ended can be recomputed."))
    outbox_enqueue(snapshot_week, target.label)
    messages.success(
        request, _("Recomputing %(week)s in the background; reload in a moment.") % {"week": target}
    )
    return redirect(_week_url(target))


@staff_required
@require_GET
def history_csv(request: HttpRequest) -> HttpResponse:
    columns = ["week", "week_start", *COUNT_FIELDS, *RATE_FIELDS, "effective_revenue", "computed_at"]
    columns += ["action_1", "action_2", "action_3", "action_1_done", "action_2_done", "action_3_done"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="weekly-metrics.csv"'
    response.write("\ufeff")  # so that Excel reads the Chinese actions as UTF-8
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in WeeklyMetrics.objects.order_by("week_start").values_list(*columns):
        # The actions are the founder's free text: a leading "=" must not run in a spreadsheet.
        writer.writerow(["" if value is None else spreadsheet_cell(value) for value in row])
    return response


@api_staff_required
@require_GET
@api_view
def weekly_api(request: HttpRequest) -> JsonResponse:
    form = WeekForm(request.GET)
    if not form.is_valid():
        raise field_errors(form_errors(form))
    numbers, source = numbers_for_week(form.cleaned_data["week"])
    return JsonResponse(weekly_payload(numbers, source))


@staff_required
@require_GET
def links(request: HttpRequest) -> HttpResponse:
    """The link builder's links, each with its QR code and the leads and deals it brought."""
    return render(request, "dashboard/links.html", {"rows": tracked_link_figures()})


@staff_required
@require_GET
def pieces(request: HttpRequest) -> HttpResponse:
    """The logged pieces of content and the channels, with what each brought in the last 4 (or
    12) weeks against what it cost."""
    form = RoiSpanForm(request.GET)
    if not form.is_valid():
        raise BadRequest(next(iter(form.errors.values()))[0])
    return _render_pieces(request, weeks=form.cleaned_data["weeks"], every=form.cleaned_data["all"])


PIECES_PER_PAGE = 50


def _render_pieces(
    request: HttpRequest,
    *,
    weeks: int = 4,
    every: bool = False,
    hour_form: ContentSettingsForm | None = None,
):
    """The pieces of the span and the older ones that brought something in it, fifty a page;
    the older ones that brought nothing are one tap away (a founder who posts daily has
    hundreds)."""
    report = roi_report(Week.current(), weeks=weeks)
    if hour_form is None:
        hour_form = ContentSettingsForm(initial={"hour_value": report.hour_value})
    active = [row for row in report.pieces if row.counts_in_span]
    listed = report.pieces if every else active
    query = {"weeks": weeks, **({"all": "1"} if every else {})}
    context = {
        "report": report,
        "spans": ROI_SPANS,
        "hour_form": hour_form,
        "page_obj": Paginator(listed, PIECES_PER_PAGE).get_page(request.GET.get("page")),
        "query_string": urlencode(query),
        "every": every,
        "quiet": len(report.pieces) - len(active),
    }
    status = 400 if hour_form.is_bound and hour_form.errors else 200
    return render(request, "dashboard/pieces.html", context, status=status)


@staff_required
@require_POST
def hour_value_save(request: HttpRequest) -> HttpResponse:
    """What an hour of the founder's time is worth: the pieces' hours are costed at it."""
    form = ContentSettingsForm(request.POST)
    if not form.is_valid():
        return _render_pieces(request, hour_form=form)
    content_settings_save(hour_value=form.cleaned_data["hour_value"])
    messages.success(request, _("Your hourly value is saved."))
    return redirect("dashboard:pieces")


@staff_required
@require_GET
def courses(request: HttpRequest) -> HttpResponse:
    """The courses, each leading to its figures across all its cohorts."""
    return render(request, "dashboard/courses.html", {"courses": courses_overview()})


@staff_required
@require_GET
def course_across(request: HttpRequest, pk: int) -> HttpResponse:
    """One course across all its cohorts: repurchase, revenue per student, and the gain of the
    students who passed each assignment against those who did not (descriptive)."""
    course = get_object_or_404(Course, pk=pk)
    return render(request, "dashboard/course_across.html", {"figures": course_across_figures(course)})
