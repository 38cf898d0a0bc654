"""Writes of the billing app, one module per part of the money's path (orders, payments,
refunds, transfers) and its e-mails. Callers use `billing.services.<name>`."""

from billing.services.emails import (
    order_already_enrolled_alert_send,
    order_amount_mismatch_alert_send,
    order_enrollment_email_send,
    order_needs_email_alert_send,
    order_seat_wait_alert_send,
    order_second_payment_alert_send,
)
from billing.services.orders import (
    order_cancel,
    order_payment_start,
    order_place,
    order_trade_close,
    orders_expire,
)
from billing.services.payments import (
    order_buyer_email_add,
    order_buyer_enrollment,
    order_query,
    order_seat_grant,
    payment_event_record,
    payment_notice_apply,
    payment_notification_oversized,
    payment_notification_receive,
    payments_reconcile,
)
from billing.services.refunds import (
    refund_issue,
)
from billing.services.transfers import (
    order_hold_release,
    payee_account_save,
    transfer_confirm,
    transfer_proof_reject,
    transfer_proof_upload,
)

__all__ = [
    "order_already_enrolled_alert_send",
    "order_amount_mismatch_alert_send",
    "order_buyer_email_add",
    "order_buyer_enrollment",
    "order_cancel",
    "order_enrollment_email_send",
    "order_hold_release",
    "order_needs_email_alert_send",
    "order_payment_start",
    "order_place",
    "order_query",
    "order_seat_grant",
    "order_seat_wait_alert_send",
    "order_second_payment_alert_send",
    "order_trade_close",
    "orders_expire",
    "payee_account_save",
    "payment_event_record",
    "payment_notice_apply",
    "payment_notification_oversized",
    "payment_notification_receive",
    "payments_reconcile",
    "refund_issue",
    "transfer_confirm",
    "transfer_proof_reject",
    "transfer_proof_upload",
]
