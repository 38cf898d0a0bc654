"""The shared plumbing: home routing, health check, error pages, the OpenAPI document."""

import json

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client

from billing import views as billing_views
from console.openapi import document
from onepco import outbox
from tests.processes import free_port


def test_home_sends_the_founder_to_the_console(founder_client):
    assert founder_client.get("/")["Location"] == "/console/"


def test_healthz_answers_without_a_known_host(db):
    response = Client(HTTP_HOST="10.0.0.5:8000").get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_the_openapi_document_describes_the_three_apis(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert set(paths) == {
        "/api/leads",
        "/api/submissions",
        "/api/dashboard/weekly",
        # billing: the payment providers' notification endpoints
        "/billing/notify/alipay/",
        "/billing/notify/wechat/",
        "/billing/webhooks/stripe/",
    }
    assert set(paths["/api/leads"]["post"]["responses"]) == {"201", "400", "413", "429"}
    assert set(paths["/api/submissions"]["post"]["responses"]) == {"201", "400", "401", "403", "413"}
    assert document()["openapi"].startswith("3.")


def test_a_database_outage_answers_a_clean_503(rf, db):
    from onepco.views import server_error

    request = rf.get("/api/leads")
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "detail" in json.loads(response.content)
    page = rf.get("/courses/")
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        html = server_error(page)
    assert html.status_code == 503 and "<html" in html.content.decode()
    try:
        raise InterfaceError("connection already closed")  # not a DatabaseError, the same outage
    except InterfaceError:
        assert server_error(page).status_code == 503


def test_an_unexpected_error_is_a_500_page_not_a_traceback(rf, db):
    from onepco.views import server_error

    try:
        raise ValueError("bug")
    except ValueError:
        response = server_error(rf.get("/console/"))
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()


def test_healthz_names_redis_when_it_is_down(db, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings.REDIS_SOCKET_CONNECT_TIMEOUT = 0.3
    outbox.redis_connection.cache_clear()
    try:
        response = Client().get("/healthz")
    finally:
        outbox.redis_connection.cache_clear()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "redis": "unreachable"}


@pytest.fixture
def postgres_down(transactional_db):
    """The next connection goes to a port where no PostgreSQL listens (a real refusal)."""
    connection.close()
    real_port = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = str(free_port())
    yield
    connection.close()
    connection.settings_dict["PORT"] = real_port


def test_healthz_names_the_database_when_it_is_down(postgres_down):
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable", "redis": "ok"}


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_with_debug_on_a_postgres_outage_answers_the_production_503_not_a_debug_page(
    postgres_down, settings, accept
):
    settings.DEBUG = True  # what `manage.py up` runs
    client = Client(raise_request_exception=False)
    if accept == "text/html":
        response = client.get("/courses/")
    else:
        lead = {"name": "停电", "email": "down@example.com", "consent": True}
        response = client.post(
            "/api/leads", lead, content_type="application/json", headers={"Accept": accept}
        )
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    body = response.content.decode()
    assert "Traceback" not in body and "OperationalError" not in body
    if accept == "text/html":
        assert "<html" in body
    else:
        assert response.json()["detail"]


def test_with_debug_on_a_bug_in_a_query_still_shows_the_debug_page(db, settings, monkeypatch):
    settings.DEBUG = True

    def broken():
        raise ProgrammingError('column "oops" does not exist')

    monkeypatch.setattr(billing_views, "cohorts_on_sale", broken)
    response = Client(raise_request_exception=False).get("/courses/")
    assert response.status_code == 500
    assert "ProgrammingError" in response.content.decode()
