"""Look at referrals on a desktop and a phone: the founder's 推荐人 page with every state a
reward can be in (and marking cash paid), the reward settings, and the student's 邀请好友
block on /learn/ (copy the link, its QR code, the reward line loaded after the page)."""

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Coupon, Order, ReferralReward, ReferralSettings
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _referrals() -> ReferralReward:
    """Two referrers: one with cash owed, paid and voided, one with coupons sent and used.
    Returns the reward still owed."""
    cohort = f.make_cohort(f.make_course(title="Python 实战营"), name="第 7 期", price=Decimal("1999.00"))
    founder = f.make_user(email="helper@example.com", name="助教", is_staff=True)
    cash = f.make_student(f.make_user(email="zhang.san.long.address@example.com", name="张三"))
    coupons = f.make_student(f.make_user(email="li@example.com", name="李四"))
    owed = None
    for n, status in enumerate(["owed", "paid", "void"]):
        lead = f.make_lead(name=f"朋友{n}", referred_by=cash)
        order = f.make_order(cohort, lead=lead, status=Order.Status.PAID)
        reward = ReferralReward.objects.create(
            order=order, referrer=cash, kind="cash", status=status, amount=Decimal("200.00"),
            paid_at=timezone.now() if status == "paid" else None, paid_by=founder if status == "paid" else None,
            paid_note="微信转账" if status == "paid" else "",
            order_refunded_at=timezone.now() if status == "void" else None,
        )  # fmt: skip
        owed = owed or reward
    f.make_lead(name="只报名没买", referred_by=cash)
    for n in range(2):
        lead = f.make_lead(name=f"同学{n}", referred_by=coupons)
        order = f.make_order(cohort, lead=lead, status=Order.Status.PAID)
        coupon = Coupon.objects.create(code=f"REF7K2M9QX{n}", value=Decimal("20"), max_uses=1)
        ReferralReward.objects.create(
            order=order, referrer=coupons, kind="coupon", status="sent", coupon=coupon,
            order_refunded_at=timezone.now() if n else None,
        )  # fmt: skip
        if not n:
            f.make_order(cohort, coupon=coupon, status=Order.Status.PAID, buyer_email="li@example.com")
    ReferralSettings.objects.create(reward="cash", cash_amount=Decimal("200.00"))
    assert owed is not None
    return owed


def test_the_referrers_page(founder_pages, screenshot):
    owed = _referrals()
    for device, page in founder_pages("/console/referrals/"):
        assert page.locator("table.referrers tbody tr").count() == 2
        text = page.inner_text("main")
        assert "待支付" in text and "订单已退款——不要支付" in text and "优惠券已使用" in text
        screenshot(page, device)
        page.goto(page.url.replace("/console/referrals/", f"/console/orders/{owed.order.number}/"))
        assert "推荐奖励" in page.inner_text("main") and "张三" in page.inner_text("main")
        screenshot(page, f"{device}-order")
    page.goto(page.url.replace(f"/console/orders/{owed.order.number}/", "/console/referrals/"))
    page.fill(f"#reward-{owed.pk} input[name=note]", "支付宝转账")
    page.click(f"#reward-{owed.pk} button[type=submit]")
    assert "奖励已标记为已付" in page.inner_text("main")
    owed.refresh_from_db()
    assert owed.status == "paid" and owed.paid_note == "支付宝转账"
    screenshot(page, "phone-after-paid")


def test_the_reward_settings_page(founder_pages, screenshot):
    for device, page in founder_pages("/console/referrals/settings/"):
        page.check("input[name=reward][value=coupon]")
        page.fill("input[name=coupon_value]", "120")
        page.click("main form.card button[type=submit]")
        assert "百分比最多为 100" in page.inner_text("main")
        screenshot(page, f"{device}-error")
        page.fill("input[name=coupon_value]", "20")
        page.click("main form.card button[type=submit]")
        assert "/console/referrals/" in page.url and "减 20 %" in page.inner_text("main")
        screenshot(page, f"{device}-saved")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_the_learner_referral_block(device, live_server, phone_page, desktop_page, login_browser, screenshot):
    course = f.make_course(slug="python", title="Python 实战营")
    learner = f.make_student(f.make_user(email="xue@example.com", name="学员甲"))
    f.make_enrollment(learner, f.make_cohort(course, name="第 7 期"))
    ReferralSettings.objects.create(reward="coupon", coupon_kind="fixed", coupon_value=Decimal("300.00"))
    page = phone_page if device == "phone" else desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login_browser(page, learner.user)
    page.goto(f"{live_server.url}/learn/")
    block = page.locator("#referral")
    block.scroll_into_view_if_needed()
    assert "减 ¥300.00 的优惠券" in page.locator("#referral-offer").inner_text()
    assert page.locator("#referral img").evaluate("img => img.naturalWidth") > 0
    link = page.input_value("#referral-link")
    assert link.endswith(f"/courses/python/?channel=referral&ref={learner.referral_code}")
    page.click("button[data-copy=referral-link]")
    # The button says so once the clipboard's promise resolves: waited for, not raced.
    expect(page.locator("button[data-copy=referral-link]")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == link
    screenshot(page, device)
