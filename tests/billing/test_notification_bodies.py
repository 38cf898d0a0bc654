"""The notification endpoints are open to anyone: what an unsigned post can make us store is
bounded. A body over the limit answers 413 and leaves a short marker; a body that fails
verification keeps a 2 KB prefix with its length and hash; a verified one is kept in full."""

import hashlib
import json

import pytest

from billing.models import Order, PaymentEvent
from tests.billing.conftest import (
    STRIPE_SECRET,
    alipay_notification,
    stripe_event,
    stripe_session,
    wechat_notification,
    wechat_signed_headers,
    wechat_transaction,
)

PREFIX = 2048
ENDPOINTS = {
    "alipay": ("/billing/notify/alipay/", "application/x-www-form-urlencoded"),
    "wechat": ("/billing/notify/wechat/", "application/json"),
    "stripe": ("/billing/webhooks/stripe/", "application/json"),
}


@pytest.fixture
def providers_on(alipay_on, wechat_on, stripe_on):
    return alipay_on


def signed(provider: str, order: Order, keys, *, pad: int = 0, key: str = "") -> tuple[bytes, dict]:
    """A notification that `order` was paid, signed as the provider signs it (with the provider's
    key, or `key` to sign it wrongly), padded with `pad` characters in a field the provider allows."""
    if provider == "alipay":
        return alipay_notification(order, keys[key or "alipay"], body="x" * pad if pad else None), {}
    if provider == "wechat":
        resource = wechat_transaction(order, attach="x" * pad)
        headers, body = wechat_notification(resource, keys[key or "wechat_platform"])
        return body, {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    import stripe

    session = stripe_session(order, metadata={"order": order.number, "note": "x" * pad})
    payload = stripe_event("checkout.session.completed", session)
    header = stripe.WebhookSignature.generate_signature_header(payload, key or STRIPE_SECRET)
    return payload.encode(), {"HTTP_STRIPE_SIGNATURE": header}


def junk_headers(provider: str, body: bytes, keys) -> dict:
    """Plausible headers on a junk body: signed by nobody we trust."""
    if provider == "wechat":
        headers = wechat_signed_headers(body.decode("latin-1"), keys["stranger"])
        return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    if provider == "stripe":
        return {"HTTP_STRIPE_SIGNATURE": "t=1,v1=00"}
    return {}


def post(client, provider: str, body: bytes, headers: dict):
    url, content_type = ENDPOINTS[provider]
    return client.post(url, data=body, content_type=content_type, **headers)


def assert_provider_error(provider: str, response, status: int) -> None:
    assert response.status_code == status
    if provider == "alipay":
        assert response.content == b"fail"
    elif provider == "wechat":
        assert response.json()["code"] == "FAIL"
    else:
        assert response.json()["error"]


def stored_bytes() -> int:
    return sum(len(e.body.encode()) for e in PaymentEvent.objects.all())


@pytest.mark.parametrize("provider", list(ENDPOINTS))
def test_a_signed_notification_is_kept_in_full(client, providers_on, keys, order, provider):
    body, headers = signed(provider, order, keys, pad=20_000)
    assert 20_000 < len(body) < 64 * 1024

    response = post(client, provider, body, headers)

    assert response.status_code == 200
    event = PaymentEvent.objects.get()
    assert event.verified is True and event.outcome == "applied"
    assert event.body == body.decode()
    assert event.body_length == len(body) and event.body_sha256 == hashlib.sha256(body).hexdigest()
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize("provider", list(ENDPOINTS))
def test_a_wrongly_signed_notification_keeps_only_a_prefix_its_length_and_hash(
    client, providers_on, keys, order, provider
):
    body, headers = signed(
        provider, order, keys, pad=30_000, key="stranger" if provider != "stripe" else "whsec_x"
    )

    response = post(client, provider, body, headers)

    assert_provider_error(provider, response, 400)
    event = PaymentEvent.objects.get()
    assert event.verified is False and event.outcome == "rejected"
    assert len(event.body.encode()) <= PREFIX and body.decode().startswith(event.body)
    assert event.body_length == len(body) and event.body_sha256 == hashlib.sha256(body).hexdigest()
    assert Order.objects.get().status == "pending"


@pytest.mark.parametrize("provider", list(ENDPOINTS))
def test_junk_under_the_limit_keeps_only_a_prefix(client, providers_on, keys, order, provider):
    junk = b"\x00\xff" + b"A" * 60_000  # NUL and invalid UTF-8 too: a 400, never a 500

    response = post(client, provider, junk, junk_headers(provider, junk, keys))

    assert_provider_error(provider, response, 400)
    event = PaymentEvent.objects.get()
    assert event.verified is False and len(event.body.encode()) <= PREFIX
    assert event.body_length == len(junk) and event.body_sha256 == hashlib.sha256(junk).hexdigest()


@pytest.mark.parametrize("provider", list(ENDPOINTS))
def test_five_large_junk_posts_store_almost_nothing(client, providers_on, keys, order, provider):
    junk = b"A" * 2_500_000
    for _ in range(5):
        assert_provider_error(provider, post(client, provider, junk, junk_headers(provider, junk, keys)), 413)

    events = list(PaymentEvent.objects.all())
    assert len(events) == 5
    assert all(e.outcome == "rejected" and e.verified is False for e in events)
    assert all(e.body == "" and e.body_length == len(junk) for e in events)
    assert stored_bytes() == 0
    assert len(json.dumps([e.headers for e in events])) < 5 * 1024


@pytest.mark.parametrize("provider", list(ENDPOINTS))
def test_the_body_limit_is_a_setting(client, providers_on, keys, order, provider, settings):
    settings.PAYMENT_NOTIFY_MAX_BYTES = 1000
    body, headers = signed(provider, order, keys, pad=2000)

    assert_provider_error(provider, post(client, provider, body, headers), 413)

    assert Order.objects.get().status == "pending"
    assert PaymentEvent.objects.get().body == ""


def test_a_huge_header_is_not_kept_in_full(client, providers_on, keys, order):
    body, headers = signed("stripe", order, keys)
    headers["HTTP_USER_AGENT"] = "x" * 50_000
    post(client, "stripe", body, headers)
    assert len(PaymentEvent.objects.get().headers["User-Agent"]) <= 500
