"""Seats cannot be hoarded for free: checkout is rate limited per visitor and per contact, a
proof of transfer is taken only for a real manual transfer, its hold is bounded, and the
founder sees held seats and can release them."""

from datetime import timedelta

import pytest
from django.core.checks import run_checks
from django.utils import timezone

from billing.models import Order, PaymentEvent, TransferProof
from billing.selectors import cohort_seats_left
from billing.services import orders_expire
from cohorts.models import Enrollment
from crm.models import Lead
from tests import factories as f
from tests.billing.conftest import image_bytes, manual_chosen, proof_post

BUYER = {"name": "李雷", "email": "lilei@example.com", "phone": "13900000000", "consent": "on"}


def buyer(i: int, **overrides) -> dict:
    return {**BUYER, "email": f"buyer{i}@example.com", "phone": f"1390000{i:04d}", **overrides}


# --- checkout rate limits ------------------------------------------------------------------


def test_checkouts_from_one_address_are_limited_and_nothing_is_created(client, cohort, settings):
    settings.CHECKOUT_RATE_LIMIT = "3/h"
    codes = [client.post("/courses/py-7/buy/", buyer(i)).status_code for i in range(3)]
    assert codes == [302, 302, 302]
    orders, leads = Order.objects.count(), Lead.objects.count()

    response = client.post("/courses/py-7/buy/", buyer(9))

    assert response.status_code == 429
    assert response.context["form"].non_field_errors()
    assert "请稍后再试" in response.content.decode()
    assert (Order.objects.count(), Lead.objects.count()) == (orders, leads)
    assert not Lead.objects.filter(email="buyer9@example.com").exists()


def test_a_forged_forwarded_for_does_not_escape_the_checkout_limit(client, cohort, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/h"
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy: only its entry (the last) is believed

    def post(i: int, forwarded: str) -> int:
        return client.post("/courses/py-7/buy/", buyer(i), HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert post(1, "10.0.0.1, 203.0.113.7") == 302
    assert post(2, "10.0.0.2, 203.0.113.7") == 302
    assert post(3, "10.0.0.3, 203.0.113.7") == 429
    assert post(4, "203.0.113.99") == 302  # another visitor
    assert Order.objects.count() == 3


def test_checkouts_for_one_email_or_phone_are_limited_from_any_address(client, cohort, settings):
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "2/h"

    def post(data: dict, address: str) -> int:
        return client.post("/courses/py-7/buy/", data, REMOTE_ADDR=address).status_code

    same_email = [post(buyer(i, email="hoarder@example.com"), f"198.51.100.{i}") for i in range(3)]
    assert same_email == [302, 302, 429]
    phones = ["139 0000 1234", "+86 13900001234", "13900001234"]
    same_phone = [post(buyer(10 + i, phone=p), f"192.0.2.{i}") for i, p in enumerate(phones)]
    assert same_phone == [302, 302, 429]
    assert Order.objects.count() == 3  # the same e-mail got its pending order back


def test_malformed_checkout_rate_settings_stop_the_start(settings):
    settings.CHECKOUT_RATE_LIMIT = "10/min"
    assert "billing.E002" in [m.id for m in run_checks()]
    settings.CHECKOUT_RATE_LIMIT = "10/h"
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "lots"
    assert "billing.E002" in [m.id for m in run_checks()]
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "5/h"
    assert "billing.E002" not in [m.id for m in run_checks()]


# --- who may send a proof ------------------------------------------------------------------


def test_a_proof_is_refused_when_manual_transfer_is_not_offered(client, order):
    expires_at = order.expires_at
    response = proof_post(client, order)

    assert response.status_code == 400
    assert "不提供转账支付" in response.content.decode()
    assert TransferProof.objects.count() == 0
    order.refresh_from_db()
    assert order.expires_at == expires_at and order.provider == ""


def test_a_proof_is_refused_unless_the_buyer_chose_manual_transfer(client, order, payee, stripe_on, settings):
    Order.objects.filter(pk=order.pk).update(provider="stripe", provider_trade_no="cs_test_1")
    expires_at = order.expires_at

    response = proof_post(client, order)

    assert response.status_code == 400
    assert TransferProof.objects.count() == 0
    order.refresh_from_db()
    assert order.expires_at == expires_at and order.provider == "stripe"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n",  # eight bytes that only start like a PNG
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"\xff\xd8\xff\xe0" + b"JFIF" * 20,
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        image_bytes("GIF"),
    ],
    ids=["8-byte-png", "padded-png", "fake-jpeg", "svg", "gif"],
)
def test_a_proof_that_is_not_a_real_image_is_refused_next_to_the_field(client, order, payee, content):
    manual_chosen(client, order)
    expires_at = Order.objects.get().expires_at

    response = proof_post(client, order, content)

    assert response.status_code == 400
    assert response.context["proof_form"].errors["image"]
    assert "PNG、JPEG 或 WebP" in response.content.decode()
    assert TransferProof.objects.count() == 0
    assert Order.objects.get().expires_at == expires_at


