"""Buying a seat from the course page, the payment page, expiry and reconciliation."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing.jobs import reconcile_payments
from billing.models import Order, PaymentEvent
from billing.services import orders_expire, payments_reconcile
from crm.models import Lead, LeadTouch
from tests import factories as f

BUYER = {"name": "李雷", "email": "LiLei@Example.com", "phone": "13900000000", "consent": "on"}


def test_checkout_places_a_pending_order_linked_to_a_lead(client, cohort):
    response = client.post("/courses/py-7/buy/", BUYER)

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pay/{order.number}/"
    assert order.status == "pending" and order.amount == Decimal("1999.00") and order.currency == "CNY"
    assert order.buyer_email == "lilei@example.com"
    assert timedelta(minutes=29) < order.expires_at - timezone.now() <= timedelta(minutes=30)
    assert order.lead.email == "lilei@example.com"
    assert LeadTouch.objects.get(lead=order.lead).kind == "checkout"


def test_checkout_again_returns_the_same_pending_order(client, cohort):
    client.post("/courses/py-7/buy/", BUYER)
    client.post("/courses/py-7/buy/", BUYER)
    assert Order.objects.count() == 1
    assert Lead.objects.count() == 1


@pytest.mark.parametrize(
    "missing, field, message",
    [
        (["name"], "name", "请填写姓名。"),
        (["email", "phone"], "phone", "请填写邮箱或手机号（至少一项）。"),
        (["consent"], "consent", "请勾选同意，我们才能处理你的订单。"),
    ],
)
def test_checkout_without_a_required_field_says_which_in_the_founders_words(
    client, cohort, missing, field, message
):
    data = {key: value for key, value in BUYER.items() if key not in missing}
    response = client.post("/courses/py-7/buy/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert message in response.content.decode()
    assert Order.objects.count() == 0 and Lead.objects.count() == 0


def test_checkout_of_a_full_cohort_is_refused(client, cohort):
    for _ in range(cohort.capacity):
        f.make_order(cohort, status="paid")
    response = client.get("/courses/py-7/buy/")
    assert response.status_code == 200 and response.context["sold_out"]
    response = client.post("/courses/py-7/buy/", BUYER)
    assert response.status_code == 200 and Order.objects.filter(status="pending").count() == 0


def test_checkout_of_an_unknown_course_is_404(client, db):
    assert client.get("/courses/nope/buy/").status_code == 404


def test_cohort_not_open_for_sale_cannot_be_bought(client, cohort):
    cohort.sale_open = False
    cohort.save()
    response = client.post("/courses/py-7/buy/", BUYER)
    assert response.status_code == 404 and Order.objects.count() == 0


def test_pay_page_offers_only_enabled_methods(client, order, stripe_on):
    response = client.get(f"/pay/{order.number}/")
    assert response.status_code == 200
    assert [value for value, _ in response.context["form"].fields["method"].choices] == ["stripe"]
    response = client.post(f"/pay/{order.number}/", {"method": "alipay"})
    assert Order.objects.get().provider == ""


def test_unknown_order_number_is_404(client, db):
    assert client.get("/pay/OP000000XXXXXXXXXX/").status_code == 404


def test_return_url_never_marks_paid(client, order, stripe_on):
    response = client.get(f"/pay/{order.number}/return/?session_id=cs_test_a1")
    assert response.status_code == 200
    assert order.__class__.objects.get().status == "pending"
    assert b"pay-status" in response.content  # "processing", polling


def test_status_poll_reloads_once_paid(client, order):
    assert "HX-Refresh" not in client.get(f"/pay/{order.number}/status/")
    Order.objects.filter(pk=order.pk).update(status="paid", paid_at=timezone.now())
    assert client.get(f"/pay/{order.number}/status/")["HX-Refresh"] == "true"


def test_expired_order_frees_its_seat(cohort):
    cohort.capacity = 1
    cohort.save()
    stale = f.make_order(cohort, expires_at=timezone.now() - timedelta(minutes=1))
    fresh = f.make_order(cohort, expires_at=timezone.now() + timedelta(minutes=5))

    assert orders_expire() == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == "expired" and stale.closed_at is not None
    assert fresh.status == "pending"


def test_expired_order_page_cannot_be_paid(client, order, stripe_on):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(f"/pay/{order.number}/", {"method": "stripe"})
    assert response.status_code == 200 and not response.context["payable"]


def test_reconcile_queries_old_pending_orders_then_expires_stale_ones(order, wechat_on, keys, monkeypatch):
    import requests

    from tests.billing.conftest import FakeWechatResponse, wechat_transaction

    old = timezone.now() - timedelta(minutes=10)
    Order.objects.filter(pk=order.pk).update(provider="wechat", created_at=old)
    unpaid = f.make_order(
        order.cohort, provider="wechat", created_at=old, expires_at=timezone.now() - timedelta(minutes=1)
    )
    order.refresh_from_db()
    answers = {
        order.number: FakeWechatResponse(200, wechat_transaction(order), keys["wechat_platform"]),
        unpaid.number: FakeWechatResponse(
            200, wechat_transaction(unpaid, trade_state="NOTPAY"), keys["wechat_platform"]
        ),
    }
    monkeypatch.setattr(
        requests, "get", lambda url, **kw: answers[url.split("/out-trade-no/")[1].split("?")[0]]
    )

    result = payments_reconcile()

    assert result == {"queried": 2, "applied": 1, "failed": 0, "expired": 1, "trials_paid": 0}
    assert Order.objects.get(pk=order.pk).status == "paid"
    assert Order.objects.get(pk=unpaid.pk).status == "expired"
    assert PaymentEvent.objects.filter(kind="query").count() == 2


def test_reconcile_command_runs(db, capsys):
    f.make_order(f.make_cohort(), expires_at=timezone.now() - timedelta(minutes=1))
    call_command("reconcile_payments")
    assert "expired=1" in capsys.readouterr().out


def test_reconcile_and_expiry_are_scheduled_every_ten_minutes():
    import django_rq
    from rq.cron import CronScheduler

    # Read as `manage.py rqcron console/cron.py` reads it (RQ's module-level registry is
    # emptied by every load, so importing console.cron alone depends on test order).
    scheduler = CronScheduler(connection=django_rq.get_connection("default"))
    scheduler.load_config_from_file("console/cron.py")

    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert jobs["reconcile-payments"].interval == 600
    assert jobs["reconcile-payments"].func is reconcile_payments


def test_checkout_credits_the_post_that_brought_the_buyer(client, cohort):
    client.get("/courses/py-7/buy/?utm_source=xhs&utm_campaign=launch")
    client.post("/courses/py-7/buy/", BUYER)
    lead = Order.objects.get().lead
    assert lead.utm_source == "xhs" and lead.utm_campaign == "launch"


def test_course_page_offers_buy_a_seat_while_seats_are_left(client, cohort):
    assert b'href="/courses/py-7/buy/"' in client.get("/courses/python-bootcamp/").content
    for _ in range(cohort.capacity):
        f.make_order(cohort, status="paid")
    assert b'href="/courses/py-7/buy/"' not in client.get("/courses/python-bootcamp/").content


def test_lead_page_offers_create_order(founder_client, db):
    lead = f.make_lead()
    response = founder_client.get(f"/console/leads/{lead.pk}/")
    assert f'href="/console/orders/new/?lead={lead.pk}"'.encode() in response.content


def test_an_order_without_expiry_can_still_be_paid(client, cohort, simulated_on):
    order = f.make_order(cohort)  # as made in admin: no expires_at
    assert client.get(f"/pay/{order.number}/").context["payable"]
    client.post(f"/pay/{order.number}/", {"method": "simulated"})
    order.refresh_from_db()
    assert order.provider == "simulated" and order.expires_at > timezone.now()
