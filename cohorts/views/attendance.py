"""Attendance from a meeting platform's export: upload, preview with matches and thresholds,
save. The file is read once; its participants wait in the founder's session for the preview."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cohorts import selectors, services
from cohorts.attendance_import import Participant, attendance_preview, name_key, participants_read
from cohorts.forms import AttendanceForm, AttendancePreviewForm, AttendanceUploadForm
from cohorts.models import Lesson
from onepco.access import staff_required


def _session_key(lesson: Lesson) -> str:
    return f"attendance_import:{lesson.pk}"


def _lesson(pk: int) -> Lesson:
    return get_object_or_404(Lesson.objects.select_related("cohort__course"), pk=pk)


@staff_required
@require_POST
def attendance_upload(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = _lesson(pk)
    upload = AttendanceUploadForm(request.POST, request.FILES)
    if upload.is_valid():
        try:
            participants = participants_read(upload.cleaned_data["file"])
        except ValidationError as exc:
            upload.add_error("file", exc)
        else:
            request.session[_session_key(lesson)] = {
                "filename": upload.cleaned_data["file"].name[:200],
                "participants": [person.to_json() for person in participants],
            }
            return redirect("cohorts:attendance_import", pk=lesson.pk)
    form = AttendanceForm(sheet=selectors.attendance_sheet(lesson))
    context = {"form": form, "lesson": lesson, "cohort": lesson.cohort, "upload": upload}
    return render(request, "cohorts/attendance.html", context, status=400)


@staff_required
def attendance_import(request: HttpRequest, pk: int) -> HttpResponse:
    """The preview: who matched whom, minutes, status by the thresholds; POST 保存 saves it."""
    lesson = _lesson(pk)
    kept = request.session.get(_session_key(lesson))
    if not kept:
        messages.info(request, _("Upload the lesson's participant export first."))
        return redirect("cohorts:attendance", pk=lesson.pk)
    participants = [Participant.from_json(row) for row in kept["participants"]]
    sheet = selectors.attendance_sheet(lesson)
    cohort = lesson.cohort
    initial = {
        "full_percent": cohort.attendance_full_percent,
        "partial_percent": cohort.attendance_partial_percent,
    }
    first = attendance_preview(
        lesson=lesson, sheet=sheet, participants=participants, manual={},
        full=initial["full_percent"], partial=initial["partial_percent"],
    )  # fmt: skip
    data = request.POST if request.method == "POST" else None
    form = AttendancePreviewForm(
        data, initial=initial, unmatched=first.unmatched, students=[e for e, _s in sheet]
    )
    valid = form.is_valid() if data is not None else False
    thresholds = (
        (form.cleaned_data["full_percent"], form.cleaned_data["partial_percent"])
        if valid
        else (initial["full_percent"], initial["partial_percent"])
    )
    manual = form.manual() if valid else {}
    preview = attendance_preview(
        lesson=lesson, sheet=sheet, participants=participants, manual=manual,
        full=thresholds[0], partial=thresholds[1],
    )  # fmt: skip
    if valid and request.POST.get("action") == "save":
        aliases = {name_key(participants[index].name): sid for index, sid in manual.items()}
        changed = services.attendance_import_save(
            lesson=lesson, statuses={line.enrollment.student_id: line.status for line in preview.lines},
            aliases=aliases, full=thresholds[0], partial=thresholds[1],
        )  # fmt: skip
        del request.session[_session_key(lesson)]
        messages.success(
            request,
            _("Attendance of %(n)s students saved from %(file)s; %(changed)s changed.")
            % {"n": len(preview.lines), "file": kept["filename"], "changed": changed},
        )
        return redirect("cohorts:console_cohort", pk=cohort.pk)
    context = {
        "lesson": lesson,
        "cohort": cohort,
        "form": form,
        "preview": preview,
        "filename": kept["filename"],
    }
    return render(
        request, "cohorts/attendance_import.html", context, status=400 if data and not valid else 200
    )
