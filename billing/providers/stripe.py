"""Stripe Checkout: a hosted payment page, the webhook verified with the endpoint secret.

While an order is pending its provider_trade_no is the Checkout Session id (what a query
needs); once paid it becomes the PaymentIntent id (what refunds and charge events name).
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from billing.models import Refund
from billing.providers import (
    Notice,
    NoticeKind,
    PaymentProvider,
    ProviderError,
    RefundResult,
    Rejected,
    Start,
    StartKind,
    absolute_url,
)
from onepco.money import from_minor_units, to_minor_units

PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


def _minor(value) -> Decimal | None:
    return from_minor_units(value) if isinstance(value, int) else None


class StripeProvider(PaymentProvider):
    name = "stripe"
    can_close = True

    required_settings = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")

    def is_enabled(self) -> bool:
        return not self.missing_settings()

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        now = timezone.now()
        # Stripe takes an expiry between 30 minutes and 24 hours from now.
        expires = min(max(order.expires_at, now + timedelta(minutes=31)), now + timedelta(hours=23))
        params = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": to_minor_units(order.amount),
                        "product_data": {"name": order.payment_subject[:250]},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": absolute_url("billing:pay_return", order.number),
            "cancel_url": absolute_url("billing:pay", order.number),
            "client_reference_id": order.number,
            "customer_email": order.buyer_email or None,
            "metadata": {"order": order.number},
            "payment_intent_data": {"metadata": {"order": order.number}},
            "expires_at": int(expires.timestamp()),
        }
        if settings.STRIPE_PAYMENT_METHOD_TYPES:
            params["payment_method_types"] = settings.STRIPE_PAYMENT_METHOD_TYPES
        try:
            session = stripe.checkout.Session.create(api_key=settings.STRIPE_SECRET_KEY, **params)
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe checkout: {exc.user_message or exc}") from exc
        return Start(kind=StartKind.REDIRECT, url=session["url"], trade_no=session["id"])

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        try:
            event = stripe.Webhook.construct_event(
                body, headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.SignatureVerificationError) as exc:
            raise Rejected(f"bad signature or payload: {exc}") from None
        obj = event["data"]["object"].to_dict()
        if event["type"] in PAID_EVENTS:
            return self._session_notice(obj, event_id=event["id"])
        if event["type"] == "charge.refunded":
            return Notice(
                kind=NoticeKind.REFUND,
                event_id=event["id"],
                order_number=(obj.get("metadata") or {}).get("order", ""),
                trade_no=obj.get("payment_intent") or "",
                amount=_minor(obj.get("amount")),
                currency=(obj.get("currency") or "").upper(),
                refunded_total=_minor(obj.get("amount_refunded")),
                paid_at=timezone.now(),
            )
        return Notice(kind=NoticeKind.IGNORE, event_id=event["id"], detail=event["type"])

    def _session_notice(self, session: dict, *, event_id: str) -> Notice:
        base: dict[str, Any] = {
            "order_number": session.get("client_reference_id") or "",
            "event_id": event_id,
            "amount": _minor(session.get("amount_total")),
            "currency": (session.get("currency") or "").upper(),
        }
        if session.get("payment_status") != "paid":
            return Notice(kind=NoticeKind.PENDING, detail=session.get("payment_status", ""), **base)
        return Notice(
            kind=NoticeKind.PAID,
            trade_no=session.get("payment_intent") or session.get("id", ""),
            paid_at=timezone.now(),
            **base,
        )

    def query(self, order) -> Notice:
        if not order.provider_trade_no.startswith("cs_"):
            return Notice(kind=NoticeKind.PENDING, order_number=order.number, detail="no checkout session")
        try:
            session = stripe.checkout.Session.retrieve(
                order.provider_trade_no, api_key=settings.STRIPE_SECRET_KEY
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe query: {exc}") from exc
        return self._session_notice(session.to_dict(), event_id="")

    def refund(self, order, refund) -> RefundResult:
        try:
            result = stripe.Refund.create(
                api_key=settings.STRIPE_SECRET_KEY,
                payment_intent=order.provider_trade_no,
                amount=to_minor_units(refund.amount),
                metadata={"order": order.number, "out_refund_no": refund.out_refund_no},
                idempotency_key=refund.out_refund_no,
            )
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe refund: {exc.user_message or exc}") from exc
        answer = result.to_dict()
        status = {
            "succeeded": Refund.Status.SUCCEEDED,
            "failed": Refund.Status.FAILED,
            "canceled": Refund.Status.FAILED,
        }.get(answer.get("status") or "", Refund.Status.PENDING)
        return RefundResult(
            status=status, provider_refund_id=answer["id"], failure_reason=answer.get("failure_reason") or ""
        )

    def close(self, order) -> None:
        if not order.provider_trade_no.startswith("cs_"):
            return  # no Checkout Session was created
        try:
            stripe.checkout.Session.expire(order.provider_trade_no, api_key=settings.STRIPE_SECRET_KEY)
        except stripe.InvalidRequestError:
            # Not open any more (completed: its webhook tells; or expired) or unknown: nothing
            # to close, and asking again would get the same answer.
            return
        except stripe.StripeError as exc:
            raise ProviderError(f"stripe close: {exc.user_message or exc}") from exc

    def answer_ok(self):
        return JsonResponse({"received": True})

    def answer_error(self, reason: str, status: int = 400):
        return JsonResponse({"error": reason[:200]}, status=status)
