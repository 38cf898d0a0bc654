"""Look at what billing shows: a prospect buys a seat end to end with the simulated provider on
a phone and on a desktop; the manual transfer page; the founder's order pages."""

import io

import pytest
import qrcode
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Order, PayeeAccount, TransferProof
from billing.services import transfer_proof_upload
from cohorts.models import Cohort, Enrollment
from tests import factories as f
from tests.billing.conftest import image_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _png_qr(text: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def payee(db):
    account = PayeeAccount(kind="wechat", title="创始人微信收款码", details="户名：张*三")
    account.qr_image.save("wechat.png", ContentFile(_png_qr("wxp://f2f0example")), save=True)
    return account


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_prospect_buys_a_seat_with_the_simulated_provider(
    device, live_server, phone_page, desktop_page, simulated_on, cohort, payee, screenshot
):
    page = phone_page if device == "phone" else desktop_page
    email = f"buyer-{device}@example.com"
    page.goto(f"{live_server.url}/courses/py-7/")
    screenshot(page, "0-course-page")
    page.click("a:has-text('购买名额')")
    page.wait_for_url("**/courses/py-7/buy/")
    assert page.locator("h1").inner_text() == "购买名额"
    screenshot(page, "1-checkout")
    page.fill("input[name=name]", "王小明")
    page.fill("input[name=email]", email)
    page.fill("input[name=phone]", "13800138000")
    page.check("input[name=consent]")
    page.click("button[type=submit]")

    page.wait_for_url("**/pay/*/")
    assert page.locator("h1").inner_text() == "支付"
    screenshot(page, "2-methods")
    page.check("input[value=manual]")
    page.click("form.card button[type=submit]")
    page.wait_for_selector("text=转账支付")
    screenshot(page, "3-manual-transfer")
    page.check("input[value=simulated]")
    page.click("form.card:has(input[name=method]) button[type=submit]")

    page.wait_for_url("**/billing/simulated/*/")
    screenshot(page, "4-simulated-provider")
    page.click("button[value=paid]")

    # Paid in the browser that placed the order: signed in, straight into the learning space.
    page.wait_for_url("**/learn/")
    assert "支付成功" in page.content()
    screenshot(page, "5-paid-signed-in")
    order = Order.objects.get(buyer_email=email)
    assert order.status == "paid" and order.provider == "simulated"
    assert Enrollment.objects.filter(student__user__email=email, cohort=cohort, status="active").exists()


def test_founder_order_pages_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, cohort, screenshot
):
    lead = f.make_lead(name="韩梅梅", email="meimei@example.com", phone="13700000000")
    paid = f.make_order(
        cohort,
        status="paid",
        provider="alipay",
        buyer_name="李雷",
        provider_trade_no="2026112322001400000000000001",
    )
    f.make_order(
        cohort, buyer_name="赵六", provider="wechat", expires_at=f.timezone.now() + f.timedelta(minutes=20)
    )
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/leads/{lead.pk}/")
        screenshot(page, f"lead-{name}")
        page.click("a:has-text('创建订单')")
        page.wait_for_url("**/console/orders/new/?lead=*")
        assert page.locator("h1").inner_text() == "新建订单"
        screenshot(page, f"create-{name}")
        page.select_option("select[name=cohort]", str(cohort.pk))
        page.fill("input[name=amount]", "1500.00")
        page.click("form.card button[type=submit]")
        page.wait_for_url("**/console/orders/OP*/")
        assert page.locator("#pay-url").input_value().endswith("/")
        screenshot(page, f"detail-pending-{name}")
        page.goto(f"{live_server.url}/console/orders/{paid.number}/")
        screenshot(page, f"detail-paid-{name}")
        page.goto(f"{live_server.url}/console/orders/")
        assert page.locator("h1").inner_text() == "订单"
        screenshot(page, f"list-{name}")


