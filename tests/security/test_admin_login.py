"""Signing in to /admin/ is held to the site's login limits, whatever headers the client forges."""

import itertools
import time

import pytest
from django.test import Client

PASSWORD = "创始人的密码-2026"
ATTEMPTS = 40


@pytest.fixture
def founder(founder):
    founder.set_password(PASSWORD)
    founder.save()
    return founder


def admin_login_form(client: Client) -> str:
    """Where an anonymous visitor of /admin/ is sent to sign in (following every redirect)."""
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    return response.redirect_chain[-1][0]


def sign_in(client: Client, url: str, password: str, **headers):
    # Both forms' field names: the admin's own (username) and the site's (login).
    fields = {"username": "founder@example.com", "login": "founder@example.com", "password": password}
    return client.post(url, fields, headers=headers)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


addresses = (f"198.51.{n // 250 % 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.mark.parametrize(
    "proxies, headers",
    [
        # No proxy: the client writes any X-Forwarded-For it likes, and it is ignored.
        (0, lambda n: {"X-Forwarded-For": next(addresses)}),
        # Behind one proxy, which appends the address it saw: what the client wrote before is ignored.
        (1, lambda n: {"X-Forwarded-For": f"{next(addresses)}, 203.0.113.9"}),
        # Many real addresses (a botnet), each with another port in the Host header (ALLOWED_HOSTS
        # ignores ports): the limit per account still holds.
        (1, lambda n: {"X-Forwarded-For": next(addresses), "Host": f"localhost:{1000 + n}"}),
    ],
    ids=["forged-forwarded-for", "forged-behind-a-proxy", "many-addresses-and-host-ports"],
)
def test_guessing_the_admin_password_is_throttled_and_the_right_one_waits(
    client, founder, settings, monkeypatch, proxies, headers
):
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    form = admin_login_form(client)
    for n in range(ATTEMPTS):
        response = sign_in(client, form, f"wrong-{n}", **headers(n))
        assert response.status_code in (200, 429) and not signed_in(client)

    # The right password is turned away too while the window lasts…
    response = sign_in(client, form, PASSWORD, **headers(ATTEMPTS))
    assert response.status_code in (200, 429) and not signed_in(client)
    if response.status_code == 200:
        assert response.context["form"].non_field_errors()

    # …and works once it has passed, and the founder is in the admin.
    later = time.time() + 10 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = sign_in(client, form, PASSWORD, **headers(ATTEMPTS + 1))
    assert response.status_code == 302 and signed_in(client)
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_posting_a_password_to_the_admins_own_login_url_signs_nobody_in(client, founder):
    response = sign_in(client, "/admin/login/?next=/admin/", PASSWORD)
    assert not signed_in(client)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_founder_signs_in_on_the_site_and_reaches_the_admin(client, founder):
    form = admin_login_form(client)
    assert form.startswith("/accounts/login/")
    response = sign_in(client, form, PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Signed in already: the admin's login page leads straight on.
    assert client.get("/admin/login/?next=/admin/accounts/user/")["Location"] == "/admin/accounts/user/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_admin_login_never_sends_anyone_to_another_site(client, target):
    response = client.get("/admin/login/", {"next": target})
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_a_signed_in_student_asking_for_the_admin_is_refused_not_sent_in_circles(student_client):
    response = student_client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 2
