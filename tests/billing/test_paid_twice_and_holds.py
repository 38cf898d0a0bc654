"""A buyer who pays twice for one seat, a failure while applying a payment, and the seat holds
of manual transfers: found by reviewing the late-payment and proof-hold work."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from billing import services
from billing.models import Order, PaymentEvent, TransferProof
from billing.providers import ProviderError
from billing.selectors import cohort_seats_left
from billing.services import payments
from cohorts.models import Enrollment
from onepco.models import OutboxMessage
from tests import factories as f
from tests.billing.conftest import alipay_notification, alipay_post, image_bytes


def test_a_late_payment_by_a_buyer_already_enrolled_takes_no_seat_and_its_refund_keeps_the_seat(
    cohort, order, payee, founder, founder_client
):
    # Order A let its seat go; the buyer placed order B and paid it.
    Order.objects.filter(pk=order.pk).update(provider="manual", status="expired", closed_at=timezone.now())
    second = services.order_place(cohort=cohort, buyer_name="王小明", buyer_email="buyer@example.com")
    services.transfer_confirm(order=second, by=founder)
    enrollment = Enrollment.objects.get()
    seats = cohort_seats_left(cohort)

    # A's transfer arrives late too, and the founder confirms it.
    services.transfer_confirm(order=Order.objects.get(pk=order.pk), by=founder)
    late = Order.objects.get(pk=order.pk)
    assert late.status == "paid" and late.enrollment_id is None and late.waits_for_seat
    assert cohort_seats_left(cohort) == seats  # no second seat taken
    assert (
        OutboxMessage.objects.filter(job="billing.jobs.alert_already_enrolled", args=[late.pk]).count() == 1
    )
    page = founder_client.get(f"/console/orders/{late.number}/").content.decode()
    assert "已经通过另一个订单报名" in page and "名额加一并报名" not in page
    assert founder_client.post(f"/console/orders/{late.number}/enroll/").status_code == 302
    assert Enrollment.objects.count() == 1  # granting a seat is refused

    services.refund_issue(order=late, amount=Decimal(late.amount), reason="重复付款", by=founder)
    enrollment.refresh_from_db()
    assert enrollment.status == "active"  # B still pays for it


def test_refunding_one_of_two_orders_on_one_enrollment_keeps_it(cohort, payee, founder):
    """Data made before the fix may have two paid orders pointing at one enrollment."""
    first = Order.objects.create(
        cohort=cohort, buyer_name="甲", buyer_email="a@example.com", amount=Decimal("10.00"), status="paid",
        paid_at=timezone.now(), provider="manual",
    )  # fmt: skip
    student = f.make_student(f.make_user(email="a@example.com"))
    enrollment = f.make_enrollment(student, cohort)
    second = Order.objects.create(
        cohort=cohort, buyer_name="甲", buyer_email="a@example.com", amount=Decimal("10.00"), status="paid",
        paid_at=timezone.now(), provider="manual", enrollment=enrollment,
    )  # fmt: skip
    Order.objects.filter(pk=first.pk).update(enrollment=enrollment)
    services.refund_issue(
        order=Order.objects.get(pk=first.pk), amount=Decimal("10.00"), reason="重复", by=founder
    )
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    services.refund_issue(order=second, amount=Decimal("10.00"), reason="退课", by=founder)
    enrollment.refresh_from_db()
    assert enrollment.status == "refunded"


def test_a_failure_while_applying_a_payment_is_answered_as_a_failure_so_the_provider_retries(
    client, alipay_on, keys, order, monkeypatch
):
    def racing_account(**kwargs):
        # What a concurrent payment by the same new buyer (another order) makes create_user do.
        raise IntegrityError('duplicate key value violates unique constraint "user_email_ci_unique"')

    monkeypatch.setattr(payments, "user_get_or_create", racing_account)
    answer = alipay_post(client, alipay_notification(order, keys["alipay"]))
    order.refresh_from_db()
    assert answer.status_code == 500 and answer.content != b"success"
    assert order.status == "pending"
    assert PaymentEvent.objects.latest("pk").outcome == "error"
    monkeypatch.undo()
    assert alipay_post(client, alipay_notification(order, keys["alipay"])).content == b"success"  # the retry
    order.refresh_from_db()
    assert order.status == "paid"


def test_releasing_a_hold_closes_the_providers_trade_as_expiry_and_cancel_do(order, founder):
    Order.objects.filter(pk=order.pk).update(provider="alipay")
    services.order_hold_release(order=Order.objects.get(pk=order.pk), by=founder)
    assert OutboxMessage.objects.filter(job="billing.jobs.close_provider_trade", args=[order.pk]).exists()


def test_rejecting_one_proof_keeps_the_hold_of_another_still_under_review(order, payee, founder, settings):
    settings.ORDER_PROOF_HOLD_HOURS = 24
    Order.objects.filter(pk=order.pk).update(provider="manual")
    first = services.transfer_proof_upload(order=order, image=SimpleUploadedFile("a.png", image_bytes()))
    services.transfer_proof_upload(order=order, image=SimpleUploadedFile("b.png", image_bytes()))
    services.transfer_proof_reject(proof=first, by=founder, reason="看不清")
    order.refresh_from_db()
    assert TransferProof.objects.filter(status="pending").count() == 1
    assert order.expires_at > timezone.now() + timedelta(hours=23)


def test_rejecting_the_last_proof_never_revives_a_hold_that_had_passed(order, payee, founder):
    Order.objects.filter(pk=order.pk).update(provider="manual")
    proof = services.transfer_proof_upload(order=order, image=SimpleUploadedFile("a.png", image_bytes()))
    passed = timezone.now() - timedelta(minutes=5)
    Order.objects.filter(pk=order.pk).update(expires_at=passed)
    services.transfer_proof_reject(proof=proof, by=founder, reason="看不清")
    order.refresh_from_db()
    assert order.expires_at == passed


def test_reconcile_does_not_expire_an_order_whose_provider_did_not_answer(alipay_on, order, monkeypatch):
    Order.objects.filter(pk=order.pk).update(
        provider="alipay",
        created_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )

    def unreachable(*, order):
        raise ProviderError("timed out")

    monkeypatch.setattr(payments, "order_query", unreachable)
    result = services.payments_reconcile()
    order.refresh_from_db()
    assert result["failed"] == 1 and order.status == "pending"
