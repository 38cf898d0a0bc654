"""The simulated provider: development only, and a real trip through the notification path."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.checks import run_checks

from billing.models import Order, PaymentEvent
from billing.providers.simulated import SIGNATURE_HEADER, simulated_notification
from billing.services import payment_notification_receive
from cohorts.models import Enrollment

ROOT = Path(__file__).resolve().parents[2]


def test_settings_refuse_the_simulated_provider_without_debug():
    env = {**os.environ, "DEBUG": "false", "PAYMENT_SIMULATED": "true", "SECRET_KEY": "x" * 50}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "PAYMENT_SIMULATED" in result.stdout + result.stderr


def test_system_check_flags_the_simulated_provider_without_debug(settings):
    settings.DEBUG = False
    settings.PAYMENT_SIMULATED = True
    assert "billing.E001" in [m.id for m in run_checks()]
    settings.DEBUG = True
    assert "billing.E001" not in [m.id for m in run_checks()]


def test_without_debug_the_simulated_page_does_not_exist(client, order, settings):
    settings.PAYMENT_SIMULATED = True  # even if someone forced it on after start-up
    settings.DEBUG = False
    assert client.get(f"/billing/simulated/{order.number}/").status_code == 404
    assert client.post(f"/billing/simulated/{order.number}/").status_code == 404
    assert Order.objects.get().status == "pending"


def test_simulated_payment_goes_through_the_notification_path(client, simulated_on, order):
    response = client.post(f"/pay/{order.number}/", {"method": "simulated"})
    assert response["Location"] == f"/billing/simulated/{order.number}/"

    response = client.post(f"/billing/simulated/{order.number}/", {"outcome": "paid"})

    assert response["Location"] == f"/pay/{order.number}/return/"
    order.refresh_from_db()
    assert order.status == "paid" and order.provider == "simulated"
    event = PaymentEvent.objects.get()
    assert event.kind == "notification" and event.verified and event.outcome == "applied"
    assert Enrollment.objects.count() == 1


def test_simulated_notification_with_a_forged_signature_is_rejected(simulated_on, order):
    headers, body = simulated_notification(order)
    event = payment_notification_receive(
        provider_name="simulated", headers={SIGNATURE_HEADER: "0" * 64}, body=body
    )
    assert event.outcome == "rejected"
    assert Order.objects.get().status == "pending"
    assert headers[SIGNATURE_HEADER] != "0" * 64
