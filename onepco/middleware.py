from collections.abc import Callable

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
