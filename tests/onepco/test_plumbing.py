"""The shared plumbing: home routing, health check, error pages, the OpenAPI document."""

import json

from django.db import OperationalError
from django.test import Client

from console.openapi import document


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


def test_an_unexpected_error_is_a_500_page_not_a_traceback(rf, db):
    from onepco.views import server_error

    try:
        raise ValueError("bug")
    except ValueError:
        response = server_error(rf.get("/console/"))
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()
