"""Checkout asks for an e-mail or a phone (either is enough, as the signup does), brings up the
number keypad, and is filled in from the signup the visitor just made in the same session."""

import pytest
from django.core import mail
from django.test import Client

from billing.models import Order
from cohorts.models import Enrollment
from crm.models import Lead
from tests import factories as f

BUY = "/courses/py-7/buy/"


def pay(client, order) -> None:
    client.post(f"/pay/{order.number}/", {"method": "simulated"})
    client.post(f"/billing/simulated/{order.number}/", {"outcome": "paid"})


def test_checkout_with_a_phone_only_places_an_order_linked_to_the_lead(client, cohort):
    response = client.post(BUY, {"name": "韩梅梅", "phone": "139 0000 1111", "consent": "on"})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pay/{order.number}/"
    assert (order.buyer_email, order.buyer_phone) == ("", "+8613900001111")
    assert order.lead == Lead.objects.get(phone="+8613900001111")
    client.post(BUY, {"name": "韩梅梅", "phone": "13900001111", "consent": "on"})
    assert Order.objects.count() == 1  # the same buyer's pending order, found by the phone
    Client().post(BUY, {"name": "别人", "phone": "13900002222", "consent": "on"})
    assert Order.objects.count() == 2  # another phone-only buyer never gets that order


def test_checkout_with_an_e_mail_only_places_an_order_linked_to_the_lead(client, cohort):
    response = client.post(BUY, {"name": "韩梅梅", "email": "Mei@Example.com", "consent": "on"})
    order = Order.objects.get()
    assert response.status_code == 302
    assert (order.buyer_email, order.buyer_phone) == ("mei@example.com", "")
    assert order.lead.email == "mei@example.com"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"phone": "12345"}, "phone", "请输入 11 位大陆手机号，或以 + 开头的国际号码。"),
        ({"phone": "138abc"}, "phone", "手机号只能包含数字。"),
        ({"email": "mei@"}, "email", "请填写正确的邮箱地址，例如 name@example.com。"),
    ],
)
def test_a_bad_phone_or_e_mail_is_named_beside_its_field(client, cohort, data, field, message):
    response = client.post(BUY, {"name": "韩梅梅", "consent": "on", **data})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert not Order.objects.exists() and not Lead.objects.exists()


def test_checkout_errors_read_in_english_too(client, cohort):
    client.cookies["django_language"] = "en"
    response = client.post(BUY, {"consent": "on"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["name"] == ["Enter your name."]
    assert errors["phone"] == ["Give an e-mail address or a phone number (or both)."]


def test_the_phone_field_brings_up_the_number_keypad(client, cohort):
    html = client.get(BUY).content.decode()
    assert 'type="tel"' in html and 'inputmode="tel"' in html and 'autocomplete="tel"' in html
    assert 'autocomplete="email"' in html and 'autocomplete="name"' in html


def test_checkout_is_filled_in_from_this_visitors_signup_and_nobody_elses(client, cohort, signup_ready):
    client.post(
        "/courses/python-bootcamp/",
        {"name": "韩梅梅", "email": "mei@example.com", "phone": "13900001111", "consent": "on"},
    )
    form = client.get(BUY).context["form"]
    assert (form["name"].value(), form["email"].value(), form["phone"].value()) == (
        "韩梅梅",
        "mei@example.com",
        "13900001111",
    )
    html = client.get(BUY).content.decode()
    assert 'value="mei@example.com"' in html
    stranger = Client().get(BUY)
    assert not any(stranger.context["form"][name].value() for name in ("name", "email", "phone"))
    assert "mei@example.com" not in stranger.content.decode()
    client.post(BUY, {"name": "韩梅梅", "email": "mei@example.com", "consent": "on"})
    assert Order.objects.get().lead == Lead.objects.get(email="mei@example.com")


def test_a_spam_signup_fills_in_nothing(client, cohort, signup_ready):
    client.post("/courses/python-bootcamp/", {"name": "bot", "email": "bot@example.com", "website": "x"})
    assert client.get(BUY).context["form"]["email"].value() is None


def test_a_phone_only_buyer_who_pays_is_enrolled_once_the_founder_adds_their_e_mail(
    client, founder_client, cohort, simulated_on, run_jobs, settings
):
    settings.FOUNDER_EMAIL = "founder@example.com"
    client.post(BUY, {"name": "韩梅梅", "phone": "13900001111", "consent": "on"})
    order = Order.objects.get()
    pay(client, order)
    run_jobs()
    order.refresh_from_db()
    assert order.is_paid and order.needs_email and order.enrollment is None
    assert order.lead.status == Lead.Status.WON
    alerts = [m for m in mail.outbox if order.number in m.subject]
    assert len(alerts) == 1 and alerts[0].to == ["founder@example.com"]
    assert "邮箱" in alerts[0].subject and f"/console/orders/{order.number}/" in alerts[0].body
    run_jobs()
    assert len([m for m in mail.outbox if order.number in m.subject]) == 1  # once
    page = founder_client.get(f"/console/orders/{order.number}/").content.decode()
    assert 'id="buyer-email"' in page
    refused = founder_client.post(f"/console/orders/{order.number}/buyer-email/", {"email": "not-an-email"})
    assert refused.status_code == 302
    order.refresh_from_db()
    assert order.needs_email
    client.post(f"/console/orders/{order.number}/buyer-email/", {"email": "mei@example.com"})  # anonymous
    order.refresh_from_db()
    assert order.needs_email
    founder_client.post(f"/console/orders/{order.number}/buyer-email/", {"email": "Mei@Example.com"})
    order.refresh_from_db()
    assert order.buyer_email == "mei@example.com" and order.enrollment is not None
    assert order.enrollment.status == Enrollment.Status.ACTIVE
    assert order.enrollment.student.phone == "+8613900001111"
    run_jobs()
    assert ["mei@example.com"] in [m.to for m in mail.outbox]


def test_a_phone_only_buyer_whose_lead_has_an_e_mail_is_enrolled_with_it(client, cohort, simulated_on):
    f.make_lead(name="韩梅梅", email="mei@example.com", phone="+8613900001111")
    client.post(BUY, {"name": "韩梅梅", "phone": "13900001111", "consent": "on"})
    order = Order.objects.get()
    pay(client, order)
    order.refresh_from_db()
    assert order.is_paid and not order.needs_email
    assert order.buyer_email == "mei@example.com" and order.enrollment.student.user.email == "mei@example.com"
