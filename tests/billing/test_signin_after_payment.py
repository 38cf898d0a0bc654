"""The buyer who pays is signed in in the browser that placed the order, and nowhere else."""

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from accounts.models import LoginLink, User
from billing.models import Order
from crm.models import SignupSettings
from tests import factories as f

BUYER = {"name": "李雷", "email": "lilei@example.com", "phone": "13900000000", "consent": "on"}


def _buy_and_pay(client: Client) -> Order:
    assert client.post("/courses/py-7/buy/", BUYER).status_code == 302
    order = Order.objects.get(buyer_email="lilei@example.com")
    assert client.post(f"/pay/{order.number}/", {"method": "simulated"}).status_code == 302
    # The simulated provider's "Pay" sends a signed notification through the real path.
    response = client.post(f"/billing/simulated/{order.number}/", {"outcome": "paid"})
    assert response["Location"] == f"/pay/{order.number}/return/"
    order.refresh_from_db()
    assert order.is_paid and order.user is not None
    return order


def test_paying_signs_in_the_buyer_and_opens_the_learning_space(client, simulated_on, cohort):
    order = _buy_and_pay(client)

    response = client.get(f"/pay/{order.number}/return/")

    assert response.status_code == 302 and response["Location"] == "/learn/"
    learn = client.get("/learn/")
    assert learn.status_code == 200
    assert learn.wsgi_request.user.pk == order.user_id
    assert not User.objects.get(pk=order.user_id).has_usable_password()
    # Back on the success page later: still signed in, its button leads to /learn/.
    again = client.get(f"/pay/{order.number}/return/")
    assert again.status_code == 200 and 'href="/learn/"' in again.content.decode()


def test_another_browser_with_the_order_number_is_not_signed_in(client, simulated_on, cohort):
    order = _buy_and_pay(client)
    stranger = Client()

    response = stranger.get(f"/pay/{order.number}/return/")

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert stranger.get("/learn/").status_code == 302
    assert "/accounts/login/" in response.content.decode()


def test_an_order_paid_long_ago_does_not_sign_in(client, simulated_on, cohort):
    order = _buy_and_pay(client)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(hours=2))

    response = client.get(f"/pay/{order.number}/return/")

    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_a_staff_account_is_never_signed_in_by_paying(client, simulated_on, cohort):
    staff = f.make_user(email="lilei@example.com", is_staff=True)
    order = _buy_and_pay(client)
    assert order.user_id == staff.pk

    response = client.get(f"/pay/{order.number}/return/")

    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_an_account_older_than_the_order_is_not_opened_by_paying(client, simulated_on, cohort):
    # Whoever types another person's e-mail at checkout and pays gets no way into their account.
    existing = f.make_user(email="lilei@example.com")
    order = _buy_and_pay(client)
    assert order.user_id == existing.pk

    response = client.get(f"/pay/{order.number}/return/")

    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated


def test_the_enrollment_email_carries_a_one_time_link_that_signs_in_elsewhere(
    client, simulated_on, cohort, run_jobs, mailoutbox
):
    order = _buy_and_pay(client)
    run_jobs()
    [mail] = [m for m in mailoutbox if m.to == ["lilei@example.com"]]
    link = re.search(r"https?://\S+/account/link/\S+/", mail.body)
    assert link, mail.body
    path = "/" + link.group(0).split("/", 3)[3]
    phone = Client()

    assert phone.get(path).status_code == 200  # asks to confirm: a mail scanner spends nothing
    response = phone.post(path)

    assert response.status_code == 302 and response["Location"] == "/learn/"
    assert phone.get("/learn/").wsgi_request.user.pk == order.user_id
    assert LoginLink.objects.get().used_at is not None
    assert "请加入班级微信群" in mail.body and "Hello" not in mail.body


def test_the_enrollment_email_names_the_assistants_wechat_from_the_setup(
    client, simulated_on, cohort, run_jobs, mailoutbox
):
    SignupSettings.objects.create(wechat_id="zhujiao_2026")
    _buy_and_pay(client)
    run_jobs()
    [mail] = [m for m in mailoutbox if m.to == ["lilei@example.com"]]
    assert "添加助教微信" in mail.body and "zhujiao_2026" in mail.body
    assert "/thanks/wechat-qr" not in mail.body  # no QR uploaded: no link to one


def test_without_a_wechat_in_the_setup_the_email_asks_for_none(
    client, simulated_on, cohort, run_jobs, mailoutbox
):
    _buy_and_pay(client)
    run_jobs()
    [mail] = [m for m in mailoutbox if m.to == ["lilei@example.com"]]
    assert "添加助教微信" not in mail.body and "测评" not in mail.body


def test_a_qr_payment_page_that_sees_the_payment_signs_in_too(client, simulated_on, cohort):
    # Paid by scanning a QR code: the payment page itself refreshes (htmx) once the order is paid.
    order = _buy_and_pay(client)
    response = client.get(f"/pay/{order.number}/", follow=True)
    assert response.redirect_chain[-1][0] == "/learn/"
    assert response.wsgi_request.user.pk == order.user_id
