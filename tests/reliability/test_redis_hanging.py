"""A Redis that accepts connections and never answers: web requests go on without it, quickly.

Worse than a stopped Redis (refused at once): every command waits for its socket timeout. The
request path uses the web process's short timeouts (the worker and commands keep longer ones);
what Redis would have done waits in the outbox, the rate limit is not enforced, the cache misses.
The bounds below are generous on purpose: this checks that nothing waits for long, it is not a
benchmark.
"""

import json
import socket
import threading
import time

import pytest

from billing.models import Order
from crm.models import Lead
from onepco import outbox
from onepco.models import OutboxMessage
from tests.billing.conftest import wechat_notification, wechat_post, wechat_transaction

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]


class HangingRedis:
    """Accepts every connection, reads nothing, answers nothing, closes nothing."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.accepted: list[socket.socket] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                self.accepted.append(self.server.accept()[0])
            except TimeoutError:
                continue

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()
        for connection in [*self.accepted, self.server]:
            connection.close()


@pytest.fixture
def hanging_redis(settings):
    """Every Redis client of onepco (outbox, rate limits, cache, RQ) pointed at a hanging server,
    with the timeouts the settings give a web process."""
    server = HangingRedis()
    settings.REDIS_URL = server.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": server.url}}
    settings.RQ_QUEUES = {"default": {**settings.RQ_QUEUES["default"], "URL": server.url}}
    outbox.redis_connection.cache_clear()
    yield server
    outbox.redis_connection.cache_clear()
    server.stop()


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def test_a_signup_is_answered_201_quickly_and_its_email_waits_in_the_outbox(client, hanging_redis):
    body = {"name": "张三", "email": "zhang@example.com", "consent": True}
    response, seconds = timed(
        lambda: client.post("/api/leads", data=json.dumps(body), content_type="application/json")
    )
    assert response.status_code == 201
    assert seconds < 3, f"the signup waited {seconds:.1f} s on Redis"
    assert hanging_redis.accepted, "the request never tried Redis: the test proves nothing"
    lead = Lead.objects.get()
    message = OutboxMessage.objects.get(job="crm.jobs.lead_notify_founder")
    assert message.args == [lead.pk] and message.completed_at is None
    # Not handed over: the sweep relays it once Redis answers again.
    assert message.relayed_at is None and message.last_error.startswith("relay:")


def test_a_wechat_notification_is_answered_within_wechats_five_seconds(
    client, hanging_redis, wechat_on, keys, order
):
    headers, body = wechat_notification(wechat_transaction(order), keys["wechat_platform"])
    response, seconds = timed(lambda: wechat_post(client, headers, body))
    assert response.status_code == 200 and response.json()["code"] == "SUCCESS"
    assert seconds < 5, f"the notification waited {seconds:.1f} s on Redis"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    message = OutboxMessage.objects.get(job="billing.jobs.send_enrollment_email")
    assert message.completed_at is None and message.relayed_at is None


def test_the_payment_page_loads_without_its_cache(client, hanging_redis, wechat_on, order):
    response, seconds = timed(lambda: client.get(f"/pay/{order.number}/"))
    assert response.status_code == 200
    assert seconds < 3, f"the payment page waited {seconds:.1f} s on Redis"
    assert order.number in response.content.decode()


def test_signing_in_answers_quickly_and_without_an_error_page(client, hanging_redis, founder):
    # allauth's rate limit cannot take its lock: the attempt is refused (429) until Redis answers.
    founder.set_password("创始人的密码-2026")
    founder.save()
    response, seconds = timed(
        lambda: client.post("/accounts/login/", {"login": founder.email, "password": "创始人的密码-2026"})
    )
    assert response.status_code in (200, 302, 429)
    assert seconds < 3, f"the sign-in waited {seconds:.1f} s on Redis"
