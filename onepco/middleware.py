import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from onepco.views import healthz, service_unavailable

logger = logging.getLogger(__name__)


class HealthCheckMiddleware:
    """Answers /healthz before host validation and the HTTPS redirect.

    The compose healthcheck calls http://127.0.0.1:8000/healthz from inside the container,
    where the Host header is not one of ALLOWED_HOSTS and the scheme is plain HTTP.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return healthz(request)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Content-Security-Policy on every HTML page (settings.CONTENT_SECURITY_POLICY).

    Django 5.2 has none built in. JSON answers and downloads are left alone, and so is a
    response that sets its own policy (uploaded files are served with `default-src 'none'`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" in response or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response
        inline = request.path.startswith(tuple(settings.CONTENT_SECURITY_POLICY_INLINE_PATHS))
        response["Content-Security-Policy"] = (
            settings.CONTENT_SECURITY_POLICY_INLINE if inline else settings.CONTENT_SECURITY_POLICY
        )
        return response


class DatabaseOutageMiddleware:
    """With DEBUG on (`manage.py up`), a PostgreSQL that is down answers the site's 503 too.

    In production Django hands the exception to `onepco.views.server_error`, which already
    answers 503; with DEBUG it would show the debug page instead, which is right for a bug in
    a query, not for a database that is restarting. So only connection-level errors are
    caught here, and only with DEBUG: production keeps Django's own logging of them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG or not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("the database is unreachable (%s): answered 503 to %s", exception, request.path)
        return service_unavailable(request)
