"""The one notification layer (onepco/notify.py): channels per person and kind, WeChat's
template messages through wechatpy with only the 公众号 API's HTTP faked, the fallback to
e-mail, nothing twice, and every delivery recorded against the outbox row that sent it."""

import smtplib

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core import mail

from cohorts import services as cohort_services
from crm.jobs import lead_notify_founder
from onepco import notify
from onepco.models import Delivery, MarketingOptOut, MessageKind, MessagePreference, OutboxMessage
from onepco.notify import ConsentMissing, Message
from tests.factories import make_assignment, make_lead, make_submission, make_user
from tests.onepco.wechat_mp_fakes import MP_APPID, MP_SECRET, install

pytestmark = pytest.mark.django_db

OPENID = "o-mp-student-1"


@pytest.fixture
def official(settings, monkeypatch):
    """A configured 公众号 with templates for feedback and new leads; the fake answers it."""
    settings.WECHAT_MP_APPID, settings.WECHAT_MP_APP_SECRET = MP_APPID, MP_SECRET
    settings.WECHAT_MP_TEMPLATES = {
        "feedback": ("TPL-FEEDBACK", ("thing1", "phrase2", "time3")),
        "new_lead": ("TPL-LEAD", ("thing1", "thing2", "time3")),
        "enrollment": ("TPL-ENROL", ("thing1", "time2", "character_string3")),
    }
    return install(monkeypatch)


def bound(user, openid: str = OPENID):
    SocialAccount.objects.create(user=user, provider="weixin_mp", uid=openid, extra_data={})
    return user


def message(**more) -> Message:
    return Message(
        subject="作业已批改", body="正文", url="https://example.com/learn/1/",
        wechat=["第一周作业：写一份三十字以上的自我介绍并附照片", "85 · 达标", "2026-12-03 10:00"], **more,
    )  # fmt: skip


def channels(rows) -> list[tuple[str, str]]:
    return sorted((row.channel, row.status) for row in rows)


def test_a_person_without_wechat_gets_an_email_and_it_is_recorded(official):
    user = make_user(email="mei@example.com")
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent")]
    assert [m.to for m in mail.outbox] == [["mei@example.com"]]
    assert official.sent == []
    row = Delivery.objects.get()
    assert (row.user, row.address, row.subject, row.kind) == (
        user,
        "mei@example.com",
        "作业已批改",
        "feedback",
    )


def test_a_bound_follower_gets_the_template_message_filled_in_the_kinds_order(official):
    user = bound(make_user(email="mei@example.com"))
    official.followers.add(OPENID)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent"), ("wechat", "sent")]
    [sent] = official.sent
    assert sent["touser"] == OPENID and sent["template_id"] == "TPL-FEEDBACK"
    assert sent["url"] == "https://example.com/learn/1/"
    assert list(sent["data"]) == ["thing1", "phrase2", "time3"]
    # WeChat refuses a "thing" over 20 characters: cut, with an ellipsis.
    assert sent["data"]["thing1"]["value"] == "第一周作业：写一份三十字以上的自我介绍…"
    assert len(sent["data"]["thing1"]["value"]) == 20
    assert sent["data"]["phrase2"]["value"] == "85 · 达标"
    assert Delivery.objects.get(channel="wechat").detail.startswith("msgid ")


def test_the_access_token_is_fetched_once_and_shared_through_redis(official):
    official.followers.add(OPENID)
    user = bound(make_user())
    for n in range(3):
        notify.notify(kind=MessageKind.FEEDBACK, key=f"k{n}", user=user, message=message())
    assert len(official.sent) == 3 and official.token_fetches == 1


def test_a_kind_turned_off_by_email_goes_by_wechat_only(official):
    official.followers.add(OPENID)
    user = bound(make_user())
    MessagePreference.objects.create(user=user, kind="feedback", email=False, wechat=True)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("wechat", "sent")] and mail.outbox == []


def test_a_refused_wechat_message_falls_back_to_email_with_wechats_answer_kept(official):
    user = bound(make_user(email="mei@example.com"))  # bound, but no longer follows the 公众号
    MessagePreference.objects.create(user=user, kind="feedback", email=False, wechat=True)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent"), ("wechat", "failed")]
    assert "43004" in Delivery.objects.get(channel="wechat").detail
    assert Delivery.objects.get(channel="email").detail == "instead of WeChat"
    assert [m.to for m in mail.outbox] == [["mei@example.com"]]


def test_an_unreachable_wechat_falls_back_to_email(official):
    official.down = True
    user = bound(make_user(email="mei@example.com"))
    MessagePreference.objects.create(user=user, kind="feedback", email=False, wechat=True)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent"), ("wechat", "failed")]
    assert Delivery.objects.get(channel="wechat").detail == "ConnectionError: Connection refused"


