"""Files behind an access check, the submissions API, and the public graduation reports."""

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from cohorts import selectors, services
from cohorts.cards import qr_png, report_card_png
from cohorts.files import INLINE_TYPES, FileRejected, FileTooLarge, upload_limit_mb
from cohorts.forms import ApiSubmissionForm
from cohorts.models import Assignment, Course, LessonMaterial, Submission
from onepco.access import api_login_required, login_required, public
from onepco.api import ApiError, api_view, field_errors, form_errors, read_payload, refuse_unknown
from onepco.images import image_file_response

SUBMISSION_FIELDS = ("assignment", "text", "link", "file")


COURSE_IMAGES = {"cover": "cover_image", "teacher": "teacher_photo"}


@public
def course_image(request: HttpRequest, slug: str, which: str):
    """A course's cover or teacher photo, served as the image its bytes say it is (sandboxed).
    A draft course's images are for staff, like its page."""
    field = COURSE_IMAGES.get(which)
    course = Course.objects.filter(slug=slug).first()
    if field is None or course is None or (not course.is_published and not request.user.is_staff):
        raise Http404
    image = getattr(course, field)
    if not image:
        raise Http404
    return image_file_response(image)


def _private_file(request: HttpRequest, upload: Submission | LessonMaterial, fallback: str) -> FileResponse:
    """An upload (its file, original name and checked type) served after its access check:
    images may show inline; anything a browser could run (HTML, SVG, scripts) always downloads,
    and nosniff forbids guessing."""
    if not upload.file:
        raise Http404
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    inline = upload.content_type in INLINE_TYPES and request.GET.get("download") != "1"
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=upload.file_name or fallback,
        content_type=upload.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def submission_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file of a submission, for its owner and staff only."""
    return _private_file(request, selectors.submission_for_user(request.user, pk), "submission")


@login_required
def material_file(request: HttpRequest, pk: int) -> FileResponse:
    """A lesson's material file, for staff and the cohort's students who have not left it."""
    return _private_file(request, selectors.material_for_user(request.user, pk), "material")


@csrf_exempt  # checked below, after the 401: an anonymous caller learns it must sign in first
@require_POST
@api_login_required
@csrf_protect
@api_view
def api_submissions(request: HttpRequest) -> JsonResponse:
    """POST /api/submissions, exactly as docs/api.md says: 201 / 400 / 401 / 403 / 413.

    Session auth, so CSRF applies (X-CSRFToken header, as the learner pages send it)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.UPLOAD_MAX_BYTES + 64 * 1024:
        # Refuse before reading a body that can only be over the limit.
        raise field_errors(
            {"file": [_("The file is larger than %(mb)s MB.") % {"mb": upload_limit_mb()}]}, status=413
        )
    data, files, unknown = read_payload(request, SUBMISSION_FIELDS, files_allowed=True)
    form = ApiSubmissionForm(data, files)
    refuse_unknown(unknown, form)
    if not form.is_valid():
        raise field_errors(form_errors(form))
    student = selectors.student_of(request.user)
    assignment = Assignment.objects.filter(pk=form.cleaned_data["assignment"]).first()
    if assignment is None:
        raise field_errors({"assignment": [_("No such assignment.")]})
    if student is None:
        raise ApiError(403, {"detail": services.submission_refusal(None)})
    try:
        submission = services.submission_submit(
            student=student,
            assignment=assignment,
            text=form.cleaned_data["text"],
            link=form.cleaned_data["link"],
            file=form.cleaned_data["file"],
        )
    except services.NotEnrolled as exc:
        raise ApiError(403, {"detail": exc.message}) from None
    except FileTooLarge as exc:
        raise field_errors({"file": [str(exc)]}, status=413) from None
    except FileRejected as exc:
        raise field_errors({"file": [str(exc)]}) from None
    except services.ValidationError as exc:
        raise field_errors(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from None
    body = {
        "id": submission.pk,
        "assignment": assignment.pk,
        "attempt": submission.attempt,
        "submitted_at": submission.submitted_at.isoformat(),
        "late": submission.late,
    }
    return JsonResponse(body, status=201)


@public
def graduate_report(request: HttpRequest, token: str) -> HttpResponse:
    data = selectors.published_report(token)
    response = render(request, "cohorts/graduate_report.html", {"data": data})
    response["X-Robots-Tag"] = "noindex"
    return response


@public
@cache_control(public=True, max_age=600)
def graduate_card(request: HttpRequest, token: str) -> HttpResponse:
    data = selectors.published_report(token)
    response = HttpResponse(report_card_png(data), content_type="image/png")
    response["X-Robots-Tag"] = "noindex"
    return response


@public
@cache_control(public=True, max_age=600)
def graduate_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The QR code of the report's "I want to sign up too" link, for a friend reading the page
    on a computer to scan with their phone."""
    data = selectors.published_report(token)
    response = HttpResponse(qr_png(data.referral_url), content_type="image/png")
    response["X-Robots-Tag"] = "noindex"
    return response
