"""Referral rewards (#17): a friend who came through a student's link pays, and the student is
credited once for that order with what the founder chose: nothing, a single-use coupon
e-mailed to them, or cash the founder pays by hand and marks paid. A refund of the friend's
order before the reward is paid or used flags it."""

import io
import json
import threading
import zipfile
from datetime import timedelta
from decimal import Decimal

import alipay
import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from billing.models import Coupon, Order, PaymentEvent, ReferralReward, ReferralSettings
from billing.selectors import coupon_refusal
from billing.services import order_buyer_email_add, refund_issue
from crm.models import Lead
from onepco.models import OutboxMessage
from tests import factories as f
from tests.billing.conftest import FakeUrlopen, alipay_gateway_answer, alipay_notification, alipay_post

REFERRALS = "/console/referrals/"


def _reward(kind: str, **fields) -> ReferralSettings:
    values = {
        "coupon": {"coupon_kind": "percent", "coupon_value": Decimal("20"), "coupon_valid_days": 30},
        "cash": {"cash_amount": Decimal("200.00")},
        "none": {},
    }[kind]
    return ReferralSettings.objects.create(reward=kind, **{**values, **fields})


@pytest.fixture
def friend_order(cohort, student):
    """A pending order of a friend whose lead the standing student referred."""
    lead = f.make_lead(name="王小明", email="buyer@example.com", channel="referral", referred_by=student)
    return f.make_order(
        cohort, lead=lead, buyer_name="王小明", buyer_email="buyer@example.com",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip


def _pay(client, order, keys):
    response = alipay_post(client, alipay_notification(order, keys["alipay"]))
    assert response.content == b"success"
    order.refresh_from_db()
    return response


# --- attribution through the API -------------------------------------------------------------


def test_a_lead_posted_to_the_api_with_a_ref_is_credited_to_that_student(client, student):
    body = {
        "name": "新朋友",
        "email": "friend@example.com",
        "consent": True,
        "ref": student.referral_code.upper(),
    }

    response = client.post("/api/leads", body, content_type="application/json")

    assert response.status_code == 201
    lead = Lead.objects.get(email="friend@example.com")
    assert (lead.channel, lead.referral_code, lead.referred_by) == (
        "referral",
        student.referral_code,
        student,
    )


def test_an_api_ref_keeps_the_channel_the_caller_gives_and_first_touch_still_wins(client, student):
    f.make_lead(name="老朋友", email="old@example.com", channel="zhihu")
    body = {
        "name": "新朋友",
        "phone": "13700137001",
        "consent": True,
        "ref": student.referral_code,
        "channel": "wechat",
    }

    assert client.post("/api/leads", body, content_type="application/json").status_code == 201
    again = {"name": "老朋友", "email": "old@example.com", "consent": True, "ref": student.referral_code}
    assert client.post("/api/leads", again, content_type="application/json").status_code == 201

    new = Lead.objects.get(phone="+8613700137001")
    assert (new.channel, new.referred_by) == ("wechat", student)
    old = Lead.objects.get(email="old@example.com")
    assert (old.channel, old.referred_by) == ("zhihu", None)


def test_an_api_ref_that_is_unknown_own_or_too_long_refers_nobody(client, student):
    unknown = {"name": "甲", "email": "a@example.com", "consent": True, "ref": "nosuchcode"}
    own = {"name": "学员甲", "email": "student@example.com", "consent": True, "ref": student.referral_code}
    assert client.post("/api/leads", unknown, content_type="application/json").status_code == 201
    assert client.post("/api/leads", own, content_type="application/json").status_code == 201
    assert Lead.objects.filter(referred_by__isnull=False).count() == 0

    too_long = {"name": "乙", "email": "b@example.com", "consent": True, "ref": "x" * 17}
    response = client.post("/api/leads", too_long, content_type="application/json")
    assert response.status_code == 400 and "ref" in response.json()["errors"]
    assert not Lead.objects.filter(email="b@example.com").exists()


def test_the_openapi_document_lists_ref(client):
    fields = client.get("/api/openapi.json").json()["paths"]["/api/leads"]["post"]["requestBody"]
    assert "ref" in fields["content"]["application/json"]["schema"]["properties"]


# --- the reward ------------------------------------------------------------------------------


def test_a_paid_referred_order_credits_the_referrer_once_however_often_it_is_notified(
    client, alipay_on, keys, friend_order, student
):
    _reward("cash")
    body = alipay_notification(friend_order, keys["alipay"])

    alipay_post(client, body)
    alipay_post(client, body)

    assert list(PaymentEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "duplicate",
    ]
    reward = ReferralReward.objects.get()
    assert (reward.order, reward.referrer, reward.kind, reward.status) == (
        friend_order,
        student,
        "cash",
        "owed",
    )
    assert reward.amount == Decimal("200.00")


def test_a_phone_only_buyer_is_credited_at_payment_and_not_again_when_the_email_is_added(
    client, alipay_on, keys, cohort, student
):
    _reward("cash")
    lead = f.make_lead(name="电话朋友", phone="13600000000", referred_by=student)
    order = f.make_order(
        cohort, lead=lead, buyer_name="电话朋友", buyer_email="", buyer_phone="+8613600000000",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip
    _pay(client, order, keys)
    assert order.needs_email and ReferralReward.objects.count() == 1

    order_buyer_email_add(order=order, email="phone.friend@example.com")

    order.refresh_from_db()
    assert order.enrollment_id is not None
    assert ReferralReward.objects.count() == 1


def test_the_database_holds_one_reward_per_order(friend_order, student):
    _reward("cash")
    ReferralReward.objects.create(order=friend_order, referrer=student, kind="cash", status="owed", amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralReward.objects.create(
            order=friend_order, referrer=student, kind="cash", status="owed", amount=1
        )


@pytest.mark.django_db(transaction=True)
def test_ten_identical_notifications_at_once_credit_one_reward(alipay_on, keys, friend_order, student):
    _reward("coupon")
    body = alipay_notification(friend_order, keys["alipay"])
    barrier = threading.Barrier(10)
    answers: list = []

    def deliver() -> None:
        try:
            barrier.wait()
            answers.append(alipay_post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 10
    assert ReferralReward.objects.count() == 1
    assert Coupon.objects.count() == 1
    assert OutboxMessage.objects.filter(job="billing.jobs.send_referral_reward_email").count() == 1


def test_a_coupon_reward_is_issued_for_one_use_and_emailed_through_the_outbox(
    client, alipay_on, keys, friend_order, student, run_jobs, mailoutbox
):
    _reward("coupon")

    _pay(client, friend_order, keys)
    run_jobs()

    reward = ReferralReward.objects.select_related("coupon").get()
    coupon = reward.coupon
    assert (reward.kind, reward.status) == ("coupon", "sent") and reward.emailed_at is not None
    assert (coupon.kind, coupon.value, coupon.max_uses, coupon.once_per_person) == ("percent", 20, 1, True)
    assert coupon.course is None and coupon.cohort is None
    assert timedelta(days=29) < coupon.valid_until - coupon.valid_from <= timedelta(days=30)
    to_referrer = [m for m in mailoutbox if m.to == ["student@example.com"]]
    assert len(to_referrer) == 1
    mail = to_referrer[0]
    assert (
        coupon.code in mail.body
        and "减 20 %，有效期至" in mail.body
        and "Python 实战营" in mail.subject + mail.body
    )
    # The friend is not named to the referrer.
    assert "王小明" not in mail.subject + mail.body and "buyer@example.com" not in mail.body
    run_jobs()
    assert len([m for m in mailoutbox if m.to == ["student@example.com"]]) == 1


def test_the_coupon_can_be_used_once(client, alipay_on, keys, friend_order, cohort):
    _reward("coupon", coupon_kind="fixed", coupon_value=Decimal("300.00"))
    _pay(client, friend_order, keys)
    coupon = ReferralReward.objects.get().coupon
    assert coupon_refusal(coupon, cohort=cohort, email="student@example.com") == ""

    f.make_order(cohort, coupon=coupon, status=Order.Status.PAID, buyer_email="student@example.com")

    assert coupon_refusal(coupon, cohort=cohort, email="someone@example.com") == "这个优惠码已被用完。"


def test_cash_owed_is_marked_paid_by_the_founder_with_who_and_when(
    client, alipay_on, keys, friend_order, founder, founder_client
):
    _reward("cash")
    _pay(client, friend_order, keys)
    reward = ReferralReward.objects.get()

    response = founder_client.post(f"{REFERRALS}rewards/{reward.pk}/paid/", {"note": "微信转账"})

    assert response.status_code == 302
    reward.refresh_from_db()
    assert (reward.status, reward.paid_by, reward.paid_note) == ("paid", founder, "微信转账")
    assert reward.paid_at is not None
    paid_at = reward.paid_at
    again = founder_client.post(f"{REFERRALS}rewards/{reward.pk}/paid/", follow=True)
    assert "这笔奖励已经标记为已付" in again.content.decode()
    reward.refresh_from_db()
    assert reward.paid_at == paid_at


def test_no_reward_set_credits_nothing(client, alipay_on, keys, friend_order):
    _pay(client, friend_order, keys)
    assert friend_order.status == "paid"
    assert ReferralReward.objects.count() == 0
    _reward("none")
    assert ReferralReward.objects.count() == 0


def test_buying_through_ones_own_link_earns_nothing(client, alipay_on, keys, cohort, student):
    _reward("cash")
    # Their own link opened with another address (the code check at signup did not catch it),
    # then bought with their own.
    lead = f.make_lead(name="学员甲", phone="13900000000", referred_by=student)
    order = f.make_order(
        cohort, lead=lead, buyer_name="学员甲", buyer_email="student@example.com",
        expires_at=timezone.now() + timedelta(minutes=30),
    )  # fmt: skip

    _pay(client, order, keys)

    assert order.status == "paid"
    assert ReferralReward.objects.count() == 0


def test_an_unreferred_order_earns_nothing(client, alipay_on, keys, order):
    _reward("cash")
    _pay(client, order, keys)
    assert ReferralReward.objects.count() == 0


def _refund(order, keys, monkeypatch, founder, amount: str):
    answer = alipay_gateway_answer(
        "alipay_trade_refund_response",
        {"code": "10000", "msg": "Success", "trade_no": order.provider_trade_no, "out_trade_no": order.number,
         "fund_change": "Y", "refund_fee": amount},
        keys["alipay"],
    )  # fmt: skip
    monkeypatch.setattr(alipay, "urlopen", FakeUrlopen(answer))
    refund_issue(order=order, amount=Decimal(amount), reason="退课", by=founder)


def test_a_full_refund_before_cash_is_paid_makes_it_not_to_be_paid(
    client, alipay_on, keys, friend_order, founder, founder_client, monkeypatch
):
    _reward("cash")
    _pay(client, friend_order, keys)

    _refund(friend_order, keys, monkeypatch, founder, "1999.00")

    reward = ReferralReward.objects.get()
    assert reward.status == "void" and reward.order_refunded_at is not None
    page = founder_client.get(REFERRALS).content.decode()
    assert "订单已退款——不要支付" in page
    founder_client.post(f"{REFERRALS}rewards/{reward.pk}/paid/")
    reward.refresh_from_db()
    assert reward.status == "void" and reward.paid_at is None


def test_a_partial_refund_flags_cash_owed_without_voiding_it(
    client, alipay_on, keys, friend_order, founder, monkeypatch
):
    _reward("cash")
    _pay(client, friend_order, keys)

    _refund(friend_order, keys, monkeypatch, founder, "500.00")

    reward = ReferralReward.objects.get()
    assert reward.status == "owed" and reward.order_refunded_at is not None


def test_a_refund_after_the_cash_was_paid_changes_nothing(
    client, alipay_on, keys, friend_order, founder, founder_client, monkeypatch
):
    _reward("cash")
    _pay(client, friend_order, keys)
    reward = ReferralReward.objects.get()
    founder_client.post(f"{REFERRALS}rewards/{reward.pk}/paid/")

    _refund(friend_order, keys, monkeypatch, founder, "1999.00")

    reward.refresh_from_db()
    assert reward.status == "paid" and reward.order_refunded_at is None


def test_a_refund_flags_a_coupon_sent_but_does_not_take_it_back(
    client, alipay_on, keys, friend_order, founder, founder_client, monkeypatch
):
    _reward("coupon")
    _pay(client, friend_order, keys)

    _refund(friend_order, keys, monkeypatch, founder, "1999.00")

    reward = ReferralReward.objects.select_related("coupon").get()
    assert reward.status == "sent" and reward.order_refunded_at is not None
    assert reward.coupon.is_active
    assert "好友的订单在优惠券发出后已退款" in founder_client.get(REFERRALS).content.decode()


# --- the console -----------------------------------------------------------------------------


def test_the_referrers_page_lists_leads_deals_revenue_and_rewards(
    client, alipay_on, keys, friend_order, student, founder_client
):
    _reward("cash")
    f.make_lead(name="另一个朋友", referred_by=student)
    f.make_lead(name="垃圾", referred_by=student, is_spam=True)
    _pay(client, friend_order, keys)

    response = founder_client.get(REFERRALS)

    assert response.status_code == 200
    row = response.context["referrers"][0]
    assert (row, row.referred, row.deals, row.revenue) == (student, 2, 1, Decimal("1999.00"))
    html = response.content.decode()
    assert "学员甲" in html and "¥200.00" in html and "标记已付" in html and friend_order.number in html
    assert founder_client.get(f"/console/students/{student.pk}/").status_code == 200
    detail = founder_client.get(f"/console/orders/{friend_order.number}/").content.decode()
    assert "推荐奖励" in detail and "学员甲" in detail and "待支付" in detail


def test_the_referrers_page_query_count_does_not_grow_with_rows(
    client, founder_client, django_assert_max_num_queries, cohort
):
    _reward("cash")
    for n in range(12):
        referrer = f.make_student(f.make_user(email=f"ref{n}@example.com", name=f"推荐人{n}"))
        for k in range(2):
            lead = f.make_lead(name=f"朋友{n}-{k}", referred_by=referrer)
            order = f.make_order(cohort, lead=lead, status=Order.Status.PAID)
            ReferralReward.objects.create(
                order=order, referrer=referrer, kind="cash", status="owed", amount=50
            )
        coupon = Coupon.objects.create(code=f"REFX{n}", value=10, max_uses=1)
        order = f.make_order(cohort, lead=lead, status=Order.Status.PAID)
        ReferralReward.objects.create(
            order=order, referrer=referrer, kind="coupon", status="sent", coupon=coupon
        )

    with django_assert_max_num_queries(10):
        response = founder_client.get(REFERRALS)

    assert response.status_code == 200 and len(response.context["referrers"]) == 12


def test_students_and_anonymous_visitors_cannot_see_referrers_or_mark_paid(
    client, student_client, friend_order, student
):
    reward = ReferralReward.objects.create(
        order=friend_order, referrer=student, kind="cash", status="owed", amount=100
    )
    for path in (REFERRALS, f"{REFERRALS}settings/"):
        assert student_client.get(path).status_code == 403
        assert client.get(path).status_code == 302
    assert student_client.post(f"{REFERRALS}rewards/{reward.pk}/paid/").status_code == 403
    assert client.post(f"{REFERRALS}rewards/{reward.pk}/paid/").status_code == 302
    assert (
        student_client.post(f"{REFERRALS}settings/", {"reward": "cash", "cash_amount": "1"}).status_code
        == 403
    )
    reward.refresh_from_db()
    assert reward.status == "owed"
    assert not ReferralSettings.objects.exists()


def test_marking_an_unknown_reward_paid_is_a_404(founder_client):
    assert founder_client.post(f"{REFERRALS}rewards/999999/paid/").status_code == 404


def test_the_founder_sets_the_reward_and_bad_input_is_refused_next_to_the_field(founder_client, founder):
    form = founder_client.get(f"{REFERRALS}settings/")
    assert form.status_code == 200

    bad = founder_client.post(
        f"{REFERRALS}settings/",
        {"reward": "coupon", "coupon_kind": "percent", "coupon_value": "120", "coupon_valid_days": "30"},
    )
    assert bad.status_code == 400
    assert "百分比最多为 100" in bad.content.decode()
    missing = founder_client.post(
        f"{REFERRALS}settings/", {"reward": "cash", "coupon_kind": "percent", "coupon_valid_days": "30"}
    )
    assert missing.status_code == 400 and "cash_amount" in missing.context["form"].errors
    assert not ReferralSettings.objects.exists()

    good = founder_client.post(
        f"{REFERRALS}settings/",
        {"reward": "cash", "coupon_kind": "percent", "coupon_valid_days": "30", "cash_amount": "150"},
    )

    assert good.status_code == 302
    row = ReferralSettings.current()
    assert (row.reward, row.cash_amount, row.updated_by) == ("cash", Decimal("150.00"), founder)
    founder_client.post(
        f"{REFERRALS}settings/", {"reward": "none", "coupon_kind": "percent", "coupon_valid_days": "30"}
    )
    assert ReferralSettings.objects.count() == 1 and ReferralSettings.current().reward == "none"


def test_the_lead_list_links_to_the_referrers_page(founder_client):
    assert f'href="{REFERRALS}"' in founder_client.get("/console/leads/").content.decode()


# --- personal data ---------------------------------------------------------------------------


def test_the_referrer_downloads_their_rewards_and_erasing_them_clears_the_payment_note(
    student_client, student, friend_order, founder_client
):
    ReferralReward.objects.create(
        order=friend_order, referrer=student, kind="cash", status="paid", amount=Decimal("200.00"),
        paid_at=timezone.now(), paid_note="微信转给学员甲",
    )  # fmt: skip

    response = student_client.get("/account/my-data.zip")
    data = json.loads(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).read("data.json"))
    assert [(r["kind"], r["amount"], r["paid_note"]) for r in data["referral_rewards"]] == [
        ("cash", "200.00", "微信转给学员甲")
    ]

    payload = {"reason": "学员要求删除", "confirm": "on"}
    assert (
        founder_client.post(f"/console/data-requests/erase/student/{student.pk}/", payload).status_code == 302
    )
    reward = ReferralReward.objects.get()
    assert reward.paid_note == "" and (reward.status, reward.amount) == ("paid", Decimal("200.00"))
