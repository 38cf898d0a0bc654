"""The web basics a stranger probes first: CSRF, redirects, brute force, headers, admin, logs."""

import logging
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "创始人的密码-2026"
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']post[\"'][^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


@pytest.fixture
def founder(founder):
    founder.set_password(PASSWORD)
    founder.save()
    return founder


def templates() -> list[Path]:
    return sorted(p for p in ROOT.glob("**/templates/**/*.html") if ".venv" not in p.parts)


def test_every_post_form_in_every_template_carries_a_csrf_token():
    checked, missing = 0, []
    for path in templates():
        for form in POST_FORM.finditer(path.read_text()):
            checked += 1
            if "csrf_token" not in form.group(1):
                missing.append(str(path.relative_to(ROOT)))
    assert checked > 5, "the scan found no forms: the pattern is broken"
    assert missing == []


def test_a_post_without_the_csrf_token_is_refused(founder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(founder)
    for url in ("/console/system/exports/", "/account/", "/console/data-requests/erase/lead/1/"):
        assert client.post(url, {"reason": "x", "confirm": "on"}).status_code == 403, url


def test_an_api_call_without_the_csrf_token_gets_a_json_403(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student.user)
    response = client.post("/api/submissions", {"assignment": "1", "text": "hi"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_a_page_form_without_the_csrf_token_gets_the_sites_403_page(student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student.user)
    response = client.post("/account/", {"name": "x"})
    assert response.status_code == 403
    assert b"<html" in response.content.lower() and "Reload" not in response.content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_login_never_redirects_to_another_site(client, founder, target):
    response = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_guessing_passwords_is_throttled(client, founder):
    for i in range(6):
        client.post("/accounts/login/", {"login": founder.email, "password": f"wrong-{i}"})
    # After five failures on one account even the right password is turned away for a while.
    response = client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_pages_tell_browsers_not_to_sniff_frame_or_leak_referrers(client, db):
    response = client.get("/accounts/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("who", ["student_client", "outsider_client"])
def test_students_do_not_get_into_the_admin_or_the_console(request, who):
    client = request.getfixturevalue(who)
    assert client.get("/admin/").status_code == 302  # to the admin login, which refuses them
    assert client.get("/admin/accounts/user/").status_code == 302
    assert client.get("/console/").status_code == 403
    assert client.get("/admin/rq/").status_code in (302, 403)


def test_signing_in_logs_nothing_personal(client, founder, student, caplog, mailoutbox):
    caplog.set_level(logging.DEBUG)
    client.post("/accounts/login/", {"login": founder.email, "password": "wrong"})
    client.post("/accounts/login/", {"login": founder.email, "password": PASSWORD})
    client.post(reverse("account_request_login_code"), {"email": student.user.email})
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (founder.email, student.user.email, PASSWORD):
        assert secret not in logged
