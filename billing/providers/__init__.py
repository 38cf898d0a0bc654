"""Payment providers behind one small interface: start a payment, verify a notification,
query an order, refund, close an unpaid trade. Protocol details stay in the provider's module; what a notification
*means* for an order is decided once, in billing.services.

Each provider is enabled only when its settings are present; disabled ones are never offered.
"""

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.module_loading import import_string

from billing.models import Provider, Refund


class Rejected(Exception):
    """A notification that failed verification (signature, ids, replay): changes nothing."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ProviderError(Exception):
    """An outbound call failed (network, provider business error)."""


class NoticeKind(StrEnum):
    """What a notice says happened."""

    PAID = "paid"  # money received
    # refunded_total: the cumulative refunded amount, or refund_amount: one refund's amount,
    # whichever the provider reports
    REFUND = "refund"
    PENDING = "pending"  # nothing yet
    IGNORE = "ignore"  # nothing for us: answered OK so that the provider stops


class StartKind(StrEnum):
    """How the buyer goes on paying."""

    REDIRECT = "redirect"  # follow `url` (a hosted payment page)
    QR = "qr"  # scan `qr_text` with the provider's app
    PAGE = "page"  # the payment page itself says what to do (manual transfer)


@dataclass
class Notice:
    """What a verified notification or a query answer says, in provider-neutral terms."""

    kind: NoticeKind
    order_number: str = ""
    event_id: str = ""
    trade_no: str = ""
    amount: Decimal | None = None
    currency: str = ""
    paid_at: datetime | None = None
    refunded_total: Decimal | None = None
    refund_amount: Decimal | None = None
    refund_no: str = ""
    provider_refund_id: str = ""
    detail: str = ""
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """A JSON-safe copy (Decimal and datetime as ISO strings) that `from_json` reads back."""
        return {
            k: (str(v) if isinstance(v, Decimal) else v.isoformat() if isinstance(v, datetime) else v)
            for k, v in asdict(self).items()
        }

    @classmethod
    def from_json(cls, data: dict) -> "Notice":
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        values["kind"] = NoticeKind(values["kind"])
        for name in ("amount", "refunded_total", "refund_amount"):
            if values.get(name) is not None:
                values[name] = Decimal(values[name])
        if values.get("paid_at") is not None:
            values["paid_at"] = datetime.fromisoformat(values["paid_at"])
        return cls(**values)


@dataclass
class Start:
    """How the buyer pays, and what the provider called this payment."""

    kind: StartKind
    url: str = ""
    qr_text: str = ""
    # The provider's own reference, kept on the order for later queries when the provider
    # cannot be asked by our order number (Stripe: the Checkout Session id).
    trade_no: str = ""


@dataclass
class RefundResult:
    status: Refund.Status
    provider_refund_id: str = ""
    failure_reason: str = ""


class PaymentProvider:
    name: str = ""
    # Whether the reconcile job and the return page can ask the provider about an order.
    can_query: bool = True
    # Whether the provider holds a trade that an expired or cancelled order should close.
    can_close: bool = False
    # The settings (environment variables of the same name) the provider needs, all of them.
    required_settings: tuple[str, ...] = ()

    def is_enabled(self) -> bool:
        raise NotImplementedError

    def missing_settings(self) -> list[str]:
        """The required settings that are empty: what the founder still has to set."""
        return [name for name in self.required_settings if not getattr(settings, name, "")]

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        raise NotImplementedError

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        """Check a notification exactly as received; raise Rejected when anything is off."""
        raise NotImplementedError

    def query(self, order) -> Notice:
        raise NotImplementedError

    def refund(self, order, refund) -> RefundResult:
        raise NotImplementedError

    def close(self, order) -> None:
        """Close the order's unpaid trade, so that it can no longer be paid. A trade already
        paid, closed or never created is fine; ProviderError when the provider was not told."""

    def answer_ok(self) -> HttpResponse:
        return HttpResponse("success", content_type="text/plain")

    def answer_error(self, reason: str, status: int = 400) -> HttpResponse:
        return HttpResponse(reason, content_type="text/plain", status=status)


PROVIDERS = {
    "alipay": "billing.providers.alipay.AlipayProvider",
    "wechat": "billing.providers.wechat.WeChatProvider",
    "stripe": "billing.providers.stripe.StripeProvider",
    "manual": "billing.providers.manual.ManualProvider",
    "simulated": "billing.providers.simulated.SimulatedProvider",
}


def providers_import_all() -> None:
    """Import every provider's SDK now rather than inside the first payment notification a
    web worker receives: `import stripe` alone takes half a second (onepco/wsgi.py calls this
    once, in gunicorn's master, before the workers are forked)."""
    for path in PROVIDERS.values():
        import_string(path)


@cache
def _instance(name: str) -> PaymentProvider:
    return import_string(PROVIDERS[name])()


def get_provider(name: str) -> PaymentProvider | None:
    """The provider called `name` if it is enabled right now, else None."""
    if name not in PROVIDERS:
        return None
    provider = _instance(name)
    return provider if provider.is_enabled() else None


def provider_can_close(name: str) -> bool:
    """Whether orders paid through `name` have a trade to close (without asking if it is enabled)."""
    return name in PROVIDERS and _instance(name).can_close


def enabled_providers() -> list[PaymentProvider]:
    return [p for p in (get_provider(name) for name in PROVIDERS) if p is not None]


@dataclass(frozen=True)
class ProviderSetup:
    """One payment method as the console's setup page shows it."""

    name: str
    label: str
    enabled: bool
    missing: list[str]  # environment variables still empty (alipay, wechat, stripe)


def providers_setup() -> list[ProviderSetup]:
    """Every payment method: on or off, and for a settings-based one what is missing."""
    return [
        ProviderSetup(
            name=name,
            label=str(Provider(name).label),
            enabled=_instance(name).is_enabled(),
            missing=_instance(name).missing_settings(),
        )
        for name in PROVIDERS
    ]


def pem(value: str) -> str:
    """A key from the environment: a PEM text (with real or escaped newlines) or a file path."""
    value = (value or "").strip()
    if value and not value.startswith("-----"):
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    return value.replace("\\n", "\n")


def absolute_url(path_name: str, *args) -> str:
    return settings.SITE_URL + reverse(path_name, args=args)
