"""Twenty identical, correctly signed Stripe deliveries of one payment, all at once.

The bench stack runs with STRIPE_WEBHOOK_SECRET = SECRET (see phases.http); the payload is
signed exactly as Stripe signs it (HMAC-SHA256 over "timestamp.payload").
"""

import json
import statistics
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

SECRET = "whsec_bench_only"
DELIVERIES = 20


def pending_order():
    from django.utils import timezone

    from billing.models import Order
    from cohorts.models import Cohort

    cohort = Cohort.objects.order_by("-starts_on").first()
    return Order.objects.create(
        cohort=cohort,
        buyer_name="压测买家",
        buyer_email=f"bench-buyer-{time.time_ns()}@example.com",
        amount=cohort.price,
        currency="CNY",
        provider="stripe",
        expires_at=timezone.now() + timedelta(minutes=30),
    )


def signed_delivery(order) -> tuple[dict, str, str]:
    """(the checkout session, its event's JSON, the Stripe-Signature header) for an order paid."""
    import stripe

    session = {
        "id": f"cs_bench_{order.pk}",
        "object": "checkout.session",
        "client_reference_id": order.number,
        "amount_total": int(order.amount * 100),
        "currency": "cny",
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": f"pi_bench_{order.pk}",
        "metadata": {"order": order.number},
    }
    payload = json.dumps(
        {"id": f"evt_bench_{order.pk}", "object": "event", "type": "checkout.session.completed",
         "api_version": "2025-10-29.clover", "created": int(time.time()), "data": {"object": session}}
    )  # fmt: skip
    return session, payload, stripe.WebhookSignature.generate_signature_header(payload, SECRET)


def deliver_once(base_url: str) -> int:
    """One order paid: a pending order and its signed notification; the answer's status."""
    _session, payload, header = signed_delivery(pending_order())
    request = urllib.request.Request(  # noqa: S310 - our own server
        f"{base_url}/billing/webhooks/stripe/",
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def burst(base_url: str) -> dict:
    from billing.models import Order, PaymentEvent
    from onepco.models import OutboxMessage

    order = pending_order()
    session, payload, header = signed_delivery(order)
    outbox_before = OutboxMessage.objects.count()
    start = threading.Barrier(DELIVERIES)
    answers: list[tuple[int, float]] = []

    def deliver() -> None:
        request = urllib.request.Request(  # noqa: S310 - our own server
            f"{base_url}/billing/webhooks/stripe/",
            data=payload.encode(),
            headers={"Content-Type": "application/json", "Stripe-Signature": header},
        )
        start.wait()
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        answers.append((status, time.perf_counter() - began))

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    order.refresh_from_db()
    latencies = sorted(seconds for _status, seconds in answers)
    codes: dict[str, int] = {}
    for status, _seconds in answers:
        codes[str(status)] = codes.get(str(status), 0) + 1
    applied = PaymentEvent.objects.filter(order=order, outcome="applied").count()
    return {
        "codes": codes,
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[-1] * 1000, 1),  # 20 samples: the slowest is the 99th percentile
        "transitions": applied,
        "status": order.status,
        "enrollments": int(order.enrollment_id is not None),
        "follow_up_jobs": OutboxMessage.objects.count() - outbox_before,
        "paid_orders_with_this_trade": Order.objects.filter(
            provider_trade_no=session["payment_intent"]
        ).count(),
    }
