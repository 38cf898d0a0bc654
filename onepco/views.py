import sys

import redis
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, ProgrammingError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from onepco.access import is_student, public
from onepco.outbox import redis_connection


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
    """For the compose healthcheck and a monitor: the process answers, and the database and
    Redis are reachable. A 503 names each one that is not (the web still serves most pages
    without Redis, but e-mails and background work wait until it is back)."""
    state = {"database": "ok", "redis": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        state["database"] = "unreachable"
    try:
        redis_connection().ping()
    except redis.RedisError:
        state["redis"] = "unreachable"
    if "unreachable" in state.values():
        return JsonResponse({"status": "error", **state}, status=503)
    return JsonResponse({"status": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


def server_error(request: HttpRequest) -> HttpResponse:
    """500 handler; a database that is down (restart, failover) answers a clean 503 instead."""
    exc = sys.exc_info()[1]
    # InterfaceError ("connection already closed": the server went away between two requests)
    # is not a DatabaseError in the DB-API's tree, but is the same outage.
    if isinstance(exc, InterfaceError) or (
        isinstance(exc, DatabaseError) and not isinstance(exc, _integrity_errors())
    ):
        return service_unavailable(request)
    message = _("Something went wrong on our side. It has been logged.")
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=500)
    return render(request, "error.html", {"status": 500, "message": message}, status=500)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 of a database that is down (restart, failover): the page, or JSON for the API."""
    message = _("The service is briefly unavailable. Please try again shortly.")
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"detail": message}, status=503)
    else:
        # Without the request's context (the signed-in user, the session need the database);
        # the CSRF token lives in a cookie, so the page's language switch still works.
        context = {"status": 503, "message": message, "csrf_token": get_token(request)}
        page = render_to_string("error.html", context)
        response = HttpResponse(page, status=503)
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
