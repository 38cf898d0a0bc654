"""Coupons: the code at checkout, the discounted amount every provider is asked for and paid,
a 100 %-off order completed without a provider, the reasons a code is refused, the last use."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import alipay
import pytest
import requests
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from billing.models import Coupon, EarlyBird, Order, PaymentEvent
from billing.selectors import cohort_price_at
from billing.services import order_cancel, order_place, orders_expire
from cohorts.models import Enrollment
from tests import factories as f
from tests.billing.conftest import (
    FakeUrlopen,
    FakeWechatResponse,
    alipay_gateway_answer,
    alipay_notification,
    alipay_post,
    stripe_event,
    stripe_post,
    stripe_session,
    wechat_notification,
    wechat_post,
    wechat_transaction,
)
from tests.billing.test_concurrency import THREADS, run_at_once

BUYER = {"name": "李雷", "email": "lilei@example.com", "phone": "13900000000", "consent": "on"}


def coupon(code: str = "EARLY20", **fields) -> Coupon:
    return Coupon.objects.create(code=code, **{"kind": "percent", "value": Decimal("20"), **fields})


def buy(client, code: str, **buyer):
    return client.post("/courses/py-7/buy/", {**BUYER, **buyer, "coupon": code})


def test_a_percentage_code_in_any_case_stores_list_price_discount_and_amount(client, cohort):
    made = coupon()
    response = buy(client, "early20")

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/pay/{order.number}/"
    assert (order.list_price, order.discount, order.amount) == (
        Decimal("1999.00"),
        Decimal("399.80"),
        Decimal("1599.20"),
    )
    assert order.coupon == made
    page = client.get(f"/pay/{order.number}/").content.decode()
    assert "¥1,999.00" in page or "1999.00" in page or "1,999.00" in page
    assert "1,599.20" in page or "1599.20" in page
    assert "EARLY20" in page


def test_the_link_carries_the_code_and_checkout_shows_before_and_after(client, cohort):
    coupon("SAVE300", kind="fixed", value=Decimal("300"))
    response = client.get("/courses/py-7/buy/?coupon=save300")

    assert response.status_code == 200
    assert response.context["form"]["coupon"].value() == "save300"
    assert response.context["preview"] == {
        "list_price": Decimal("1999.00"),
        "discount": Decimal("300.00"),
        "amount": Decimal("1699.00"),
    }
    page = response.content.decode()
    assert '<s class="list-price">' in page and "SAVE300" in page


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"code": "OTHER"}, "没有这个优惠码。"),
        ({"valid_until": timezone.now() - timedelta(minutes=1)}, "这个优惠码已过期。"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "这个优惠码还没到可用时间。"),
        ({"is_active": False}, "这个优惠码已暂停使用。"),
        ({"max_uses": 0}, "这个优惠码已被用完。"),
    ],
)
def test_a_code_that_cannot_be_used_says_why_next_to_the_field(client, cohort, fields, message):
    coupon(**{"code": "EARLY20", **fields})
    response = buy(client, "EARLY20")

    assert response.status_code == 400
    assert response.context["form"].errors["coupon"] == [message]
    assert message in response.content.decode()
    assert Order.objects.count() == 0


def test_a_code_for_another_course_or_cohort_does_not_apply(client, cohort):
    other = f.make_cohort(course=cohort.course, slug="py-8", name="第 8 期", price=Decimal("1999.00"))
    coupon("COHORT8", cohort=other)
    coupon("OTHERCOURSE", course=f.make_course(slug="go", title="Go"))
    for code in ("COHORT8", "OTHERCOURSE"):
        response = buy(client, code)
        assert response.status_code == 400
        assert response.context["form"].errors["coupon"] == ["这个优惠码不适用于这门课。"]
    coupon("COURSE", course=cohort.course)
    assert buy(client, "COURSE").status_code == 302


def test_one_use_per_person_by_email_or_phone_and_given_back_when_the_order_expires(client, cohort):
    coupon()
    assert buy(client, "EARLY20").status_code == 302
    Order.objects.update(status="paid", paid_at=timezone.now())
    by_phone = buy(client, "EARLY20", email="", phone="13900000000")
    assert by_phone.context["form"].errors["coupon"] == ["你已经用过这个优惠码了。"]

    Order.objects.update(status="pending", paid_at=None, expires_at=timezone.now() - timedelta(seconds=1))
    orders_expire()
    assert buy(client, "EARLY20").status_code == 302
    assert Order.objects.filter(status="pending", coupon__code="EARLY20").count() == 1


def test_a_buyer_coming_back_with_a_code_gets_a_discounted_order_instead(client, cohort):
    coupon()
    client.post("/courses/py-7/buy/", BUYER)
    first = Order.objects.get()
    assert buy(client, "EARLY20").status_code == 302
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert Order.objects.get(status="pending").amount == Decimal("1599.20")


def test_a_hundred_percent_code_enrolls_without_a_provider_and_counts_no_revenue(client, cohort):
    coupon("FREE", value=Decimal("100"))
    response = buy(client, "FREE")

    order = Order.objects.get()
    assert response.status_code == 302
    assert order.status == "paid" and order.amount == Decimal("0.00") and order.provider == ""
    assert order.enrollment.status == Enrollment.Status.ACTIVE
    assert PaymentEvent.objects.count() == 0
    assert client.get(f"/pay/{order.number}/")["Location"] == f"/pay/{order.number}/return/"


# --- every provider is asked for, and paid, the discounted amount ---------------------------


@pytest.mark.parametrize("kind, value, amount", [("percent", "20", "1599.20"), ("fixed", "300", "1699.00")])
def test_alipay_is_asked_for_and_paid_the_discounted_amount(
    client, cohort, alipay_on, keys, monkeypatch, kind, value, amount
):
    coupon("C", kind=kind, value=Decimal(value))
    buy(client, "C")
    order = Order.objects.get()
    answer = {
        "code": "10000",
        "msg": "Success",
        "out_trade_no": order.number,
        "qr_code": "https://qr.alipay.com/x",
    }
    fake = FakeUrlopen(alipay_gateway_answer("alipay_trade_precreate_response", answer, keys["alipay"]))
    monkeypatch.setattr(alipay, "urlopen", fake)

    assert client.post(f"/pay/{order.number}/", {"method": "alipay"}).status_code == 302
    assert (
        f"%22total_amount%22%3A%22{amount}%22" in fake.urls[0] or f'"total_amount":"{amount}"' in fake.urls[0]
    )

    listed = alipay_post(client, alipay_notification(order, keys["alipay"], total_amount="1999.00"))
    assert listed.status_code == 400 or Order.objects.get().status == "pending"
    assert Order.objects.get().status == "pending"
    assert alipay_post(client, alipay_notification(order, keys["alipay"])).status_code == 200
    order.refresh_from_db()
    assert order.status == "paid" and order.amount == Decimal(amount) and order.enrollment is not None


@pytest.mark.parametrize("kind, value, fen", [("percent", "20", 159920), ("fixed", "300", 169900)])
def test_wechat_is_asked_for_and_paid_the_discounted_amount(
    client, cohort, wechat_on, keys, monkeypatch, kind, value, fen
):
    coupon("C", kind=kind, value=Decimal(value))
    buy(client, "C")
    order = Order.objects.get()
    calls = []

    def fake_post(url, **kwargs):
        calls.append(kwargs["json"])
        return FakeWechatResponse(
            200, {"code_url": "weixin://wxpay/bizpayurl?pr=abc"}, keys["wechat_platform"]
        )

    monkeypatch.setattr(requests, "post", fake_post)
    assert client.post(f"/pay/{order.number}/", {"method": "wechat"}).status_code == 302
    assert calls[0]["amount"] == {"total": fen, "currency": "CNY"}

    listed = wechat_transaction(order, amount={"total": 199900, "payer_total": 199900, "currency": "CNY"})
    wechat_post(client, *wechat_notification(listed, keys["wechat_platform"], event_id="EV-1"))
    assert Order.objects.get().status == "pending"
    wechat_post(
        client, *wechat_notification(wechat_transaction(order), keys["wechat_platform"], event_id="EV-2")
    )
    assert Order.objects.get().status == "paid"


@pytest.mark.parametrize("kind, value, cents", [("percent", "20", 159920), ("fixed", "300", 169900)])
def test_stripe_is_asked_for_and_paid_the_discounted_amount(
    client, cohort, stripe_on, fake_stripe, kind, value, cents
):
    coupon("C", kind=kind, value=Decimal(value))
    buy(client, "C")
    order = Order.objects.get()
    fake = fake_stripe(
        {"id": "cs_test_c", "object": "checkout.session", "url": "https://checkout.stripe.com/c/x"}
    )

    assert client.post(f"/pay/{order.number}/", {"method": "stripe"}).status_code == 302
    assert f"[unit_amount]={cents}" in fake.requests[0][2]

    stripe_post(
        client, stripe_event("checkout.session.completed", stripe_session(order, amount_total=199900))
    )
    assert Order.objects.get().status == "pending"
    stripe_post(client, stripe_event("checkout.session.completed", stripe_session(order), event_id="evt_2"))
    assert Order.objects.get().status == "paid"


# --- the last use, at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_checkouts_for_the_last_use_give_it_to_exactly_one(cohort):
    cohort.capacity = 100
    cohort.save()
    coupon(max_uses=1)

    def place(i: int):
        return order_place(
            cohort=cohort, buyer_name=f"买家{i}", buyer_email=f"b{i}@example.com", coupon_code="EARLY20"
        )

    results = run_at_once(place)

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(placed) == 1 and len(refused) == THREADS - 1, results
    assert all(r.messages == ["这个优惠码已被用完。"] for r in refused)
    assert Order.objects.filter(coupon__code="EARLY20").count() == 1
    Client()  # the thread connections are closed; the test database is flushed after


# --- the founder's pages --------------------------------------------------------------------


def test_the_founder_creates_edits_and_pauses_a_coupon(client, founder, cohort):
    client.force_login(founder)
    response = client.post(
        "/console/coupons/new/",
        {
            "code": "Launch50",
            "kind": "fixed",
            "value": "50",
            "cohort": cohort.pk,
            "once_per_person": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    made = Coupon.objects.get()
    assert (made.code, made.value, made.cohort, made.is_active) == (
        "Launch50",
        Decimal("50.00"),
        cohort,
        True,
    )
    page = client.get(f"/console/coupons/{made.pk}/").content.decode()
    assert "/courses/py-7/buy/?coupon=Launch50" in page

    assert client.post(f"/console/coupons/{made.pk}/pause/").status_code == 302
    made.refresh_from_db()
    assert not made.is_active


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"code": "launch50"}, "code", "已经有优惠码用了这个代码。"),
        ({"code": "有 空格"}, "code", "只能用字母、数字、- 和 _。"),
        ({"value": "120"}, "value", "百分比最多为 100。"),
        ({"value": "0"}, "value", "请填写大于 0 的数值。"),
    ],
)
def test_a_bad_coupon_is_refused_next_to_its_field(client, founder, cohort, fields, field, message):
    coupon("LAUNCH50")
    client.force_login(founder)
    data = {"code": "NEW", "kind": "percent", "value": "10", "is_active": "on", **fields}
    response = client.post("/console/coupons/new/", data)
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert Coupon.objects.count() == 1


@pytest.mark.parametrize("who", ["student_client", "other_client", "outsider_client", "client"])
def test_coupon_pages_are_the_founders_only(request, cohort, who):
    made = coupon()
    client = request.getfixturevalue(who)
    for url in ("/console/coupons/", "/console/coupons/new/", f"/console/coupons/{made.pk}/"):
        assert client.get(url).status_code in (302, 403, 404)
    assert client.post(f"/console/coupons/{made.pk}/pause/").status_code in (302, 403, 404)
    assert client.post(
        f"/console/coupons/{made.pk}/", {"code": "X", "kind": "percent", "value": "90"}
    ).status_code in (302, 403, 404)
    made.refresh_from_db()
    assert made.is_active and made.code == "EARLY20" and made.value == Decimal("20.00")


def test_the_coupon_list_shows_uses_deals_and_revenue_in_bounded_queries(
    client, founder, cohort, django_assert_max_num_queries
):
    for i in range(6):
        made = coupon(f"C{i}", max_uses=10)
        paid = f.make_order(cohort, status="paid", amount=Decimal("1599.20"))
        Order.objects.filter(pk=paid.pk).update(
            coupon=made, list_price=Decimal("1999.00"), discount=Decimal("399.80")
        )
        pending = f.make_order(cohort, expires_at=timezone.now() + timedelta(minutes=30))
        Order.objects.filter(pk=pending.pk).update(coupon=made)
    client.force_login(founder)
    with django_assert_max_num_queries(12):
        response = client.get("/console/coupons/")
    rows = {c.code: (c.uses, c.deals, c.revenue) for c in response.context["coupons"]}
    assert rows["C0"] == (2, 1, Decimal("1599.20"))
    assert "1,599.20" in response.content.decode() or "1599.20" in response.content.decode()


def test_the_founders_order_form_applies_a_coupon_or_a_discount_not_above_the_price(client, founder, cohort):
    coupon("VIP", value=Decimal("50"))
    client.force_login(founder)
    base = {"cohort": cohort.pk, "buyer_name": "韩梅梅", "buyer_email": "han@example.com"}
    too_much = client.post("/console/orders/new/", {**base, "discount": "2000"})
    assert too_much.status_code == 200 and "discount" in too_much.context["form"].errors
    assert Order.objects.count() == 0

    assert client.post("/console/orders/new/", {**base, "discount": "199"}).status_code == 302
    manual = Order.objects.get()
    assert (manual.list_price, manual.discount, manual.amount, manual.coupon) == (
        Decimal("1999.00"), Decimal("199.00"), Decimal("1800.00"), None,
    )  # fmt: skip
    client.post("/console/orders/new/", {**base, "buyer_email": "lily@example.com", "coupon": "vip"})
    with_code = Order.objects.get(buyer_email="lily@example.com")
    assert with_code.amount == Decimal("999.50") and with_code.coupon.code == "VIP"
    wrong = client.post("/console/orders/new/", {**base, "buyer_email": "x@example.com", "coupon": "NOPE"})
    assert wrong.context["form"].errors["coupon"] == ["没有这个优惠码。"]


# --- early-bird -----------------------------------------------------------------------------


def test_early_bird_price_is_shown_and_charged_until_its_last_day_in_the_site_time_zone(
    client, cohort, settings, monkeypatch
):
    settings.TIME_ZONE = "Asia/Shanghai"
    shanghai = ZoneInfo("Asia/Shanghai")
    last = timezone.localdate() + timedelta(days=2)
    EarlyBird.objects.create(cohort=cohort, price=Decimal("1499.00"), last_day=last)
    late_evening = datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=shanghai)
    monkeypatch.setattr(timezone, "now", lambda: late_evening)  # 15:59 UTC: still the last day there

    page = client.get("/courses/python-bootcamp/").content.decode()
    assert f"早鸟价，{last.month} 月 {last.day} 日截止" in page and "1,499.00" in page
    client.post("/courses/py-7/buy/", BUYER)
    assert Order.objects.get().amount == Decimal("1499.00")

    monkeypatch.setattr(timezone, "now", lambda: late_evening + timedelta(seconds=1))
    page = client.get("/courses/python-bootcamp/").content.decode()
    assert "早鸟价" not in page and "1,999.00" in page
    assert cohort_price_at(cohort) == Decimal("1999.00")
    client.post("/courses/py-7/buy/", {**BUYER, "email": "late@example.com", "phone": ""})
    assert Order.objects.get(buyer_email="late@example.com").amount == Decimal("1999.00")


def test_a_coupon_comes_off_the_early_bird_price(client, cohort):
    EarlyBird.objects.create(cohort=cohort, price=Decimal("1500.00"), last_day=timezone.localdate())
    coupon()
    buy(client, "EARLY20")
    order = Order.objects.get()
    assert (order.list_price, order.discount, order.amount) == (
        Decimal("1500.00"),
        Decimal("300.00"),
        Decimal("1200.00"),
    )


def test_a_cancelled_order_gives_its_last_use_back(cohort):
    coupon(max_uses=1)
    first = order_place(cohort=cohort, buyer_name="甲", buyer_email="a@example.com", coupon_code="EARLY20")
    with pytest.raises(ValidationError, match="这个优惠码已被用完。"):
        order_place(cohort=cohort, buyer_name="乙", buyer_email="b@example.com", coupon_code="EARLY20")
    order_cancel(order=first)
    second = order_place(cohort=cohort, buyer_name="乙", buyer_email="b@example.com", coupon_code="EARLY20")
    assert second.coupon is not None and second.amount == Decimal("1599.20")


def test_a_coupon_link_to_the_sales_page_shows_its_price_and_the_buy_links_keep_it(client, cohort):
    coupon()
    page = client.get("/courses/python-bootcamp/?coupon=early20").text

    assert "1,599.20" in page and "优惠码 EARLY20" in page
    assert 'href="/courses/py-7/buy/?coupon=early20"' in page
    unknown = client.get("/courses/python-bootcamp/?coupon=NOPE").text
    assert "优惠码" not in unknown and 'href="/courses/py-7/buy/"' in unknown
