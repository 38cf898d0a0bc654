"""The login page puts the e-mailed code first, and every allauth e-mail is the site's own."""

import re

import pytest
from django.test import Client

from onepco.models import SiteSettings
from onepco.site import site_settings_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_site(db):
    return site_settings_save(SiteSettings(site_name="码上学堂"))


def test_the_login_page_offers_the_code_first_and_folds_the_password(client):
    body = client.get("/accounts/login/").content.decode()
    code = body.index('action="/accounts/login/code/"')
    folded = body.index('<details class="mt-12" id="password-login">')
    password = body.index('name="password"')
    assert code < folded < password


def test_a_wrong_password_opens_the_folded_form_with_the_error(client, student):
    response = client.post("/accounts/login/", {"login": "student@example.com", "password": "nope"})
    body = response.content.decode()
    assert '<details class="mt-12" id="password-login" open>' in body
    assert "邮箱和密码不匹配。" in body and "您" not in body


def _prose(mail) -> str:
    """The e-mail's words, without its links and its sign-in code (links are built for the
    address the visitor used, which ALLOWED_HOSTS vouches for)."""
    text = re.sub(r"https?://\S+", "", mail.body)
    return re.sub(r"^[A-Z0-9]{4}-?[A-Z0-9]{4}$", "", text, flags=re.MULTILINE)


def _no_latin_words(mail, allowed: set[str] = frozenset()) -> None:
    words = set(re.findall(r"[A-Za-z]{2,}", _prose(mail))) - allowed
    assert not words, words


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("zh-hans", "[码上学堂] 你的登录验证码：", "你的码上学堂登录验证码"),
        ("en", "[码上学堂] Your sign-in code: ", "Your code to sign in to 码上学堂"),
    ],
)
def test_the_login_code_email_is_the_sites_own(named_site, student, mailoutbox, language, subject, phrase):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post("/accounts/login/code/", {"email": "student@example.com"})
    assert response.status_code == 302
    [mail] = mailoutbox
    assert mail.subject.startswith(subject)
    assert phrase in mail.body and "码上学堂" in mail.body
    assert "testserver" not in _prose(mail) + mail.subject and "Hello from" not in mail.body
    if language == "zh-hans":
        assert "您" not in mail.body + mail.subject
        _no_latin_words(mail)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_password_reset_email_is_the_sites_own(named_site, student, mailoutbox, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post("/accounts/password/reset/", {"email": "student@example.com"})
    [mail] = mailoutbox
    expected = {
        "zh-hans": ("[码上学堂] 设置新密码", "码上学堂账号"),
        "en": ("[码上学堂] Set a new password", "your 码上学堂 account"),
    }
    assert mail.subject == expected[language][0]
    assert expected[language][1] in mail.body and "/accounts/password/reset/key/" in mail.body
    assert "testserver" not in _prose(mail)
    if language == "zh-hans":
        assert "您" not in mail.body
        _no_latin_words(mail)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_unknown_account_email_names_the_site_and_offers_no_signup(named_site, mailoutbox, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post("/accounts/login/code/", {"email": "nobody@example.com"})
    [mail] = mailoutbox
    assert mail.subject.startswith("[码上学堂] ")
    assert "nobody@example.com" in mail.body and "码上学堂" in mail.body
    assert "signup" not in mail.body
    if language == "zh-hans":
        assert "您" not in mail.body
        _no_latin_words(mail, {"nobody", "example", "com"})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_email_confirmation_is_the_sites_own(named_site, student, mailoutbox, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(student.user)
    response = client.post("/accounts/email/", {"action_add": "", "email": "second@example.com"})
    assert response.status_code in (200, 302)
    [mail] = mailoutbox
    subject = {"zh-hans": "[码上学堂] 确认你的邮箱地址", "en": "[码上学堂] Confirm your e-mail address"}[
        language
    ]
    assert mail.subject == subject and "码上学堂" in mail.body
    if language == "zh-hans":
        assert "您" not in mail.body
        _no_latin_words(mail)


def test_without_a_site_name_the_subject_uses_the_default_name(student, mailoutbox, settings):
    Client().post("/accounts/login/code/", {"email": "student@example.com"})
    assert mailoutbox[0].subject.startswith(f"[{settings.SITE_NAME}] ")
