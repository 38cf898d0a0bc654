"""Alipay (python-alipay-sdk, RSA2): 当面付 QR code, or page pay / wap pay for merchants who
have them; the async notification; query and refund.

Alipay signs a notification over every parameter except `sign` and `sign_type`, sorted and
joined as k=v with &; it retries until it reads the plain text `success`.
"""

import binascii
import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import alipay as alipay_sdk
from django.conf import settings
from django.http import HttpRequest
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
    pem,
)
from onepco.money import money

# The SDK installs a DEBUG console logger at import time; keep the project's logging quiet.
_sdk_log = logging.getLogger("python-alipay-sdk")
_sdk_log.handlers.clear()
_sdk_log.setLevel(logging.WARNING)
_sdk_log.propagate = True

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
# trade.close answers that leave nothing to do: no trade yet (the buyer never scanned), or it is
# no longer waiting for payment (paid: its notification tells; or closed already).
CLOSE_SETTLED = (
    "ACQ.TRADE_NOT_EXIST",
    "ACQ.TRADE_STATUS_ERROR",
    "ACQ.REASON_ILLEGAL_STATUS",
    "ACQ.REASON_TRADE_STATUS_INVALID",
)
BEIJING = ZoneInfo("Asia/Shanghai")
OK_CODE = "10000"


def _beijing(value: str) -> datetime | None:
    for layout in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f"):  # gmt_refund carries milliseconds
        try:
            return datetime.strptime(value, layout).replace(tzinfo=BEIJING)
        except (TypeError, ValueError):
            continue
    return None


def _decimal(value: str | None) -> Decimal | None:
    if not value:
        return None
    try:
        return money(value)
    except (InvalidOperation, ValueError):
        return None


def _instalment_params(order) -> dict:
    """花呗分期 in biz_content (the SDK puts extra keyword arguments there): `extend_params`
    with `hb_fq_num`, the periods, and `hb_fq_seller_percent`, the seller's share of the fee
    ("100" or "0"); both strings, and Alipay uses them only together. Page / wap pay only."""
    if not order.instalments:
        return {}
    return {
        "extend_params": {
            "hb_fq_num": str(order.instalments),
            "hb_fq_seller_percent": "100" if order.instalment_fee_by_seller else "0",
        }
    }