def test_a_message_is_sent_once_per_channel_however_often_it_is_handed_over(official):
    official.followers.add(OPENID)
    user = bound(make_user())
    notify.notify(kind=MessageKind.FEEDBACK, key="same", user=user, message=message())
    again = notify.notify(kind=MessageKind.FEEDBACK, key="same", user=user, message=message())
    assert again == [] and len(mail.outbox) == 1 and len(official.sent) == 1


def test_a_kind_without_a_template_goes_by_email_even_to_a_follower(official):
    official.followers.add(OPENID)
    user = bound(make_user())
    rows = notify.notify(kind=MessageKind.LESSON_REMINDER, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent")] and official.sent == []


def test_without_the_official_accounts_app_nothing_goes_to_wechat(settings, official):
    settings.WECHAT_MP_APP_SECRET = ""
    official.followers.add(OPENID)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=bound(make_user()), message=message())
    assert channels(rows) == [("email", "sent")] and official.sent == []


def test_transactional_messages_are_emailed_even_when_turned_off_by_hand(official):
    user = make_user()
    MessagePreference.objects.create(user=user, kind="enrollment", email=False, wechat=False)
    rows = notify.notify(kind=MessageKind.ENROLLMENT, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "sent")]


def test_both_channels_off_sends_nothing_and_says_why(official):
    user = bound(make_user())
    MessagePreference.objects.create(user=user, kind="feedback", email=False, wechat=False)
    rows = notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert channels(rows) == [("email", "skipped")] and mail.outbox == []
    assert rows[0].detail == "turned off by the person"
    # Handed over again: no second "not sent" row.
    assert notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message()) == []


def test_marketing_needs_the_callers_word_on_consent_and_never_goes_by_wechat(official):
    official.followers.add(OPENID)
    user = bound(make_user())
    with pytest.raises(ConsentMissing):
        notify.notify(kind=MessageKind.BROADCAST, key="b1", user=user, message=message())
    rows = notify.notify(kind=MessageKind.BROADCAST, key="b1", user=user, message=message(), consented=True)
    assert channels(rows) == [("email", "sent")] and official.sent == []


def test_an_smtp_failure_raises_and_records_nothing_so_the_outbox_retries(official, settings):
    settings.EMAIL_BACKEND = "tests.onepco.test_notify.RefusingBackend"
    user = make_user()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notify.notify(kind=MessageKind.FEEDBACK, key="k1", user=user, message=message())
    assert not Delivery.objects.exists()


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_a_graded_homework_reaches_the_student_by_both_channels_through_the_outbox(
    official, founder, student, cohort_a, run_jobs
):
    official.followers.add(OPENID)
    bound(student.user)
    assignment = make_assignment(cohort_a, title="自我介绍")
    submission = make_submission(assignment, student)
    cohort_services.submission_grade(submission=submission, score=90, feedback="很好", graded_by=founder)
    run_jobs()
    rows = Delivery.objects.filter(kind="feedback").order_by("channel")
    assert channels(rows) == [("email", "sent"), ("wechat", "sent")]
    job = OutboxMessage.objects.get(job="cohorts.jobs.send_feedback_email")
    assert {row.outbox_id for row in rows} == {job.pk}
    assert official.sent[0]["data"]["thing1"]["value"] == "自我介绍"
    # The job handed over again (a retry after a crash) sends nothing new.
    cohort_services.submission_feedback_email(submission=submission)
    assert len(mail.outbox) == 1 and len(official.sent) == 1


def test_the_founder_hears_of_a_new_lead_by_wechat_once_their_account_is_bound(
    official, founder, settings, run_jobs
):
    settings.FOUNDER_EMAIL = founder.email
    official.followers.add("o-founder")
    bound(founder, "o-founder")
    lead = make_lead(name="王小明", channel="wechat")
    lead_notify_founder(lead.pk)
    assert [m.to for m in mail.outbox] == [[founder.email]]
    assert official.sent[0]["template_id"] == "TPL-LEAD"
    assert official.sent[0]["data"]["thing1"]["value"] == "王小明"


def test_the_marketing_list_is_one_list_by_address(db):
    notify.marketing_opt_out(email="Mei@Example.com ")
    assert notify.marketing_opted_out(email="mei@example.com")
    notify.marketing_opt_in(email="MEI@example.com")
    assert not MarketingOptOut.objects.exists()
    notify.marketing_opt_out(email="  ")
    assert not MarketingOptOut.objects.exists()


def test_the_settings_read_a_template_for_every_kind_that_may_go_by_wechat(settings):
    assert set(settings.WECHAT_MP_TEMPLATE_KINDS) == {
        kind for kind, rule in notify.RULES.items() if rule.wechat
    }
    assert set(notify.RULES) == set(MessageKind.values)
