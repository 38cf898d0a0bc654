from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from onepco.views import healthz


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
