"""A cohort's timetable in bulk, in the founder console: generate lessons from a weekly pattern,
or copy the lessons and assignments of a previous cohort. Both show a preview first; the same
form posted with action=create writes."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from cohorts import scheduling
from cohorts.forms_schedule import CopyFromForm, ScheduleForm, ScheduleRowFormSet
from cohorts.models import Cohort
from onepco.access import staff_required


def _default_weeks(cohort: Cohort) -> int:
    return max(1, min(52, (cohort.ends_on - cohort.starts_on).days // 7 or 1))


@staff_required
def schedule_generate(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data, initial={"first_day": cohort.starts_on, "weeks": _default_weeks(cohort)})
    rows = ScheduleRowFormSet(data, prefix="rows")
    plan = None
    status = 200
    if data is not None:
        plan = _schedule_checked(cohort, form, rows)
        if plan is None:
            status = 400
        elif request.POST.get("action") == "create" and request.POST.get("previewed") != plan.digest:
            messages.warning(
                request,
                _("The pattern changed after the preview. Check the lessons below, then create them."),
            )
        elif request.POST.get("action") == "create":
            try:
                created = scheduling.lessons_schedule_create(cohort=cohort, lessons=plan.lessons)
            except ValidationError as exc:
                form.add_error(None, exc)
                status = 400
            else:
                messages.success(request, _("%(n)s lessons created.") % {"n": len(created)})
                return redirect("cohorts:console_cohort", pk=cohort.pk)
    return render(
        request,
        "cohorts/schedule_generate.html",
        {"cohort": cohort, "form": form, "rows": rows, "plan": plan},
        status=status,
    )


def _schedule_checked(cohort: Cohort, form: ScheduleForm, rows) -> scheduling.SchedulePlan | None:
    """The plan of a valid pattern without clashes; None after putting the errors on the fields."""
    if not (form.is_valid() & rows.is_valid()):
        return None
    plan = scheduling.schedule_plan(
        rows=rows.rows(),
        first_day=form.cleaned_data["first_day"],
        weeks=form.cleaned_data["weeks"],
        skip=form.cleaned_data["skip_dates"],
    )
    if not plan.lessons:
        form.add_error("skip_dates", _("Every lesson of the pattern falls on a skip date."))
        return None
    filled = rows.filled_forms()
    clashes = scheduling.schedule_clashes(cohort=cohort, lessons=plan.lessons)
    for planned, title in clashes[:6]:
        filled[planned.row].add_error(
            "clock",
            _("%(when)s clashes with “%(title)s”.")
            % {"when": scheduling.when_text(planned.starts_at), "title": title},
        )
    return None if clashes else plan


@staff_required
def cohort_copy(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    form = CopyFromForm(request.POST or None, target=target)
    refusal = scheduling.cohort_copy_refusal(target)
    plan = None
    status = 200
    if request.method == "POST":
        if refusal or not form.is_valid():
            status = 400
        else:
            source = form.cleaned_data["source"]
            if request.POST.get("action") == "create":
                try:
                    done = scheduling.cohort_copy_from(source=source, target=target)
                except ValidationError as exc:
                    form.add_error(None, exc)
                    status = 400
                else:
                    messages.success(
                        request,
                        _("Copied %(lessons)s lessons and %(assignments)s assignments from %(source)s.")
                        % {
                            "lessons": len(done.lessons),
                            "assignments": len(done.assignments),
                            "source": source.name,
                        },
                    )
                    return redirect("cohorts:console_cohort", pk=target.pk)
            else:
                plan = scheduling.cohort_copy_plan(source=source, target=target)
    return render(
        request,
        "cohorts/cohort_copy.html",
        {"cohort": target, "form": form, "plan": plan, "refusal": refusal},
        status=status,
    )
