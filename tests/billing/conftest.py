"""Providers switched on with key pairs generated here, and payloads signed exactly as each
provider signs them (see docs/payments.md), so every check runs offline against real crypto."""

import base64
import io
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import stripe
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from billing.models import Order, PayeeAccount
from tests import factories as f

APIV3_KEY = "0123456789abcdef0123456789abcdef"
WECHAT_PUB_ID = "PUB_KEY_ID_0114232134912410000000000000"
STRIPE_SECRET = "whsec_test_secret"


@dataclass
class KeyPair:
    private: rsa.RSAPrivateKey

    @property
    def private_pem(self) -> str:
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    @property
    def public_pem(self) -> str:
        return (
            self.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def sign(self, message: str) -> str:
        signature = self.private.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


@pytest.fixture(scope="session")
def keys() -> dict[str, KeyPair]:
    make = lambda: KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048))  # noqa: E731
    return {
        "alipay_app": make(),
        "alipay": make(),
        "wechat_merchant": make(),
        "wechat_platform": make(),
        "stranger": make(),
    }


@pytest.fixture
def alipay_on(settings, keys):
    settings.ALIPAY_APP_ID = "2021000000000001"
    settings.ALIPAY_APP_PRIVATE_KEY = keys["alipay_app"].private_pem
    settings.ALIPAY_PUBLIC_KEY = keys["alipay"].public_pem
    settings.ALIPAY_SELLER_ID = "2088000000000001"
    settings.ALIPAY_PRODUCT = "precreate"
    return settings


@pytest.fixture
def wechat_on(settings, keys):
    settings.WECHAT_MCHID = "1900000001"
    settings.WECHAT_APPID = "wx0000000000000001"
    settings.WECHAT_PRIVATE_KEY = keys["wechat_merchant"].private_pem
    settings.WECHAT_CERT_SERIAL_NO = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    settings.WECHAT_APIV3_KEY = APIV3_KEY
    settings.WECHAT_PUBLIC_KEY = keys["wechat_platform"].public_pem
    settings.WECHAT_PUBLIC_KEY_ID = WECHAT_PUB_ID
    return settings


@pytest.fixture
def stripe_on(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_123"
    settings.STRIPE_WEBHOOK_SECRET = STRIPE_SECRET
    return settings


@pytest.fixture
def simulated_on(settings):
    settings.DEBUG = True
    settings.PAYMENT_SIMULATED = True
    return settings


@pytest.fixture
def cohort(db):
    course = f.make_course(slug="python-bootcamp", title="Python 实战营")
    return f.make_cohort(
        course=course, slug="py-7", name="第 7 期", capacity=5, price=Decimal("1999.00"), sale_open=True,
        starts_on=timezone.localdate() + timedelta(days=7), enrollment_instructions="请加入班级微信群。",
    )  # fmt: skip


@pytest.fixture
def order(cohort):
    lead = f.make_lead(name="王小明", email="buyer@example.com", phone="13800000000")
    return f.make_order(
        cohort, lead=lead, buyer_name="王小明", buyer_email="buyer@example.com", buyer_phone="13800000000",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip


@pytest.fixture
def payee(db):
    """An active payee account: manual transfer is offered."""
    return PayeeAccount.objects.create(kind="wechat", title="创始人微信", details="户名：张三")


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (60, 40)) -> bytes:
    """A real, decodable image (a transfer screenshot, a QR code) made with Pillow."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 160, 90)).save(buffer, format=kind)
    return buffer.getvalue()


def proof_post(client, order: Order, content: bytes | None = None, name: str = "proof.png", **extra):
    """The buyer's proof upload, as the pay page's form sends it."""
    image = SimpleUploadedFile(name, image_bytes() if content is None else content)
    return client.post(f"/pay/{order.number}/proof/", {"image": image, "note": "已转账"}, **extra)


def manual_chosen(client, order: Order) -> None:
    """The buyer picks manual transfer on the pay page (needs an active payee)."""
    assert client.post(f"/pay/{order.number}/", {"method": "manual"}).status_code == 302
    order.refresh_from_db()
    assert order.provider == "manual"


def order_state(order: Order) -> tuple:
    order.refresh_from_db()
    return (order.status, order.paid_at, order.provider_trade_no, order.enrollment_id)


# --- Alipay ------------------------------------------------------------------------------


def alipay_sign(data: dict[str, str], key: KeyPair) -> str:
    message = "&".join(f"{k}={data[k]}" for k in sorted(data) if k not in ("sign", "sign_type"))
    return key.sign(message)


def alipay_notification(order: Order, key: KeyPair, **overrides) -> bytes:
    data = {
        "notify_time": "2026-11-23 10:00:05",
        "notify_type": "trade_status_sync",
        "notify_id": "ac05099524730693a8b330c5ecf72da9786",
        "charset": "utf-8",
        "version": "1.0",
        "app_id": "2021000000000001",
        "seller_id": "2088000000000001",
        "trade_no": "2026112322001400000000000001",
        "out_trade_no": order.number,
        "trade_status": "TRADE_SUCCESS",
        "total_amount": f"{order.amount:.2f}",
        "receipt_amount": f"{order.amount:.2f}",
        "subject": "Python 实战营 第 7 期",
        "gmt_create": "2026-11-23 09:59:40",
        "gmt_payment": "2026-11-23 10:00:04",
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    data["sign"] = alipay_sign(data, key)
    data["sign_type"] = "RSA2"
    return urlencode(data).encode()


def alipay_post(client, body: bytes):
    """Deliver a notification to onepco the way Alipay posts it."""
    return client.post("/billing/notify/alipay/", data=body, content_type="application/x-www-form-urlencoded")


def alipay_gateway_answer(response_type: str, payload: dict, key: KeyPair) -> bytes:
    """What Alipay's gateway answers: the JSON and the signature of exactly that JSON text."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return f'{{"{response_type}":{text},"sign":"{key.sign(text)}"}}'.encode()


class FakeUrlopen:
    """Stands in for alipay.urlopen: records requested URLs, answers queued bodies."""

    def __init__(self, *answers: bytes):
        self.answers = list(answers)
        self.urls: list[str] = []

    def __call__(self, url, timeout=None):
        self.urls.append(url)
        body = self.answers.pop(0)

        class Response:
            def read(self_inner):
                return body

        return Response()


# --- WeChat Pay --------------------------------------------------------------------------


def wechat_encrypt(resource: dict, associated_data: str = "transaction") -> dict:
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(APIV3_KEY.encode()).encrypt(
        nonce.encode(), json.dumps(resource).encode(), associated_data.encode()
    )
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "original_type": "transaction",
        "nonce": nonce,
    }


