import sys

from django.contrib import messages
from django.db import DatabaseError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from onepco.access import is_student, public, staff_required


@public
def home(request: HttpRequest) -> HttpResponse:
    """Everyone starts here and is sent where they work: console, learning, or the offer."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        return redirect("console_home")
    if is_student(user):
        return redirect("cohorts:learn_home")
    return redirect("crm:course_index")


@staff_required
def console_home(request: HttpRequest) -> HttpResponse:
    """Today at a glance: what is waiting for the founder."""
    from billing.models import Order
    from cohorts.models import Lesson
    from cohorts.selectors import grading_queue
    from crm.models import Consultation, Lead

    now = timezone.now()
    leads = Lead.objects.filter(is_spam=False).aggregate(
        new=Count("id", filter=Q(status=Lead.Status.NEW)),
        week=Count("id", filter=Q(created_at__gte=now - timezone.timedelta(days=7))),
    )
    context = {
        "new_leads": leads["new"],
        "leads_this_week": leads["week"],
        "consultations_upcoming": Consultation.objects.filter(
            status=Consultation.Status.SCHEDULED, scheduled_at__gte=now
        ).count(),
        "pending_orders": Order.objects.filter(status=Order.Status.PENDING).count(),
        "ungraded": grading_queue().count(),
        "lessons_today": Lesson.objects.filter(
            starts_at__gte=now - timezone.timedelta(hours=3),
            starts_at__lt=now + timezone.timedelta(days=1),
        )
        .select_related("cohort__course")
        .order_by("starts_at")[:10],
    }
    return render(request, "console/home.html", context)


@public
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For the compose healthcheck: the process answers and the database is reachable."""
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def server_error(request: HttpRequest) -> HttpResponse:
    """500 handler; a database that is down (restart, failover) answers a clean 503 instead."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DatabaseError) and not isinstance(exc, _integrity_errors()):
        status, message = 503, _("The service is briefly unavailable. Please try again shortly.")
    else:
        status, message = 500, _("Something went wrong on our side. It has been logged.")
    if _wants_json(request):
        response = JsonResponse({"detail": message}, status=status)
    elif status == 503:
        # Without the request: its context (the signed-in user, the session) needs the database.
        page = render_to_string("error.html", {"status": status, "message": message})
        response = HttpResponse(page, status=status)
    else:
        response = render(request, "error.html", {"status": status, "message": message}, status=status)
    if status == 503:
        response["Retry-After"] = "10"
    return response


def _integrity_errors() -> tuple[type, ...]:
    from django.db import DataError, IntegrityError, ProgrammingError

    return (IntegrityError, DataError, ProgrammingError)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("You do not have access to this page.")
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form or API call without a valid CSRF token: the site's 403, as JSON for the API."""
    message = _("The form expired or did not come from this site. Reload the page and try again.")
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=403)
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("This page does not exist, or you do not have access to it.")
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=404)
    return render(request, "error.html", {"status": 404, "message": message}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("The request could not be understood.")
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=400)
    return render(request, "error.html", {"status": 400, "message": message}, status=400)


@staff_required
def system(request: HttpRequest) -> HttpResponse:
    """The founder's engine room: health checks, failed jobs to retry, data exports."""
    from onepco.health import run_checks
    from onepco.models import DataExport
    from onepco.selectors import failed_jobs

    checks = run_checks()
    return render(
        request,
        "console/system.html",
        {
            "checks": checks,
            "all_ok": all(c.ok for c in checks),
            "failed_jobs": failed_jobs(limit=50),
            "exports": DataExport.objects.select_related("requested_by")[:10],
        },
    )


@staff_required
@require_POST
def system_retry_job(request: HttpRequest, job_id: str) -> HttpResponse:
    from onepco.services import failed_job_retry

    if failed_job_retry(job_id=job_id):
        messages.success(request, _("The job is back in the queue."))
    else:
        messages.error(request, _("That job is no longer in the failed list."))
    return redirect("system")


@staff_required
@require_POST
def system_export_request(request: HttpRequest) -> HttpResponse:
    from onepco.services import data_export_request

    data_export_request(user=request.user)
    messages.success(
        request,
        _("The archive is being built. You will get an e-mail with the download link when it is ready."),
    )
    return redirect("system")


@staff_required
def system_export_download(request: HttpRequest, token: str) -> HttpResponse:
    from django.core.files.storage import default_storage
    from django.http import FileResponse, Http404

    from onepco.models import DataExport

    export = DataExport.objects.filter(token=token).first()
    if export is None or not export.is_ready:
        raise Http404
    name = export.file_name.rsplit("/", 1)[-1]
    return FileResponse(default_storage.open(export.file_name, "rb"), as_attachment=True, filename=name)


@staff_required
def data_requests(request: HttpRequest) -> HttpResponse:
    """Personal-data requests: find the person, erase them, and the log of past erasures."""
    from onepco.models import ErasureRecord
    from onepco.selectors import erasure_candidates

    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "console/data_requests.html",
        {
            "q": query,
            "found": erasure_candidates(query) if query else None,
            "records": ErasureRecord.objects.select_related("erased_by")[:50],
        },
    )


@staff_required
def data_request_erase(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Confirm and carry out the erasure of one lead or student (and what is linked to them)."""
    from django.shortcuts import get_object_or_404

    from cohorts.models import Student
    from crm.models import Lead
    from onepco.erasure import person_erase, person_for
    from onepco.forms import ErasureForm

    if kind == "lead":
        person = person_for(lead=get_object_or_404(Lead, pk=pk))
    elif kind == "student":
        person = person_for(student=get_object_or_404(Student.objects.select_related("lead"), pk=pk))
    else:
        raise Http404
    if any(user.is_staff for user in person.users):
        raise Http404
    form = ErasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person_erase(person=person, erased_by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Erased. The numbers and past snapshots are unchanged."))
        return redirect("data_requests")
    return render(request, "console/data_request_erase.html", {"person": person, "form": form, "kind": kind})
