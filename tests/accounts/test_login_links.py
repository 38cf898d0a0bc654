"""One-time sign-in links (the enrollment e-mail's): once, for 7 days, students only."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import LoginLink
from accounts.personal import user_anonymise
from accounts.services import login_link_create

pytestmark = pytest.mark.django_db


def _path(token: str) -> str:
    return f"/account/link/{token}/"


def test_a_link_signs_in_once_and_is_refused_the_second_time(student):
    token = login_link_create(user=student.user)
    first = Client()
    assert first.post(_path(token))["Location"] == "/learn/"
    assert first.get("/learn/").wsgi_request.user == student.user

    second = Client()
    response = second.post(_path(token))

    assert response.status_code == 410
    body = response.content.decode()
    assert "已经用过" in body and 'href="/accounts/login/code/"' in body
    assert not response.wsgi_request.user.is_authenticated
    assert second.get(_path(token)).status_code == 410


def test_an_expired_link_is_refused(student):
    token = login_link_create(user=student.user)
    LoginLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()

    response = client.post(_path(token))

    assert response.status_code == 410 and "已过期" in response.content.decode()
    assert client.get("/learn/").status_code == 302


def test_opening_the_link_does_not_spend_it(student):
    token = login_link_create(user=student.user)
    assert Client().get(_path(token)).status_code == 200
    assert LoginLink.objects.get().used_at is None
    assert Client().post(_path(token)).status_code == 302


def test_a_staff_account_never_gets_or_uses_a_link(founder, student):
    with pytest.raises(ValueError):
        login_link_create(user=founder)
    token = login_link_create(user=student.user)
    student.user.is_staff = True
    student.user.save(update_fields=["is_staff"])
    client = Client()

    assert client.post(_path(token)).status_code == 410
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_a_made_up_token_is_refused(db):
    assert Client().post(_path("x" * 43)).status_code == 410


def test_setting_a_password_cancels_unused_links(student):
    token = login_link_create(user=student.user)
    client = Client()
    client.force_login(student.user)
    response = client.post(
        "/accounts/password/set/", {"password1": "a-Long-pass-9931", "password2": "a-Long-pass-9931"}
    )
    assert response.status_code == 302

    refused = Client().post(_path(token))

    assert refused.status_code == 410 and LoginLink.objects.get().revoked_at is not None


def test_the_account_page_offers_an_optional_password(student_client):
    body = student_client.get("/account/").content.decode()
    assert 'href="/accounts/password/set/"' in body


def test_erasing_an_account_drops_its_links(student):
    token = login_link_create(user=student.user)
    user_anonymise(user=student.user)

    assert not LoginLink.objects.exists()
    assert Client().post(_path(token)).status_code == 410
