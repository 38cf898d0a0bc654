"""Background jobs of billing: thin and idempotent, loading by id."""

from billing.models import Order
from billing.services import order_enrollment_email_send, payments_reconcile


def send_enrollment_email(order_id: int) -> None:
    order = Order.objects.select_related("cohort__course").filter(pk=order_id).first()
    if order is not None and order.is_paid and order.buyer_email:
        order_enrollment_email_send(order=order)


def reconcile_payments() -> dict[str, int]:
    return payments_reconcile()
