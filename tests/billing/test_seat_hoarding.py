"""Seats cannot be hoarded for free: checkout is rate limited per visitor and per contact."""

from django.core.checks import run_checks

from billing.models import Order
from crm.models import Lead

BUYER = {"name": "李雷", "email": "lilei@example.com", "phone": "13900000000", "consent": "on"}


def buyer(i: int, **overrides) -> dict:
    return {**BUYER, "email": f"buyer{i}@example.com", "phone": f"1390000{i:04d}", **overrides}


# --- checkout rate limits ------------------------------------------------------------------


def test_checkouts_from_one_address_are_limited_and_nothing_is_created(client, cohort, settings):
    settings.CHECKOUT_RATE_LIMIT = "3/h"
    codes = [client.post("/courses/py-7/buy/", buyer(i)).status_code for i in range(3)]
    assert codes == [302, 302, 302]
    orders, leads = Order.objects.count(), Lead.objects.count()

    response = client.post("/courses/py-7/buy/", buyer(9))

    assert response.status_code == 429
    assert response.context["form"].non_field_errors()
    assert "请稍后再试" in response.content.decode()
    assert (Order.objects.count(), Lead.objects.count()) == (orders, leads)
    assert not Lead.objects.filter(email="buyer9@example.com").exists()


def test_a_forged_forwarded_for_does_not_escape_the_checkout_limit(client, cohort, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/h"
    settings.TRUSTED_PROXY_COUNT = 1  # one proxy: only its entry (the last) is believed

    def post(i: int, forwarded: str) -> int:
        return client.post("/courses/py-7/buy/", buyer(i), HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert post(1, "10.0.0.1, 203.0.113.7") == 302
    assert post(2, "10.0.0.2, 203.0.113.7") == 302
    assert post(3, "10.0.0.3, 203.0.113.7") == 429
    assert post(4, "203.0.113.99") == 302  # another visitor
    assert Order.objects.count() == 3


def test_checkouts_for_one_email_or_phone_are_limited_from_any_address(client, cohort, settings):
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "2/h"

    def post(data: dict, address: str) -> int:
        return client.post("/courses/py-7/buy/", data, REMOTE_ADDR=address).status_code

    same_email = [post(buyer(i, email="hoarder@example.com"), f"198.51.100.{i}") for i in range(3)]
    assert same_email == [302, 302, 429]
    phones = ["139 0000 1234", "+86 13900001234", "13900001234"]
    same_phone = [post(buyer(10 + i, phone=p), f"192.0.2.{i}") for i, p in enumerate(phones)]
    assert same_phone == [302, 302, 429]
    assert Order.objects.count() == 3  # the same e-mail got its pending order back


def test_malformed_checkout_rate_settings_stop_the_start(settings):
    settings.CHECKOUT_RATE_LIMIT = "10/min"
    assert "billing.E002" in [m.id for m in run_checks()]
    settings.CHECKOUT_RATE_LIMIT = "10/h"
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "lots"
    assert "billing.E002" in [m.id for m in run_checks()]
    settings.CHECKOUT_CONTACT_RATE_LIMIT = "5/h"
    assert "billing.E002" not in [m.id for m in run_checks()]
