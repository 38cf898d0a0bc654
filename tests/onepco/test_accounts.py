"""Signing in: password, e-mailed code, password reset; no public registration."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import founder_ensure, user_get_or_create


def test_nobody_can_register_themselves(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "new@example.com", "password1": "a-Long-pass-123"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.com").exists()


def test_a_student_signs_in_with_a_code_sent_by_email(client, student, mailoutbox):
    response = client.post(reverse("account_request_login_code"), {"email": "student@example.com"})
    assert response.status_code == 302
    code = re.search(r"\b([A-Z0-9]{4}-[A-Z0-9]{4})\b", mailoutbox[-1].body)[1]
    response = client.post(response["Location"], {"code": code})
    assert response.status_code == 302
    assert client.get("/account/").context["user"] == student.user


def test_a_wrong_code_does_not_sign_in(client, student, mailoutbox):
    response = client.post(reverse("account_request_login_code"), {"email": "student@example.com"})
    page = client.post(response["Location"], {"code": "WRONG1"})
    assert page.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_login_and_reset(client, founder, mailoutbox):
    founder.set_password("correct horse battery")
    founder.save()
    assert (
        client.post(
            reverse("account_login"), {"login": "founder@example.com", "password": "nope"}
        ).status_code
        == 200
    )
    response = client.post(
        reverse("account_login"), {"login": "FOUNDER@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    client.logout()
    client.post(reverse("account_reset_password"), {"email": "founder@example.com"})
    assert "founder@example.com" in mailoutbox[-1].to


def test_the_account_page_saves_a_name_and_needs_a_sign_in(client, student_client, student):
    assert client.get("/account/").status_code == 302
    response = student_client.post("/account/", {"name": "新名字"})
    assert response.status_code == 302
    student.user.refresh_from_db()
    assert student.user.name == "新名字"
    assert student_client.post("/account/", {"name": "x" * 101}).status_code == 200


def test_user_get_or_create_matches_email_case_insensitively(db):
    user, created = user_get_or_create(email="Mixed@Example.COM", name="甲")
    again, created_again = user_get_or_create(email="mixed@example.com", name="乙")
    assert created and not created_again and again == user
    assert again.name == "甲"


@pytest.mark.parametrize("given", ["", "chosen-password-1"])
def test_the_founder_is_created_once(db, given):
    founder, created, password = founder_ensure(email="boss@example.com", password=given)
    assert created and founder.is_staff and founder.is_superuser
    assert founder.check_password(given or password)
    assert (password is None) == bool(given)
    again, created_again, password_again = founder_ensure(email="other@example.com")
    assert (again, created_again, password_again) == (founder, False, None)
