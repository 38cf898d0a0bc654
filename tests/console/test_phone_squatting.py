"""A lead is matched by e-mail or phone, so whoever gives a number first "owns" its lead. What
is a person's follows their own address and account: someone who signed up with another's phone
number neither downloads that person's orders nor takes them down with their own erasure."""

import json

import pytest

from accounts.models import User
from billing import services
from billing.models import Order
from console.erasure import person_erase, person_for
from crm.models import Lead
from crm.services import lead_capture
from tests import factories as f
from tests.billing.conftest import payee  # noqa: F401 - a payee account makes manual transfer confirmable
from tests.console.test_my_data_by_email import as_zip, code_in


@pytest.fixture
def squatted(client, db):
    """Mallory signs up with her address and the victim's phone; the victim then buys a seat."""
    cohort = f.make_cohort(slug="open-cohort", sale_open=True)
    lead_capture(name="Mallory", email="mallory@evil.example", phone="13800138000")
    response = client.post(
        f"/courses/{cohort.slug}/buy/",
        {"name": "受害人", "email": "victim@example.com", "phone": "13800138000", "consent": "on"},
    )
    assert response.status_code == 302
    return Order.objects.get()


def test_a_lead_holding_someone_elses_phone_does_not_download_their_order(
    client, squatted, run_jobs, mailoutbox
):
    response = client.post("/privacy/my-data/", {"email": "mallory@evil.example"})
    run_jobs()
    code = code_in([m for m in mailoutbox if m.to == ["mallory@evil.example"]][-1])
    data = json.loads(as_zip(client.post(response["Location"], {"code": code})).read("data.json"))
    assert [o["buyer_email"] for o in data["orders"]] == []
    assert "受害人" not in json.dumps(data, ensure_ascii=False)
    assert [lead["email"] for lead in data["leads"]] == ["mallory@evil.example"]  # her own, still


def test_the_victims_signed_in_download_holds_their_order_and_not_the_squatters_lead(
    client,
    squatted,
    founder,
    payee,  # noqa: F811
):
    services.transfer_confirm(order=squatted, by=founder)
    victim = User.objects.get(email="victim@example.com")
    client.force_login(victim)
    data = json.loads(as_zip(client.get("/account/my-data.zip")).read("data.json"))
    assert [o["buyer_email"] for o in data["orders"]] == ["victim@example.com"]
    assert "mallory" not in json.dumps(data)


def test_erasing_the_squatter_leaves_the_victim_whole(squatted, founder, payee):  # noqa: F811
    services.transfer_confirm(order=squatted, by=founder)
    victim = User.objects.get(email="victim@example.com")
    person_erase(person=person_for(lead=Lead.objects.get(email="mallory@evil.example")), erased_by=founder)
    victim.refresh_from_db()
    order = Order.objects.get()
    assert (victim.is_active, victim.email, order.buyer_email, order.buyer_name) == (
        True, "victim@example.com", "victim@example.com", "受害人",
    )  # fmt: skip