class AlipayProvider(PaymentProvider):
    name = "alipay"
    can_close = True

    required_settings = ("ALIPAY_APP_ID", "ALIPAY_APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY")

    def is_enabled(self) -> bool:
        return not self.missing_settings()

    def client(self) -> alipay_sdk.AliPay:
        return alipay_sdk.AliPay(
            appid=settings.ALIPAY_APP_ID,
            app_notify_url=absolute_url("billing:notify_alipay"),
            app_private_key_string=pem(settings.ALIPAY_APP_PRIVATE_KEY),
            alipay_public_key_string=pem(settings.ALIPAY_PUBLIC_KEY),
            sign_type="RSA2",
            debug=settings.ALIPAY_SANDBOX,
        )

    def _gateway(self) -> str:
        return (
            "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
            if settings.ALIPAY_SANDBOX
            else "https://openapi.alipay.com/gateway.do"
        )

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        ali = self.client()
        subject = order.payment_subject[:128]
        amount = f"{order.amount:.2f}"  # a yuan string: the SDK refuses Decimal, sends floats as numbers
        expire = timezone.localtime(order.expires_at, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return_url = absolute_url("billing:pay_return", order.number)
        if settings.ALIPAY_PRODUCT == "page":
            method = ali.api_alipay_trade_wap_pay if phone else ali.api_alipay_trade_page_pay
            query = method(
                subject=subject,
                out_trade_no=order.number,
                total_amount=amount,
                return_url=return_url,
                notify_url=absolute_url("billing:notify_alipay"),
                time_expire=expire,
                **_instalment_params(order),
            )
            return Start(kind=StartKind.REDIRECT, url=f"{self._gateway()}?{query}")
        try:
            resp = ali.api_alipay_trade_precreate(
                subject=subject,
                out_trade_no=order.number,
                total_amount=amount,
                notify_url=absolute_url("billing:notify_alipay"),
                time_expire=expire,
            )
        except (alipay_sdk.AliPayException, alipay_sdk.AliPayValidationError, OSError) as exc:
            raise ProviderError(f"alipay precreate: {exc}") from exc
        if resp.get("code") != OK_CODE or not resp.get("qr_code"):
            raise ProviderError(f"alipay precreate: {resp.get('sub_msg') or resp.get('msg')}")
        return Start(kind=StartKind.QR, qr_text=resp["qr_code"])

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        try:
            data = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise Rejected("unreadable body") from None
        signature = data.pop("sign", "")
        if not signature:
            raise Rejected("no signature")
        try:
            valid = self.client().verify(dict(data), signature)
        except (alipay_sdk.AliPayException, binascii.Error, ValueError, TypeError):
            valid = False
        if not valid:
            raise Rejected("bad signature")
        if data.get("app_id") != settings.ALIPAY_APP_ID:
            raise Rejected(f"app_id {data.get('app_id')!r} is not ours")
        if settings.ALIPAY_SELLER_ID and data.get("seller_id") != settings.ALIPAY_SELLER_ID:
            raise Rejected(f"seller_id {data.get('seller_id')!r} is not ours")
        return self._notice(data, event_id=data.get("notify_id", ""), closed_is_refund=True)

    def _notice(self, data: dict, *, event_id: str, closed_is_refund: bool = False) -> Notice:
        status = data.get("trade_status", "")
        base = {
            "order_number": data.get("out_trade_no", ""),
            "event_id": event_id,
            "trade_no": data.get("trade_no", ""),
            "amount": _decimal(data.get("total_amount")),
            "currency": settings.SITE_CURRENCY,  # Alipay trades are in yuan
        }
        refunded = _decimal(data.get("refund_fee"))
        if closed_is_refund and status == "TRADE_CLOSED" and refunded is None:
            # A paid trade closes only when it is refunded in full. An unpaid one closes with
            # nothing to refund: the notice is then held for a payment of this trade, which
            # never comes.
            refunded = base["amount"]
        if refunded and (status in PAID or status == "TRADE_CLOSED"):
            # A refund notification reuses the trade's status: it is not a new payment.
            return Notice(
                kind=NoticeKind.REFUND,
                refunded_total=refunded,
                refund_no=data.get("out_biz_no", ""),
                paid_at=_beijing(data.get("gmt_refund", "")) or _beijing(data.get("gmt_close", "")),
                **base,
            )
        if status in PAID:
            paid_at = _beijing(data.get("gmt_payment", "")) or _beijing(data.get("send_pay_date", ""))
            return Notice(kind=NoticeKind.PAID, paid_at=paid_at or timezone.now(), **base)
        if status in ("WAIT_BUYER_PAY", ""):
            return Notice(kind=NoticeKind.PENDING, detail=status, **base)
        return Notice(kind=NoticeKind.IGNORE, detail=status, **base)

    def query(self, order) -> Notice:
        try:
            resp = self.client().api_alipay_trade_query(out_trade_no=order.number)
        except alipay_sdk.AliPayException as exc:
            # An unsigned business error, typically ACQ.TRADE_NOT_EXIST: nothing paid yet.
            return Notice(kind=NoticeKind.PENDING, order_number=order.number, detail=str(exc)[:200])
        except (alipay_sdk.AliPayValidationError, OSError, ValueError) as exc:
            raise ProviderError(f"alipay query: {exc}") from exc
        if resp.get("code") != OK_CODE:
            return Notice(kind=NoticeKind.PENDING, order_number=order.number, detail=resp.get("sub_code", ""))
        # A query answer reports the trade, not a refund; refunds arrive by notification.
        resp = {k: v for k, v in resp.items() if k != "refund_fee"}
        return self._notice(resp, event_id="")

    def refund(self, order, refund) -> RefundResult:
        try:
            resp = self.client().api_alipay_trade_refund(
                refund_amount=f"{refund.amount:.2f}",
                out_trade_no=order.number,
                out_request_no=refund.out_refund_no,
                refund_reason=refund.reason[:100],
            )
        except (alipay_sdk.AliPayException, alipay_sdk.AliPayValidationError, OSError, ValueError) as exc:
            raise ProviderError(f"alipay refund: {exc}") from exc
        if resp.get("code") != OK_CODE:
            return RefundResult(
                status=Refund.Status.FAILED, failure_reason=resp.get("sub_msg") or resp.get("msg", "")
            )
        # fund_change "Y": money moved now; "N" on a repeated request that had already moved it.
        return RefundResult(status=Refund.Status.SUCCEEDED, provider_refund_id=resp.get("trade_no", ""))

    def close(self, order) -> None:
        try:
            resp = self.client().api_alipay_trade_close(out_trade_no=order.number)
        except alipay_sdk.AliPayException as exc:
            # Unsigned business errors are raised with the raw answer as their message.
            if any(code in str(exc) for code in CLOSE_SETTLED):
                return
            raise ProviderError(f"alipay close: {exc}") from exc
        except (alipay_sdk.AliPayValidationError, OSError, ValueError) as exc:
            raise ProviderError(f"alipay close: {exc}") from exc
        if resp.get("code") != OK_CODE and resp.get("sub_code") not in CLOSE_SETTLED:
            raise ProviderError(
                f"alipay close: {resp.get('sub_code')} {resp.get('sub_msg') or resp.get('msg')}"
            )

    def answer_error(self, reason: str, status: int = 400):
        return super().answer_error("fail", status=status)
