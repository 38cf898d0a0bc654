"""Manual transfer: the buyer pays the founder's personal QR code or bank account and uploads
proof; the founder confirms it in the console. Nothing to verify or query: the founder's
confirmation is the notification."""

from django.http import HttpRequest

from billing.models import PayeeAccount, Refund
from billing.providers import Notice, NoticeKind, PaymentProvider, RefundResult, Rejected, Start, StartKind


class ManualProvider(PaymentProvider):
    name = "manual"
    can_query = False

    def is_enabled(self) -> bool:
        return PayeeAccount.objects.filter(is_active=True).exists()

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        return Start(kind=StartKind.PAGE)

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        raise Rejected("manual transfers are confirmed in the console, not by notification")

    def query(self, order) -> Notice:
        return Notice(kind=NoticeKind.PENDING, order_number=order.number)

    def refund(self, order, refund) -> RefundResult:
        # The founder sends the money back by hand; the refund is recorded as done.
        return RefundResult(status=Refund.Status.SUCCEEDED)
