"""A stand-in provider for development, the demo and browser tests (DEBUG only; settings
refuse it otherwise). Its fake payment page builds a notification signed like a real one and
hands it to the same processing path as Alipay's or WeChat's."""

import hashlib
import hmac
import json
import secrets
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from billing.models import Refund
from billing.providers import Notice, NoticeKind, PaymentProvider, RefundResult, Rejected, Start, StartKind
from onepco.money import money

SIGNATURE_HEADER = "X-Simulated-Signature"


def _key() -> bytes:
    return hashlib.sha256(f"billing.simulated:{settings.SECRET_KEY}".encode()).digest()


def simulated_sign(body: bytes) -> str:
    return hmac.new(_key(), body, hashlib.sha256).hexdigest()


def simulated_notification(order, *, status: str = "paid") -> tuple[dict[str, str], bytes]:
    """What the simulated provider's server would send for this order."""
    body = json.dumps(
        {
            "id": "SIMEVT" + secrets.token_hex(8).upper(),
            "order": order.number,
            "trade_no": "SIM" + order.number,
            "amount": f"{order.amount:.2f}",
            "currency": order.currency,
            "status": status,
            "paid_at": timezone.now().isoformat(),
        }
    ).encode()
    return {SIGNATURE_HEADER: simulated_sign(body)}, body


class SimulatedProvider(PaymentProvider):
    name = "simulated"
    can_query = False

    def is_enabled(self) -> bool:
        return bool(settings.PAYMENT_SIMULATED and settings.DEBUG)

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        return Start(kind=StartKind.REDIRECT, url=reverse("billing:simulated_pay", args=[order.number]))

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        if not hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), simulated_sign(body)):
            raise Rejected("bad signature")
        try:
            data = json.loads(body)
            amount = money(data["amount"])
            paid_at = datetime.fromisoformat(data["paid_at"])
        except (ValueError, KeyError, TypeError, ArithmeticError):
            raise Rejected("malformed body") from None
        return Notice(
            kind=NoticeKind.PAID if data.get("status") == "paid" else NoticeKind.IGNORE,
            order_number=data.get("order", ""),
            event_id=data.get("id", ""),
            trade_no=data.get("trade_no", ""),
            amount=amount,
            currency=data.get("currency", ""),
            paid_at=paid_at,
            detail=data.get("status", ""),
        )

    def query(self, order) -> Notice:
        return Notice(kind=NoticeKind.PENDING, order_number=order.number)

    def refund(self, order, refund) -> RefundResult:
        return RefundResult(
            status=Refund.Status.SUCCEEDED, provider_refund_id="SIMRF" + secrets.token_hex(6).upper()
        )
