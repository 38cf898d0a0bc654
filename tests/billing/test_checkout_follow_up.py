"""Abandoned checkout (#17): an order that expired unpaid sends its buyer one e-mail with a
fresh checkout link after the founder's delay, however often the job runs; none after paying,
after unsubscribing, or once the cohort is full."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from billing.jobs import send_checkout_follow_ups
from billing.models import CheckoutFollowUp, Order
from billing.services import orders_expire
from onepco.models import MarketingOptOut
from onepco.outbox import get_queue
from tests import factories as f

pytestmark = pytest.mark.django_db


def _expired_order(email: str = "mei@example.com", *, minutes_ago: int = 150, capacity: int = 10):
    cohort = f.make_cohort(slug="sql-camp-3", capacity=capacity, sale_open=True, price=Decimal("999.00"),
                           starts_on=timezone.localdate() + timedelta(days=10))  # fmt: skip
    past = timezone.now() - timedelta(minutes=minutes_ago)
    order = f.make_order(cohort, buyer_email=email, status=Order.Status.PENDING, expires_at=past)
    orders_expire(now=past)
    order.refresh_from_db()
    assert order.status == "expired"
    return cohort, order


def _run_the_job(run_jobs) -> None:
    """The cron entry's job itself, enqueued in RQ as the scheduler does, run by a burst worker."""
    get_queue().enqueue(send_checkout_follow_ups)
    run_jobs()


def _follow_ups(email: str) -> list:
    return [m for m in mail.outbox if m.to == [email] and "仍有名额" in m.subject]


def test_one_follow_up_with_a_fresh_link_however_often_the_job_runs(client, run_jobs):
    cohort, order = _expired_order()
    for _ in range(3):
        _run_the_job(run_jobs)
    sent = _follow_ups("mei@example.com")
    assert len(sent) == 1 and CheckoutFollowUp.objects.get().order == order
    assert reverse("billing:checkout", args=[cohort.slug]) in sent[0].body
    assert sent[0].extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # a second expired order of the same person for the same cohort: still only the one
    again = f.make_order(cohort, buyer_email="mei@example.com", status=Order.Status.EXPIRED,
                         expires_at=timezone.now() - timedelta(hours=3),
                         closed_at=timezone.now() - timedelta(hours=3))  # fmt: skip
    _run_the_job(run_jobs)
    assert len(_follow_ups("mei@example.com")) == 1 and again.pk


def test_not_before_the_founders_delay(settings, run_jobs):
    settings.ABANDONED_CHECKOUT_DELAY_MINUTES = 240
    _expired_order(minutes_ago=150)
    _run_the_job(run_jobs)
    assert _follow_ups("mei@example.com") == []
    settings.ABANDONED_CHECKOUT_DELAY_MINUTES = 120
    _run_the_job(run_jobs)
    assert len(_follow_ups("mei@example.com")) == 1


def test_not_after_paying(run_jobs):
    cohort, _order = _expired_order()
    f.make_order(cohort, buyer_email="mei@example.com", status=Order.Status.PAID)
    _run_the_job(run_jobs)
    assert _follow_ups("mei@example.com") == [] and not CheckoutFollowUp.objects.exists()


def test_not_after_unsubscribing_with_one_click_and_no_sign_in(client, run_jobs):
    _cohort, _order = _expired_order("mei@example.com")
    _run_the_job(run_jobs)
    link = re.search(r"https?://\S+(/unsubscribe/\S+/)", _follow_ups("mei@example.com")[0].body).group(1)
    page = client.get(link)  # opening it (or a mail scanner following it) only asks
    assert page.status_code == 200 and "mei@example.com" in page.text and "<form" in page.text
    assert not MarketingOptOut.objects.exists()
    done = client.post(link)  # the button; also a mail client's RFC 8058 one-click POST, no CSRF token
    assert done.status_code == 200 and "mei@example.com" in done.text
    assert MarketingOptOut.objects.filter(email="mei@example.com").exists()
    # the same person's order for another cohort: no e-mail after unsubscribing
    other = f.make_cohort(capacity=10, sale_open=True, starts_on=timezone.localdate() + timedelta(days=10))
    f.make_order(other, buyer_email="mei@example.com", status=Order.Status.EXPIRED,
                 closed_at=timezone.now() - timedelta(hours=3))  # fmt: skip
    _run_the_job(run_jobs)
    assert len(_follow_ups("mei@example.com")) == 1
    assert client.post(link).status_code == 200  # again: still fine, one row
    forged = client.get(reverse("billing:follow_up_unsubscribe", args=["forged-token"]))
    assert forged.status_code == 400 and MarketingOptOut.objects.count() == 1


def test_not_when_no_seat_is_left(run_jobs):
    cohort, _order = _expired_order(capacity=1)
    f.make_order(cohort, status=Order.Status.PAID)
    _run_the_job(run_jobs)
    assert _follow_ups("mei@example.com") == []