def test_a_proof_too_many_pixels_is_refused(client, order, payee, monkeypatch):
    import onepco.images

    monkeypatch.setattr(onepco.images, "MAX_PIXELS", 100)
    manual_chosen(client, order)
    response = proof_post(client, order, image_bytes(size=(20, 20)))
    assert response.status_code == 400 and response.context["proof_form"].errors["image"]
    assert TransferProof.objects.count() == 0


# --- the hold a proof gives ----------------------------------------------------------------


def test_a_proof_holds_the_seat_for_a_bounded_time_from_its_upload(client, order, payee, settings):
    settings.ORDER_PROOF_HOLD_HOURS = 48
    manual_chosen(client, order)

    response = proof_post(client, order)

    assert response.status_code == 302
    proof = TransferProof.objects.get()
    order.refresh_from_db()
    assert order.expires_at == proof.uploaded_at + timedelta(hours=48)


def test_uploading_again_and_again_never_extends_the_hold(client, order, payee, settings):
    settings.ORDER_PROOF_HOLD_HOURS = 48
    manual_chosen(client, order)
    proof_post(client, order)
    first = TransferProof.objects.get()
    # Forty hours later the same order uploads another screenshot.
    earlier = first.uploaded_at - timedelta(hours=40)
    TransferProof.objects.update(uploaded_at=earlier)
    Order.objects.filter(pk=order.pk).update(expires_at=earlier + timedelta(hours=48))

    assert proof_post(client, order).status_code == 302

    order.refresh_from_db()
    assert TransferProof.objects.count() == 2
    assert order.expires_at == earlier + timedelta(hours=48)


def test_the_number_of_proofs_per_order_is_capped(client, order, payee):
    from billing.services.transfers import PROOFS_PER_ORDER

    manual_chosen(client, order)
    for _ in range(PROOFS_PER_ORDER):
        assert proof_post(client, order).status_code == 302

    response = proof_post(client, order)

    assert response.status_code == 400
    assert TransferProof.objects.count() == PROOFS_PER_ORDER


def test_after_the_hold_the_sweep_expires_the_order_even_with_a_pending_proof(
    client, founder_client, order, payee, settings
):
    settings.ORDER_PROOF_HOLD_HOURS = 48
    manual_chosen(client, order)
    proof_post(client, order)
    proof = TransferProof.objects.get()

    assert orders_expire(now=timezone.now() + timedelta(hours=47)) == 0
    assert orders_expire(now=timezone.now() + timedelta(hours=49)) == 1
    order.refresh_from_db()
    assert order.status == "expired"
    assert cohort_seats_left(order.cohort) == order.cohort.capacity

    # The money did arrive after all: the founder confirms it through the normal payment path.
    page = founder_client.get(f"/console/orders/{order.number}/")
    assert f"/console/orders/{order.number}/confirm/" in page.content.decode()
    founder_client.post(f"/console/orders/{order.number}/confirm/", {"proof": proof.pk})

    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at is not None
    assert Enrollment.objects.get().status == "active"
    event = PaymentEvent.objects.get(order=order, outcome="applied")
    assert "expired" in event.error
    assert TransferProof.objects.get().status == "confirmed"


# --- what the founder sees and does ----------------------------------------------------------


def test_the_founder_sees_seats_held_by_proofs(client, founder_client, order, payee, cohort):
    manual_chosen(client, order)
    proof_post(client, order)
    f.make_order(cohort, expires_at=timezone.now() + timedelta(minutes=10))  # an ordinary hold
    order.refresh_from_db()
    until = timezone.localtime(order.expires_at).strftime("%m-%d %H:%M")

    detail = founder_client.get(f"/console/orders/{order.number}/").content.decode()
    listing = founder_client.get("/console/orders/")

    assert "名额由转账凭证保留至" in detail and until in detail
    assert f"/console/orders/{order.number}/release/" in detail
    text = listing.content.decode()
    assert "名额由转账凭证保留至" in text and until in text
    holds = {c.pk: (c.unpaid_holds, c.proof_holds) for c in listing.context["unpaid_holds"]}
    assert holds == {cohort.pk: (2, 1)}


def test_the_founder_releases_a_seat_held_by_a_proof(client, founder_client, founder, order, payee):
    manual_chosen(client, order)
    proof_post(client, order)
    seats = cohort_seats_left(order.cohort)

    response = founder_client.post(f"/console/orders/{order.number}/release/")

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "expired" and order.closed_at is not None
    proof = TransferProof.objects.get()
    assert proof.status == "rejected" and proof.reviewed_by == founder and proof.reject_reason
    assert cohort_seats_left(order.cohort) == seats + 1
    # Releasing twice says why instead of failing.
    again = founder_client.post(f"/console/orders/{order.number}/release/", follow=True)
    assert again.status_code == 200 and list(again.context["messages"])


def test_only_the_founder_can_release_a_seat(client, student_client, outsider_client, order):
    url = f"/console/orders/{order.number}/release/"
    assert student_client.post(url).status_code == 403
    assert outsider_client.post(url).status_code == 403
    assert client.post(url).status_code == 302
    order.refresh_from_db()
    assert order.status == "pending"
