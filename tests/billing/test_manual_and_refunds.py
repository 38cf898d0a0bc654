"""Manual transfer (proof upload, founder confirms or rejects) and refunds with their effect."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.models import Order, Refund, TransferProof
from billing.services import orders_expire, refund_issue, transfer_confirm
from cohorts.models import Enrollment
from crm.models import Lead
from onepco.models import OutboxMessage
from tests import factories as f
from tests.billing.conftest import manual_chosen, proof_post


def upload(client, order, content=None, name="proof.png"):
    """The buyer chooses manual transfer (once) and sends a screenshot."""
    order.refresh_from_db()
    if order.provider != "manual":
        manual_chosen(client, order)
    return proof_post(client, order, content, name)


def test_manual_transfer_is_offered_only_with_an_active_payee(client, order, payee):
    def methods() -> list[str]:
        return [v for v, _ in client.get(f"/pay/{order.number}/").context["form"].fields["method"].choices]

    assert methods() == ["manual"]
    payee.is_active = False
    payee.save()
    assert methods() == []


def test_buyer_uploads_proof_and_the_seat_stays_held_past_the_usual_expiry(client, order, payee):
    client.post(f"/pay/{order.number}/", {"method": "manual"})
    page = client.get(f"/pay/{order.number}/")
    assert "户名：张三".encode() in page.content

    response = upload(client, order)

    assert response.status_code == 302
    proof = TransferProof.objects.get()
    assert proof.status == "pending" and proof.note == "已转账"
    order.refresh_from_db()
    assert order.provider == "manual" and order.expires_at > timezone.now() + timedelta(hours=47)
    assert orders_expire(now=timezone.now() + timedelta(hours=1)) == 0


def test_proof_that_is_not_an_image_is_refused(client, order, payee):
    upload(client, order, content=b"<html>not an image</html>", name="x.png")
    assert TransferProof.objects.count() == 0


def test_founder_confirms_the_transfer_and_the_buyer_is_enrolled(
    client, founder_client, order, payee, run_jobs, mailoutbox
):
    upload(client, order)
    proof = TransferProof.objects.get()

    founder_client.post(f"/console/orders/{order.number}/confirm/", {"proof": proof.pk})

    order.refresh_from_db()
    assert order.status == "paid" and order.provider == "manual" and order.paid_at is not None
    assert Enrollment.objects.get().status == "active"
    assert Lead.objects.get(pk=order.lead_id).status == "won"
    proof.refresh_from_db()
    assert proof.status == "confirmed" and proof.reviewed_by is not None
    run_jobs()
    assert len(mailoutbox) == 1

    founder_client.post(f"/console/orders/{order.number}/confirm/", {"proof": proof.pk})
    assert Enrollment.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_founder_rejects_a_proof_and_nothing_is_paid(client, founder_client, order, payee):
    upload(client, order)
    proof = TransferProof.objects.get()

    founder_client.post(f"/console/orders/{order.number}/proofs/{proof.pk}/reject/", {"reason": "金额不符"})

    proof.refresh_from_db()
    assert proof.status == "rejected" and proof.reject_reason == "金额不符"
    order.refresh_from_db()
    assert order.status == "pending" and order.expires_at < timezone.now() + timedelta(hours=1)
    assert Enrollment.objects.count() == 0


def test_reject_without_reason_changes_nothing(client, founder_client, order, payee):
    upload(client, order)
    proof = TransferProof.objects.get()
    founder_client.post(f"/console/orders/{order.number}/proofs/{proof.pk}/reject/", {"reason": ""})
    assert TransferProof.objects.get().status == "pending"


def paid_manually(order, founder) -> Order:
    transfer_confirm(order=order, by=founder)
    order.refresh_from_db()
    return order


def test_partial_refund_keeps_the_enrollment(founder_client, founder, order, payee):
    order = paid_manually(order, founder)

    founder_client.post(f"/console/orders/{order.number}/refund/", {"amount": "500.00", "reason": "协商"})

    order.refresh_from_db()
    assert order.status == "partially_refunded"
    refund = Refund.objects.get()
    assert refund.status == "succeeded" and refund.amount == Decimal("500.00") and refund.refunded_at
    assert Enrollment.objects.get().status == "active"


def test_full_refund_ends_the_enrollment_and_frees_the_seat(founder_client, founder, order, payee):
    from billing.selectors import cohort_seats_left

    order = paid_manually(order, founder)
    seats = cohort_seats_left(order.cohort)

    founder_client.post(f"/console/orders/{order.number}/refund/", {"amount": "500.00", "reason": "协商"})
    founder_client.post(f"/console/orders/{order.number}/refund/", {"amount": "1499.00", "reason": "退课"})

    order.refresh_from_db()
    assert order.status == "refunded"
    enrollment = Enrollment.objects.get()
    assert enrollment.status == "refunded" and enrollment.ended_at is not None
    assert cohort_seats_left(order.cohort) == seats + 1


def test_refunding_more_than_was_paid_is_refused(founder_client, founder, order, payee):
    order = paid_manually(order, founder)
    refund_issue(order=order, amount=Decimal("1500.00"), reason="a", by=founder)

    with pytest.raises(ValidationError):
        refund_issue(order=order, amount=Decimal("500.00"), reason="b", by=founder)
    response = founder_client.post(
        f"/console/orders/{order.number}/refund/", {"amount": "499.01", "reason": "c"}
    )

    assert response.status_code == 302
    assert Refund.objects.count() == 1
    assert Order.objects.get().status == "partially_refunded"


def test_refund_of_an_unpaid_order_is_refused(founder, order):
    with pytest.raises(ValidationError):
        refund_issue(order=order, amount=Decimal("1.00"), reason="x", by=founder)
    assert Refund.objects.count() == 0


def test_refund_form_with_bad_amount_says_why(founder_client, founder, order, payee):
    order = paid_manually(order, founder)
    founder_client.post(f"/console/orders/{order.number}/refund/", {"amount": "abc", "reason": ""})
    assert Refund.objects.count() == 0


def test_buyer_already_enrolled_cannot_buy_the_same_cohort_again(cohort, student):
    f.make_enrollment(student, cohort)
    with pytest.raises(ValidationError):
        from billing.services import order_place

        order_place(cohort=cohort, buyer_name="x", buyer_email=student.user.email)
