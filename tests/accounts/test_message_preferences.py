"""The account page's message preferences: which kinds by e-mail and by WeChat, the one
marketing switch (the opt-out list every unsubscribe link writes), through HTTP."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.test import Client

from console.personal import personal_data_for
from onepco import notify
from onepco.models import MarketingOptOut, MessageKind, MessagePreference

pytestmark = pytest.mark.django_db

URL = "/account/messages/"


@pytest.fixture
def templates(settings):
    settings.WECHAT_MP_APPID, settings.WECHAT_MP_APP_SECRET = "wxmp000000000001", "mp-secret"
    settings.WECHAT_MP_TEMPLATES = {
        "feedback": ("TPL-F", ("thing1",)),
        "lesson_reminder": ("TPL-L", ("thing1",)),
    }


def test_the_account_page_lists_a_students_kinds_and_no_staff_ones(student_client):
    body = student_client.get("/account/").content.decode()
    assert 'id="messages"' in body
    assert 'name="email-feedback"' in body and 'name="email-lesson_reminder"' in body
    assert 'name="email-new_lead"' not in body and 'name="email-weekly_report"' not in body
    assert 'name="marketing"' in body
    # Enrollment is e-mailed whatever: its box cannot be unticked.
    assert 'name="email-enrollment" aria-label' in body and "disabled" in body


def test_staff_see_their_own_kinds_and_no_marketing_switch(founder_client):
    body = founder_client.get("/account/").content.decode()
    assert 'name="email-new_lead"' in body and 'name="email-weekly_report"' in body
    assert 'name="email-feedback"' not in body and 'name="marketing"' not in body


def test_unticking_a_kind_turns_its_email_off_and_the_next_message_skips_it(student_client, student):
    response = student_client.post(
        URL, {"email-lesson_reminder": "on", "email-enrollment": "on", "marketing": "on"}
    )
    assert response.status_code == 302 and response["Location"] == "/account/#messages"
    off = set(MessagePreference.objects.filter(user=student.user, email=False).values_list("kind", flat=True))
    assert "feedback" in off and "lesson_reminder" not in off
    rows = notify.notify(
        kind=MessageKind.FEEDBACK, key="k", user=student.user, message=notify.Message(subject="s", body="b")
    )
    assert [(r.channel, r.status) for r in rows] == [("email", "skipped")]


def test_a_kind_that_must_be_emailed_stays_on_whatever_is_posted(student_client, student):
    student_client.post(URL, {})
    choice = {c.kind: c for c in notify.preferences_of(student.user)}["enrollment"]
    assert choice.email and choice.email_locked


def test_ticking_everything_again_leaves_no_rows(student_client, student):
    student_client.post(URL, {})
    on = {f"email-{c.kind}": "on" for c in notify.preferences_of(student.user)}
    student_client.post(URL, {**on, "marketing": "on"})
    assert not MessagePreference.objects.filter(user=student.user).exists()


def test_the_marketing_switch_writes_the_one_opt_out_list(student_client, student):
    student_client.post(URL, {})
    assert MarketingOptOut.objects.filter(email=student.user.email.lower()).exists()
    assert 'name="marketing" aria-label' in student_client.get("/account/").content.decode()
    student_client.post(URL, {"marketing": "on"})
    assert not MarketingOptOut.objects.exists()


def test_wechat_boxes_need_a_bound_wechat_and_keep_their_choice_until_then(
    templates, student_client, student
):
    body = student_client.get("/account/").content.decode()
    assert 'name="wechat-feedback"' in body and 'name="wechat-feedback" aria-label' in body
    student_client.post(URL, {"email-feedback": "on"})  # WeChat boxes disabled: not posted
    assert not MessagePreference.objects.filter(user=student.user, wechat=False).exists()

    SocialAccount.objects.create(user=student.user, provider="weixin_mp", uid="o-1", extra_data={})
    student_client.post(URL, {"email-feedback": "on", "wechat-lesson_reminder": "on"})
    pref = MessagePreference.objects.get(user=student.user, kind="feedback")
    assert (pref.email, pref.wechat) == (True, False)
    # A kind without a template shows no WeChat box at all.
    assert 'name="wechat-due_reminder"' not in student_client.get("/account/").content.decode()


def test_signed_out_visitors_are_sent_to_sign_in_and_nothing_changes(student):
    response = Client().post(URL, {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not MessagePreference.objects.exists() and not MarketingOptOut.objects.exists()


def test_the_preferences_are_saved_by_post_only(student_client):
    assert student_client.get(URL).status_code == 405


def test_the_personal_data_download_holds_the_choices_and_the_messages_sent(student_client, student):
    student_client.post(URL, {"email-enrollment": "on"})
    notify.notify(kind=MessageKind.ENROLLMENT, key="e", user=student.user, message=notify.Message("s", "b"))
    data = personal_data_for(email=student.user.email, user=student.user)
    assert {row["kind"] for row in data["message_preferences"]} >= {"feedback", "lesson_reminder"}
    assert [(row["kind"], row["address"]) for row in data["messages_sent"]] == [
        ("enrollment", student.user.email.lower())
    ]
    assert [row["email"] for row in data["marketing_opt_outs"]] == [student.user.email.lower()]
