import sys

from django.db import DatabaseError, DataError, IntegrityError, ProgrammingError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from onepco.access import is_student, public


@public
def home(request: HttpRequest) -> HttpResponse:
    """Everyone starts here and is sent where they work: console, learning, or the offer."""
    user = request.user
    if user.is_authenticated and user.is_staff:
        return redirect("console_home")
    if is_student(user):
        return redirect("cohorts:learn_home")
    return redirect("billing:course_index")


@public
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For the compose healthcheck: the process answers and the database is reachable."""
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
    response: HttpResponse
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
