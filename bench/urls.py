"""onepco's URLs plus the floors every request is compared with."""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from onepco.access import public

TABLE = "bench_ping"


@public
@csrf_exempt
def ok(request: HttpRequest) -> HttpResponse:
    """A bare answer: what the server and Django cost with no work at all."""
    return HttpResponse("ok")


@public
@csrf_exempt
def raw_insert(request: HttpRequest) -> HttpResponse:
    """One raw INSERT and its commit: the floor every write pays."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (created_at) VALUES (now())")  # noqa: S608 - a constant
    return HttpResponse("ok", status=201)


urlpatterns = [
    path("bench/ok", ok),
    path("bench/insert", raw_insert),
    path("", include("onepco.urls")),
]

handler400 = "onepco.views.bad_request"
handler403 = "onepco.views.permission_denied"
handler404 = "onepco.views.page_not_found"
handler500 = "onepco.views.server_error"