def test_founder_sees_an_order_paid_without_a_seat_on_desktop_and_phone(
    live_server, desktop_page, phone_page, founder, login_browser, cohort, order, client, alipay_on, keys,
    screenshot,
):  # fmt: skip
    from tests.billing.conftest import alipay_notification, alipay_post

    Cohort.objects.filter(pk=cohort.pk).update(capacity=1)
    f.make_order(cohort, status="paid", provider="alipay", buyer_name="李雷")  # the only seat
    Order.objects.filter(pk=order.pk).update(status="expired", closed_at=f.timezone.now())
    alipay_post(client, alipay_notification(order, keys["alipay"]))
    order.refresh_from_db()
    assert order.waits_for_seat
    for name, page in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/orders/{order.number}/")
        assert page.locator("#seat h2").inner_text() == "已付款，等待名额"
        assert page.locator("#seat button").inner_text() == "名额加一并报名"
        screenshot(page, f"seat-wait-{name}")
    phone_page.click("#seat button")
    phone_page.wait_for_selector(".messages li.success")
    screenshot(phone_page, "seat-granted-phone")
    order.refresh_from_db()
    assert order.enrollment.status == Enrollment.Status.ACTIVE


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_buyer_sends_a_transfer_proof_and_a_fake_image_is_refused_next_to_the_field(
    device, live_server, phone_page, desktop_page, order, payee, screenshot
):
    page = phone_page if device == "phone" else desktop_page
    page.goto(f"{live_server.url}/pay/{order.number}/")
    page.check("input[value=manual]")
    page.click("form.card:has(input[name=method]) button[type=submit]")
    page.wait_for_selector("text=上传转账凭证")

    fake = {"name": "截图.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n"}
    page.set_input_files("input[name=image]", fake)
    page.click("#proof button[type=submit]")
    page.wait_for_selector("#proof .errorlist")
    assert "PNG、JPEG 或 WebP" in page.locator("#proof .errorlist").inner_text()
    screenshot(page, "1-proof-refused")

    real = {"name": "截图.png", "mimeType": "image/png", "buffer": image_bytes(size=(390, 844))}
    page.set_input_files("input[name=image]", real)
    page.click("#proof button[type=submit]")
    page.wait_for_selector("text=待审核")
    screenshot(page, "2-proof-sent")
    assert TransferProof.objects.get(order=order).image.name.endswith(".png")


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_founder_sees_a_seat_held_by_a_proof_and_releases_it(
    device, live_server, phone_page, desktop_page, founder, login_browser, order, payee, screenshot
):
    page = phone_page if device == "phone" else desktop_page
    Order.objects.filter(pk=order.pk).update(provider="manual")
    transfer_proof_upload(order=order, image=SimpleUploadedFile("p.png", image_bytes()), note="已转账 1999")
    f.make_order(order.cohort, buyer_name="赵六", expires_at=f.timezone.now() + f.timedelta(minutes=20))
    login_browser(page, founder)

    page.goto(f"{live_server.url}/console/orders/")
    assert page.locator("text=名额由转账凭证保留至").count() == 1
    screenshot(page, "1-list")
    page.goto(f"{live_server.url}/console/orders/{order.number}/")
    screenshot(page, "2-detail-held")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('释放名额')")
    page.wait_for_selector("text=名额已释放")
    screenshot(page, "3-released")
    order.refresh_from_db()
    assert order.status == "expired"
    assert TransferProof.objects.get(order=order).status == "rejected"


WIDTHS = """() => {
  const cells = [...document.querySelectorAll('table td')].map(td => td.getBoundingClientRect().width);
  return {page: document.documentElement.scrollWidth, cells: cells.length, narrowest: Math.min(...cells)};
}"""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_order_page_fits_a_phone_with_its_payment_records_stacked(
    language, live_server, phone_page, founder, login_browser, cohort, screenshot
):
    from billing.models import PaymentEvent, Refund

    order = f.make_order(
        cohort, status="partially_refunded", provider="wechat", buyer_name="李雷",
        buyer_email="lilei.long.address@example.com", buyer_phone="+8613700000000",
        provider_trade_no="4200002345202611230123456789",
    )  # fmt: skip
    for outcome, error in (
        ("applied", ""),
        ("duplicate", ""),
        ("rejected", "signature mismatch: expected Wechatpay-Signature over the body"),
    ):
        PaymentEvent.objects.create(
            provider="wechat", order=order, event_id="evt_" + "9f2c4b7a1e" * 4, outcome=outcome, verified=not error,
            error=error,
        )  # fmt: skip
    Refund.objects.create(
        order=order,
        amount=100,
        reason="少上了一节课",
        status="succeeded",
        out_refund_no="RF1",
        refunded_at=f.timezone.now(),
    )
    phone_page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login_browser(phone_page, founder)
    phone_page.goto(f"{live_server.url}/console/orders/{order.number}/")
    widths = phone_page.evaluate(WIDTHS)
    screenshot(phone_page, f"order-{language}")
    assert widths["cells"] == 15 and widths["page"] <= 390, widths
    assert widths["narrowest"] > 200, widths  # stacked: each record's cell spans the card
