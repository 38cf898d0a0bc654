"""WeChat Pay v3 (wechatpayv3) in platform-public-key mode: Native QR code on desktop, H5 on
phones when enabled; the notification (RSA signature over timestamp, nonce and body, resource
encrypted with AES-256-GCM); query and refund.
"""

import json
import time
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from wechatpayv3 import WeChatPay, WeChatPayType

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
from onepco.money import from_minor_units, to_minor_units
from onepco.network import client_ip

# Close-order answers that leave nothing to do: paid already (its notification tells), closed
# already, or never created.
CLOSE_SETTLED = ("ORDERPAID", "ORDER_PAID", "ORDERCLOSED", "ORDER_CLOSED", "ORDERNOTEXIST", "ORDER_NOT_EXIST")
HEADERS = (
    "Wechatpay-Signature",
    "Wechatpay-Timestamp",
    "Wechatpay-Nonce",
    "Wechatpay-Serial",
    "Wechatpay-Signature-Type",
)


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _fen(value) -> Decimal | None:
    return from_minor_units(value) if isinstance(value, int) else None


class WeChatProvider(PaymentProvider):
    name = "wechat"
    can_close = True

    required_settings = (
        "WECHAT_MCHID",
        "WECHAT_APPID",
        "WECHAT_PRIVATE_KEY",
        "WECHAT_CERT_SERIAL_NO",
        "WECHAT_APIV3_KEY",
        "WECHAT_PUBLIC_KEY",
        "WECHAT_PUBLIC_KEY_ID",
    )

    def is_enabled(self) -> bool:
        return not self.missing_settings()

    def client(self, pay_type: WeChatPayType = WeChatPayType.NATIVE) -> WeChatPay:
        # With the platform public key given, the client never downloads certificates.
        return WeChatPay(
            wechatpay_type=pay_type,
            mchid=settings.WECHAT_MCHID,
            private_key=pem(settings.WECHAT_PRIVATE_KEY),
            cert_serial_no=settings.WECHAT_CERT_SERIAL_NO,
            appid=settings.WECHAT_APPID,
            apiv3_key=settings.WECHAT_APIV3_KEY,
            notify_url=absolute_url("billing:notify_wechat"),
            public_key=pem(settings.WECHAT_PUBLIC_KEY),
            public_key_id=settings.WECHAT_PUBLIC_KEY_ID,
            timeout=(5, 15),
        )

    def start(self, order, *, request: HttpRequest, phone: bool) -> Start:
        # H5 pay is refused inside WeChat's own browser: there the QR code is long-pressed instead.
        in_wechat = "MicroMessenger" in request.headers.get("User-Agent", "")
        h5 = phone and settings.WECHAT_H5 and not in_wechat
        pay_type = WeChatPayType.H5 if h5 else WeChatPayType.NATIVE
        kwargs = {}
        if h5:
            kwargs["scene_info"] = {
                "payer_client_ip": client_ip(request),
                "h5_info": {"type": "Wap"},
            }
        try:
            code, text = self.client(pay_type).pay(
                description=order.payment_subject[:127],
                out_trade_no=order.number,
                amount={"total": to_minor_units(order.amount), "currency": order.currency},
                time_expire=timezone.localtime(order.expires_at).isoformat(timespec="seconds"),
                pay_type=pay_type,
                **kwargs,
            )
            data = json.loads(text)
        except Exception as exc:  # the library raises bare Exception on a bad response signature
            raise ProviderError(f"wechat pay: {exc}") from exc
        if not 200 <= code < 300:
            raise ProviderError(f"wechat pay: {code} {data.get('message', '')}")
        if h5:
            return Start(kind=StartKind.REDIRECT, url=data["h5_url"])
        return Start(kind=StartKind.QR, qr_text=data["code_url"])

    def verify(self, *, headers: dict[str, str], body: bytes) -> Notice:
        wanted = {name: headers.get(name, "") for name in HEADERS}
        if wanted["Wechatpay-Signature-Type"] != "WECHATPAY2-SHA256-RSA2048":
            raise Rejected("unknown signature type")
        if wanted["Wechatpay-Serial"] != settings.WECHAT_PUBLIC_KEY_ID:
            # Any other serial would make the library download certificates: refuse it first.
            raise Rejected("unknown key serial")
        try:
            stamp = int(wanted["Wechatpay-Timestamp"])
        except ValueError:
            raise Rejected("bad timestamp") from None
        if abs(time.time() - stamp) > settings.WECHAT_NOTIFY_MAX_AGE_SECONDS:
            raise Rejected("timestamp outside the accepted window (replay?)")
        try:
            result = self.client().callback(wanted, body)
        except Exception:  # bad base64, wrong key, malformed JSON
            result = None
        if not result:
            raise Rejected("bad signature or undecryptable resource")
        resource = result.get("resource") or {}
        if resource.get("mchid", settings.WECHAT_MCHID) != settings.WECHAT_MCHID:
            raise Rejected("mchid is not ours")
        if "appid" in resource and resource["appid"] != settings.WECHAT_APPID:
            raise Rejected("appid is not ours")
        return self._notice(resource, event_type=result.get("event_type", ""), event_id=result.get("id", ""))

    def _notice(self, resource: dict, *, event_type: str, event_id: str) -> Notice:
        amount = resource.get("amount") or {}
        base = {
            "order_number": resource.get("out_trade_no", ""),
            "event_id": event_id,
            "trade_no": resource.get("transaction_id", ""),
        }
        if event_type.startswith("REFUND.") or "refund_status" in resource:
            if resource.get("refund_status") != "SUCCESS":
                return Notice(
                    kind=NoticeKind.IGNORE, detail=resource.get("refund_status", event_type), **base
                )
            return Notice(
                kind=NoticeKind.REFUND,
                amount=_fen(amount.get("total")),
                currency=settings.SITE_CURRENCY,
                refund_amount=_fen(amount.get("refund")),
                refund_no=resource.get("out_refund_no", ""),
                provider_refund_id=resource.get("refund_id", ""),
                paid_at=_time(resource.get("success_time", "")),
                **base,
            )
        state = resource.get("trade_state", "")
        base |= {"amount": _fen(amount.get("total")), "currency": amount.get("currency", "")}
        if state == "SUCCESS" and event_type in ("TRANSACTION.SUCCESS", "query"):
            payer = resource.get("payer") or {}
            return Notice(
                kind=NoticeKind.PAID,
                paid_at=_time(resource.get("success_time", "")) or timezone.now(),
                # The payer's openid under our app id: an account that bound that WeChat is theirs.
                extra={"payer_openid": str(payer.get("openid") or "")} if isinstance(payer, dict) else {},
                **base,
            )
        if state in ("NOTPAY", "USERPAYING", ""):
            return Notice(kind=NoticeKind.PENDING, detail=state, **base)
        return Notice(kind=NoticeKind.IGNORE, detail=state or event_type, **base)

    def query(self, order) -> Notice:
        try:
            code, text = self.client().query(out_trade_no=order.number)
            data = json.loads(text)
        except Exception as exc:
            raise ProviderError(f"wechat query: {exc}") from exc
        if code == 404:
            return Notice(kind=NoticeKind.PENDING, order_number=order.number, detail="ORDER_NOT_EXIST")
        if not 200 <= code < 300:
            raise ProviderError(f"wechat query: {code} {data.get('message', '')}")
        if data.get("mchid") != settings.WECHAT_MCHID:
            raise ProviderError("wechat query: answer for another merchant")
        return self._notice(data, event_type="query", event_id="")

    def refund(self, order, refund) -> RefundResult:
        try:
            code, text = self.client().refund(
                out_refund_no=refund.out_refund_no,
                amount={
                    "refund": to_minor_units(refund.amount),
                    "total": to_minor_units(order.amount),
                    "currency": order.currency,
                },
                out_trade_no=order.number,
                reason=refund.reason[:80] or None,
            )
            data = json.loads(text)
        except Exception as exc:
            raise ProviderError(f"wechat refund: {exc}") from exc
        if not 200 <= code < 300:
            return RefundResult(status=Refund.Status.FAILED, failure_reason=data.get("message", str(code)))
        status = {
            "SUCCESS": Refund.Status.SUCCEEDED,
            "CLOSED": Refund.Status.FAILED,
            "ABNORMAL": Refund.Status.FAILED,
        }.get(data.get("status", ""), Refund.Status.PENDING)
        return RefundResult(status=status, provider_refund_id=data.get("refund_id", ""))

    def close(self, order) -> None:
        try:
            code, text = self.client().close(out_trade_no=order.number)
        except Exception as exc:  # network, or a 2xx answer with a bad signature
            raise ProviderError(f"wechat close: {exc}") from exc
        if 200 <= code < 300 or code == 404:  # 204 No Content: closed
            return
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            data = {}
        if data.get("code") not in CLOSE_SETTLED:
            raise ProviderError(f"wechat close: {code} {data.get('code', '')} {data.get('message', '')}")

    def answer_ok(self):
        return JsonResponse({"code": "SUCCESS", "message": "OK"})

    def answer_error(self, reason: str, status: int = 400):
        return JsonResponse({"code": "FAIL", "message": reason[:200]}, status=status)
