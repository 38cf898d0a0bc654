"""Broadcasts (群发): segments that count as the console's lists do, consent and the one-click
unsubscribe, each recipient sent to once even across a killed worker, SMTP faults recorded
per row, cancelling, and who may use it."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from billing.models import WaitlistEntry
from console import broadcasts
from console.models import Broadcast, BroadcastRecipient
from crm.models import Lead
from onepco.models import MarketingOptOut
from tests import factories as f

Status = BroadcastRecipient.Status


def _create(segment: str = "leads", filters: dict | None = None, **fields) -> Broadcast:
    fields.setdefault("subject", "新一期开课了")
    fields.setdefault("body", "你好！**第 3 期** 下周一开始。")
    return broadcasts.broadcast_create(
        segment=segment,
        filters=filters or {},
        segment_label="test",
        send_at=fields.pop("send_at", None),
        created_by=None,
        **fields,
    )


def _addresses() -> list[str]:
    return [address for message in mail.outbox for address in message.to]


def _compose(client, **data):
    form = {"subject": "新一期", "body": "你好", "segment": "leads", "when": "now", "action": "review"}
    return client.post(reverse("broadcast_new"), {**form, **data})


# --- segments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "contacted"},
        {"channel": "wechat"},
        {"campaign": "spring"},
        {"status": "new", "channel": "douyin"},
        {"date_from": "2026-03-01", "date_to": "2026-03-31"},
    ],
)
def test_a_lead_segment_counts_what_the_lead_list_shows_for_the_same_filters(founder_client, filters):
    march = f.aware(2026, 3, 10)
    f.make_lead(status="contacted", channel="wechat", utm_campaign="spring", created_at=march)
    f.make_lead(status="new", channel="douyin", utm_campaign="Spring")
    f.make_lead(status="new", channel="douyin", email="", phone="+8613800000001", created_at=march)
    f.make_lead(status="contacted", channel="wechat", consent_at=None)
    f.make_lead(status="new", channel="wechat", is_spam=True)
    listed = founder_client.get(reverse("crm:lead_list"), filters).context["page_obj"].paginator.count
    composer = {
        f"lead_{'from' if k == 'date_from' else 'to' if k == 'date_to' else k}": v for k, v in filters.items()
    }
    response = _compose(founder_client, **composer)
    summary = response.context["summary"]
    assert listed > 0
    assert summary.total == listed
    assert summary.total == summary.reachable + summary.no_email + summary.no_consent + summary.unsubscribed


def test_a_cohorts_students_its_graduates_and_its_waitlist_are_segments(founder_client, cohort_a, cohort_b):
    def learner(email: str, cohort, status: str = "active", consent: bool = True):
        lead = f.make_lead(email=email, consent_at=timezone.now() if consent else None)
        student = f.make_student(f.make_user(email=email), lead=lead)
        f.make_enrollment(student, cohort, status=status)
        return student

    learner("a1@example.com", cohort_a)
    learner("a2@example.com", cohort_a, consent=False)
    learner("a3@example.com", cohort_a, status="dropped")
    learner("g1@example.com", f.make_cohort(course=cohort_b.course), status="graduated")
    learner("g2@example.com", cohort_b, status="graduated")
    waiting = f.make_lead(email="w1@example.com")
    WaitlistEntry.objects.create(cohort=cohort_a, lead=waiting, name="等位", email="w1@example.com")
    phone_only = f.make_lead(email="", phone="+8613900000002")
    WaitlistEntry.objects.create(cohort=cohort_a, lead=phone_only, name="无邮箱", phone="+8613900000002")

    students = broadcasts.segment_summary("cohort_students", {"cohort": cohort_a.pk})
    assert (students.total, students.reachable, students.no_consent) == (2, 1, 1)
    graduates = broadcasts.segment_summary("graduates", {"course": cohort_b.course_id})
    assert (graduates.total, graduates.reachable) == (2, 2)
    waitlist = broadcasts.segment_summary("waitlist", {"cohort": cohort_a.pk})
    assert (waitlist.total, waitlist.reachable, waitlist.no_email) == (2, 1, 1)
    # through the composer, with a masked sample
    response = _compose(founder_client, segment="graduates", course=cohort_b.course_id)
    assert response.status_code == 200
    assert {p["email"] for p in response.context["summary"].sample} == {"g***@example.com"}


def test_leads_interested_in_a_course_landed_on_its_page_or_joined_its_waitlist(cohort_a):
    course = cohort_a.course
    f.make_lead(email="page@example.com", landing_page=f"/courses/{course.slug}/?utm_source=x")
    waiting = f.make_lead(email="wait@example.com")
    WaitlistEntry.objects.create(cohort=cohort_a, lead=waiting, name="等", email="wait@example.com")
    f.make_lead(email="other@example.com", landing_page="/courses/other/")
    assert broadcasts.segment_summary("leads", {"course": course.slug}).total == 2


# --- sending, consent, unsubscribe ---------------------------------------------------------


def test_only_people_who_consented_get_it_each_once_with_a_one_click_unsubscribe(run_jobs, settings):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="Mei@Example.com", name="梅")
    f.make_lead(email="no-consent@example.com", consent_at=None)
    f.make_lead(email="", phone="+8613800000003")
    f.make_lead(email="left@example.com")
    MarketingOptOut.objects.create(email="left@example.com")
    broadcast = _create(body="**你好** <script>alert(1)</script> [课程](https://example.com/c)")
    run_jobs()
    assert _addresses() == ["mei@example.com"]
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    assert "<strong>你好</strong>" in html and "<script>" not in html
    link = re.search(r"https?://\S+(/news/unsubscribe/\S+/)", message.body).group(1)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in message.extra_headers["List-Unsubscribe"]
    statuses = dict(broadcast.recipients.values_list("email", "status"))
    assert statuses == {
        "mei@example.com": Status.SENT,
        "no-consent@example.com": Status.SKIPPED,
        "": Status.SKIPPED,
        "left@example.com": Status.UNSUBSCRIBED,
    }
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT


def test_the_unsubscribe_link_asks_on_get_acts_on_post_without_sign_in_and_is_honoured(
    client, run_jobs, settings
):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="mei@example.com")
    f.make_lead(email="lin@example.com")
    _create()
    run_jobs()
    mei = next(m for m in mail.outbox if m.to == ["mei@example.com"])
    link = re.search(r"https?://\S+(/news/unsubscribe/\S+/)", mei.body).group(1)

    page = client.get(link)  # a link checker or a preview opening it changes nothing
    assert page.status_code == 200 and b"<form" in page.content
    assert not MarketingOptOut.objects.exists()
    done = client.post(link)  # the button, or the mail client's one-click POST (no CSRF token)
    assert done.status_code == 200 and b'id="unsubscribed"' in done.content
    assert MarketingOptOut.objects.filter(email="mei@example.com").exists()
    assert BroadcastRecipient.objects.get(email="mei@example.com").unsubscribed_at is not None
    assert client.post(link).status_code == 200  # twice is harmless

    mail.outbox.clear()
    second = _create(subject="再来一期")
    run_jobs()
    assert _addresses() == ["lin@example.com"]
    assert second.recipients.get(email="mei@example.com").status == Status.UNSUBSCRIBED


def test_a_forged_unsubscribe_link_is_refused(client, db):
    assert client.get(reverse("broadcast_unsubscribe", args=["forged"])).status_code == 400
    assert client.post(reverse("broadcast_unsubscribe", args=["forged"])).status_code == 400


def test_someone_who_unsubscribes_while_it_is_waiting_is_not_sent(run_jobs, settings, client):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="mei@example.com")
    f.make_lead(email="lin@example.com")
    broadcast = _create()
    client.post(reverse("billing:follow_up_unsubscribe", args=[_billing_token("mei@example.com")]))
    run_jobs()
    assert _addresses() == ["lin@example.com"]
    assert broadcast.recipients.get(email="mei@example.com").status == Status.UNSUBSCRIBED


def _billing_token(email: str) -> str:
    from billing.services.follow_ups import follow_up_unsubscribe_token

    return follow_up_unsubscribe_token(email)


# --- exactly once ----------------------------------------------------------------------------


class WorkerKilled(BaseException):
    """What SIGKILL would do, at the worst moment: after the SMTP server took the message."""


class KilledAfterBackend(EmailBackend):
    """Delivers (into mail.outbox) like locmem; the process "dies" just after the Nth e-mail."""

    die_after: int | None = None

    def send_messages(self, messages):
        sent = super().send_messages(messages)
        if KilledAfterBackend.die_after is not None and len(mail.outbox) == KilledAfterBackend.die_after:
            KilledAfterBackend.die_after = None
            raise WorkerKilled
        return sent


def test_a_broadcast_killed_mid_way_and_resumed_sends_each_recipient_once(settings, run_jobs):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    settings.EMAIL_BACKEND = f"{__name__}.KilledAfterBackend"
    for n in range(12):
        f.make_lead(email=f"p{n}@example.com")
    broadcast = _create()
    KilledAfterBackend.die_after = 5
    with pytest.raises(WorkerKilled):
        broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk)
    assert broadcast.recipients.filter(status=Status.SENT).count() == 4
    assert broadcast.recipients.filter(status=Status.SENDING).count() == 1  # in doubt

    # the worker restarts: the outbox's start job and the schedule's resume both run it again
    run_jobs()
    broadcasts.broadcasts_resume()
    run_jobs()
    addresses = _addresses()
    assert sorted(addresses) == sorted({f"p{n}@example.com" for n in range(12)})  # each exactly once
    in_doubt = broadcast.recipients.get(status=Status.FAILED)
    assert in_doubt.reason == broadcasts.INTERRUPTED and in_doubt.retry is False
    assert broadcast.recipients.filter(status=Status.SENT).count() == 11
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT


def test_a_batch_run_twice_or_alongside_another_sends_nobody_twice(settings, run_jobs):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    for n in range(5):
        f.make_lead(email=f"p{n}@example.com")
    broadcast = _create()
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 5
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 0
    run_jobs()
    assert sorted(_addresses()) == [f"p{n}@example.com" for n in range(5)]
    # a batch holding the lease keeps a second one out
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.SENDING, batch_until=timezone.now() + timedelta(minutes=5)
    )
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 0


def test_batches_keep_to_the_rate(settings, run_jobs):
    settings.BROADCAST_RATE_PER_MINUTE = 3
    for n in range(7):
        f.make_lead(email=f"p{n}@example.com")
    broadcast = _create()
    run_jobs()
    assert len(mail.outbox) == 3  # the next batch waits about a minute (RQ's scheduler)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENDING and broadcast.job_id


# --- SMTP faults -------------------------------------------------------------------------------


class FlakySMTPBackend(EmailBackend):
    """Answers as an SMTP server would: refused addresses, or a dropped connection."""

    refused: dict[str, tuple[int, bytes]] = {}
    down = False

    def send_messages(self, messages):
        if FlakySMTPBackend.down:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        for message in messages:
            for address in message.to:
                if address in FlakySMTPBackend.refused:
                    raise smtplib.SMTPRecipientsRefused({address: FlakySMTPBackend.refused[address]})
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTPBackend"
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    FlakySMTPBackend.refused, FlakySMTPBackend.down = {}, False
    yield FlakySMTPBackend
    FlakySMTPBackend.refused, FlakySMTPBackend.down = {}, False


def test_a_recipient_refused_for_good_is_bounced_with_the_servers_answer(flaky, run_jobs):
    for email in ("a@example.com", "gone@example.com", "c@example.com"):
        f.make_lead(email=email)
    flaky.refused = {"gone@example.com": (550, b"5.1.1 <gone@example.com>: no such user")}
    broadcast = _create()
    run_jobs()
    assert sorted(_addresses()) == ["a@example.com", "c@example.com"]
    gone = broadcast.recipients.get(email="gone@example.com")
    assert gone.status == Status.BOUNCED and gone.reason == "550 5.1.1 <gone@example.com>: no such user"
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT


def test_an_unreachable_smtp_server_fails_the_row_with_the_reason_and_retries_later(flaky, run_jobs):
    for email in ("a@example.com", "b@example.com"):
        f.make_lead(email=email)
    flaky.down = True
    broadcast = _create()
    run_jobs()
    first = broadcast.recipients.order_by("pk").first()
    assert first.status == Status.FAILED and first.retry
    assert first.reason == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert broadcast.recipients.filter(status=Status.PENDING).count() == 1  # the batch stopped
    # the job waits for RQ's retry (backoff) in the scheduled registry, not in the worker
    from onepco.outbox import get_queue

    assert get_queue().scheduled_job_registry.count == 1
    assert get_queue().count == 0
    flaky.down = False
    broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk)  # what the retry runs
    assert sorted(_addresses()) == ["a@example.com", "b@example.com"]
    assert broadcast.recipients.get(pk=first.pk).attempts == 2


def test_a_row_that_keeps_failing_is_failed_for_good(flaky, db):
    f.make_lead(email="a@example.com")
    flaky.down = True
    broadcast = _create()
    for _attempt in range(broadcasts.MAX_ATTEMPTS):
        with pytest.raises(broadcasts.BroadcastDeferred):
            broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk)
    row = broadcast.recipients.get()
    assert row.status == Status.FAILED and not row.retry and row.attempts == broadcasts.MAX_ATTEMPTS
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 0
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT  # finished, with its failure shown


# --- scheduling, cancelling ------------------------------------------------------------------


def test_a_scheduled_broadcast_goes_out_at_its_time(run_jobs, settings):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="a@example.com")
    broadcast = _create(send_at=timezone.now() + timedelta(hours=2))
    run_jobs()
    assert mail.outbox == []
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 0  # too early
    Broadcast.objects.filter(pk=broadcast.pk).update(send_at=timezone.now() - timedelta(seconds=1), job_id="")
    assert broadcasts.broadcasts_resume() == 1
    run_jobs()
    assert _addresses() == ["a@example.com"]


def test_a_broadcast_cancelled_while_sending_sends_no_more(founder_client, run_jobs, settings):
    settings.BROADCAST_RATE_PER_MINUTE = 2
    for n in range(6):
        f.make_lead(email=f"p{n}@example.com")
    broadcast = _create()
    run_jobs()
    assert len(mail.outbox) == 2
    response = founder_client.post(reverse("broadcast_cancel", args=[broadcast.pk]))
    assert response.status_code == 302
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELLED
    assert broadcast.recipients.filter(status=Status.CANCELLED).count() == 4
    assert broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk) == 0
    broadcasts.broadcasts_resume()
    run_jobs()
    assert len(mail.outbox) == 2
    # cancelling again says there is nothing left
    founder_client.post(reverse("broadcast_cancel", args=[broadcast.pk]))
    assert broadcast.recipients.filter(status=Status.CANCELLED).count() == 4


# --- the console ---------------------------------------------------------------------------------


def test_the_founder_sends_from_the_composer_after_seeing_the_count(founder_client, run_jobs, settings):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="a@example.com", status="contacted")
    f.make_lead(email="b@example.com", status="new")
    review = _compose(founder_client, lead_status="contacted")
    assert review.status_code == 200 and review.context["summary"].reachable == 1
    assert b'value="send"' in review.content
    sent = _compose(founder_client, lead_status="contacted", action="send")
    broadcast = Broadcast.objects.get()
    assert sent.status_code == 302 and sent["Location"] == reverse("broadcast_detail", args=[broadcast.pk])
    assert broadcast.filters == {"status": "contacted"} and "contacted" not in broadcast.segment_label
    run_jobs()
    assert _addresses() == ["a@example.com"]


def test_an_empty_segment_cannot_be_sent(founder_client):
    f.make_lead(email="a@example.com", status="new", consent_at=None)
    response = _compose(founder_client, lead_status="new", action="send")
    assert response.status_code == 400
    assert (
        "Nobody in this segment" in str(response.context["form"].errors["segment"])
        or response.context["form"].errors["segment"]
    )
    assert not Broadcast.objects.exists() and not BroadcastRecipient.objects.exists()
    review = _compose(founder_client, lead_status="won")
    assert review.status_code == 400 and b'value="send"' not in review.content


def test_bad_input_is_answered_next_to_the_field(founder_client, cohort_a):
    response = _compose(founder_client, subject="", segment="cohort_students", when="later", send_at="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"subject", "cohort", "send_at"}
    past = _compose(founder_client, when="later", send_at="2020-01-01T10:00")
    assert "send_at" in past.context["form"].errors
    assert founder_client.post(reverse("broadcast_new"), {"segment": "nonsense"}).status_code == 400


def test_students_outsiders_and_anonymous_cannot_use_broadcasts(client, student_client, outsider_client):
    f.make_lead(email="a@example.com")
    broadcast = _create()
    urls = [
        ("get", reverse("broadcast_list")),
        ("get", reverse("broadcast_new")),
        ("post", reverse("broadcast_new")),
        ("post", reverse("broadcast_preview")),
        ("get", reverse("broadcast_detail", args=[broadcast.pk])),
        ("post", reverse("broadcast_cancel", args=[broadcast.pk])),
    ]
    for method, url in urls:
        assert getattr(student_client, method)(url).status_code == 403, url
        assert getattr(outsider_client, method)(url).status_code == 403, url
        assert getattr(client, method)(url).status_code == 302, url
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SCHEDULED


def test_the_preview_is_the_sanitised_e_mail(founder_client):
    response = founder_client.post(
        reverse("broadcast_preview"), {"subject": "标题", "body": "**粗** <img src=x onerror=alert(1)>"}
    )
    assert response.status_code == 200
    assert b"<strong>" in response.content and b"onerror" not in response.content
    assert "标题" in response.content.decode()


def test_the_list_and_a_broadcasts_page_take_a_bounded_number_of_queries(
    founder_client, django_assert_max_num_queries, run_jobs, settings
):
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    for n in range(60):
        f.make_lead(email=f"p{n}@example.com", name=f"人{n}")
    for _n in range(3):
        broadcast = _create()
    run_jobs()
    with django_assert_max_num_queries(12):
        listing = founder_client.get(reverse("broadcast_list"))
    assert listing.status_code == 200 and listing.content.count(b"badge-sent") == 3
    with django_assert_max_num_queries(12):
        page = founder_client.get(reverse("broadcast_detail", args=[broadcast.pk]))
    assert page.status_code == 200 and page.context["counts"]["sent"] == 60
    assert len(page.context["rows"]) == 50
    assert (
        founder_client.get(reverse("broadcast_detail", args=[broadcast.pk]), {"page": 2}).status_code == 200
    )
    failed = founder_client.get(reverse("broadcast_detail", args=[broadcast.pk]), {"status": "failed"})
    assert len(failed.context["rows"]) == 0


# --- personal data ---------------------------------------------------------------------------------


def test_a_persons_broadcasts_are_in_their_download_and_erased_with_them(founder, run_jobs, settings):
    from console.erasure import person_erase, person_for
    from console.personal import personal_data_for

    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    lead = f.make_lead(email="mei@example.com", name="梅")
    f.make_lead(email="lin@example.com")
    _create(subject="春季班")
    run_jobs()
    data = personal_data_for(email="mei@example.com")
    assert [(row["email"], row["status"], row["broadcast__subject"]) for row in data["broadcasts"]] == [
        ("mei@example.com", "sent", "春季班")
    ]
    person_erase(person=person_for(lead=Lead.objects.get(pk=lead.pk)), erased_by=founder, reason="request")
    erased = BroadcastRecipient.objects.get(lead=lead)
    assert (erased.email, erased.name, erased.status) == ("", "", Status.SENT)
    assert BroadcastRecipient.objects.filter(email="lin@example.com").exists()


def test_broadcasts_are_in_the_business_archive(db):
    from console.archive import exported_models

    assert {Broadcast, BroadcastRecipient} <= set(exported_models())


def test_the_lead_lists_link_opens_the_composer_with_its_filters(founder_client):
    f.make_lead(email="a@example.com", status="contacted", channel="wechat")
    listing = founder_client.get(reverse("crm:lead_list"), {"status": "contacted", "channel": "wechat"})
    link = re.search(r'href="(/console/broadcasts/new/\?[^"]+)"', listing.content.decode()).group(1)
    composer = founder_client.get(link.replace("&amp;", "&"))
    assert composer.status_code == 200
    form = composer.context["form"]
    assert (form["lead_status"].value(), form["lead_channel"].value()) == ("contacted", "wechat")
    # a date that is not one is the form's to refuse when it is posted, never a 500
    assert founder_client.get(reverse("broadcast_new"), {"date_from": "nonsense"}).status_code == 200


def test_a_real_smtp_server_that_refuses_connections_fails_the_row_with_the_reason(settings, db):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    settings.BROADCAST_RATE_PER_MINUTE = 10_000
    f.make_lead(email="a@example.com")
    broadcast = _create()
    with pytest.raises(broadcasts.BroadcastDeferred):
        broadcasts.broadcast_send_batch(broadcast_id=broadcast.pk)
    row = broadcast.recipients.get()
    assert row.status == Status.FAILED and row.retry and row.reason.startswith("ConnectionRefusedError")
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENDING and broadcast.batch_until is None


def test_a_broadcast_scheduled_from_the_composer_waits_in_rqs_scheduler(founder_client, run_jobs):
    from onepco.outbox import get_queue

    f.make_lead(email="a@example.com")
    later = timezone.localtime() + timedelta(days=1)
    response = _compose(founder_client, action="send", when="later", send_at=later.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.status == Broadcast.Status.SCHEDULED
    assert abs((broadcast.send_at - later).total_seconds()) < 60
    run_jobs()
    assert mail.outbox == []
    broadcast.refresh_from_db()
    assert get_queue().scheduled_job_registry.get_job_ids() == [broadcast.job_id]
    assert broadcasts.broadcasts_resume() == 0  # its job is alive: nothing queued twice
    page = founder_client.get(reverse("broadcast_detail", args=[broadcast.pk]))
    assert "将于" in page.content.decode()


def test_the_schedule_resumes_broadcasts_every_minute():
    from rq.cron import CronScheduler

    from onepco.outbox import redis_connection

    scheduler = CronScheduler(connection=redis_connection())
    scheduler.load_config_from_file("console/cron.py")
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert jobs["broadcasts"].interval == 60
    assert jobs["broadcasts"].func_name == "console.jobs.resume_broadcasts"