def wechat_signed_headers(
    body: str, key: KeyPair, *, timestamp: int | None = None, serial: str = WECHAT_PUB_ID
) -> dict:
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = secrets.token_hex(16)
    return {
        "Wechatpay-Signature": key.sign(f"{stamp}\n{nonce}\n{body}\n"),
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def wechat_transaction(order: Order, **overrides) -> dict:
    resource = {
        "mchid": "1900000001",
        "appid": "wx0000000000000001",
        "out_trade_no": order.number,
        "transaction_id": "4200000000202611230000000001",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "success_time": "2026-11-23T10:00:04+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": int(order.amount * 100),
            "payer_total": int(order.amount * 100),
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }
    for key, value in overrides.items():
        resource[key] = value
    return resource


def wechat_notification(
    resource: dict,
    key: KeyPair,
    *,
    event_id: str = "EV-2026112300000001",
    event_type: str = "TRANSACTION.SUCCESS",
    **header_options,
) -> tuple[dict, bytes]:
    body = json.dumps(
        {
            "id": event_id,
            "create_time": "2026-11-23T10:00:05+08:00",
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": "支付成功",
            "resource": wechat_encrypt(
                resource, "refund" if event_type.startswith("REFUND") else "transaction"
            ),
        }
    )
    return wechat_signed_headers(body, key, **header_options), body.encode()


def wechat_post(client, headers: dict, body: bytes):
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return client.post("/billing/notify/wechat/", data=body, content_type="application/json", **meta)


class FakeWechatResponse:
    """A signed answer of WeChat Pay's API; payload None is an empty body (204 No Content)."""

    def __init__(self, status: int, payload: dict | None, key: KeyPair):
        self.status_code = status
        self.text = "" if payload is None else json.dumps(payload)
        self.content = self.text.encode()
        kind = {} if payload is None else {"Content-Type": "application/json"}
        self.headers = {**kind, **wechat_signed_headers(self.text, key)}


# --- Stripe ------------------------------------------------------------------------------


def stripe_event(event_type: str, obj: dict, *, event_id: str = "evt_1") -> str:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2025-10-29.clover",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    )


def stripe_session(order: Order, **overrides) -> dict:
    session = {
        "id": "cs_test_a1",
        "object": "checkout.session",
        "client_reference_id": order.number,
        "amount_total": int(order.amount * 100),
        "currency": order.currency.lower(),
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_test_1",
        "metadata": {"order": order.number},
    }
    session.update(overrides)
    return session


def stripe_post(client, payload: str, *, secret: str = STRIPE_SECRET, timestamp: int | None = None):
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return client.post(
        "/billing/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


class FakeStripeHttp(stripe.HTTPClient):
    """Stripe's outbound HTTP, faked: answers queued JSON bodies (a bare dict is a 200, else
    (status, dict)), records requests."""

    name = "fake"

    def __init__(self, *answers: dict | tuple[int, dict]):
        super().__init__()
        self.answers = list(answers)
        self.requests: list[tuple[str, str, str | None]] = []

    def request(self, method, url, headers, post_data=None):
        self.requests.append((method, url, post_data))
        answer = self.answers.pop(0)
        status, payload = answer if isinstance(answer, tuple) else (200, answer)
        return json.dumps(payload), status, {"request-id": "req_1"}

    def close(self):
        pass


@pytest.fixture
def fake_stripe(monkeypatch):
    """fake_stripe(*answers) puts a FakeStripeHttp in place of Stripe's HTTP client."""

    def install(*answers: dict | tuple[int, dict]) -> FakeStripeHttp:
        fake = FakeStripeHttp(*answers)
        monkeypatch.setattr(stripe, "default_http_client", fake)
        return fake

    return install
