"""First-run setup (设置向导, #15): the checklist on 今天 until every step is done, each step a
short form under 设置, through HTTP as the founder; refused for students and strangers; bad input
answered next to the field; what each step changes shows where a buyer reads it."""

import io
import socket
import socketserver
import threading
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from PIL import Image

from billing.models import PayeeAccount
from crm.models import Lead, SignupSettings
from onepco.models import SiteSettings
from onepco.site import site_settings
from tests import factories as f

STEPS = ("brand", "next-step", "money", "email", "policies")
PAGES = [
    "/console/settings/",
    *[f"/console/settings/{step}/" for step in STEPS],
    "/console/settings/money/payees/new/",
]


def png(name: str = "qr.png", size=(64, 64)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 160, 90)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("qr.png", b"<svg onload=alert(1)>", content_type="image/png")


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


@pytest.fixture
def on_sale(db):
    course = f.make_course(slug="sql", title="SQL 训练营")
    cohort = f.make_cohort(course, slug="sql-1", price=Decimal("999"), sale_open=True, capacity=10)
    return course, cohort


# --- who may see it ---------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_strangers_are_refused_every_setup_page(path, client, student_client, outsider_client):
    response = client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert student_client.get(path).status_code == 403
    assert outsider_client.get(path).status_code == 403
    assert student_client.post(path, {"site_name": "x"}).status_code == 403
    assert client.post(path, {"site_name": "x"}).status_code == 302


def test_a_student_cannot_rename_the_site(student_client, founder_client):
    student_client.post("/console/settings/brand/", {"site_name": "Hacked", "contact_email": "a@b.cn"})
    assert not SiteSettings.objects.exists()


@pytest.mark.parametrize("path", PAGES)
def test_the_founder_opens_every_setup_page(path, founder_client):
    response = founder_client.get(path)
    assert response.status_code == 200
    assert "设置" in response.content.decode()


def test_an_unknown_step_is_not_found(founder_client):
    assert founder_client.get("/console/settings/nothing/").status_code == 404


# --- the checklist on 今天 -----------------------------------------------------------------


def test_a_fresh_install_shows_the_checklist_with_every_step_to_do(founder_client):
    response = founder_client.get("/console/")
    page = response.content.decode()
    assert 'id="setup"' in page
    assert response.context["setup_left"] == 5
    for step in STEPS:
        assert f"/console/settings/{step}/" in page
    assert "设置" in page  # the nav has the 设置 page


def test_the_checklist_is_gone_once_every_step_is_done(founder_client, settings, smtp_server):
    settings.ALIPAY_APP_ID, settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_PUBLIC_KEY = "2021", "k", "p"
    use_smtp(settings, smtp_server.port)
    founder_client.post("/console/settings/brand/", {"site_name": "小林的课", "contact_email": "hi@xl.cn"})
    assert founder_client.get("/console/").context["setup_left"] == 3  # brand done, money from env
    founder_client.post("/console/settings/next-step/", {"wechat_id": "xiaolin_2024"})
    founder_client.post("/console/settings/email/", {"to": "founder@example.com"})
    founder_client.post("/console/settings/policies/", {"refund_days": "7", "refund_rules": ""})
    response = founder_client.get("/console/")
    assert response.context["setup_left"] == 0
    assert 'id="setup"' not in response.content.decode()
    # …and every step stays open under 设置.
    page = founder_client.get("/console/settings/").content.decode()
    assert page.count("已完成") == 5


def test_the_home_page_with_the_checklist_asks_a_bounded_number_of_questions(
    founder_client, django_assert_max_num_queries
):
    founder_client.get("/console/")  # the site row goes into the cache
    with django_assert_max_num_queries(15):
        founder_client.get("/console/")


# --- 1. brand -----------------------------------------------------------------------------


def test_the_brand_shows_on_every_page_and_the_logo_is_served(founder_client, client, on_sale):
    response = founder_client.post(
        "/console/settings/brand/",
        {"site_name": "小林的数据课", "contact_email": "hello@xiaolin.cn", "logo": png("logo.png")},
    )
    assert response.status_code == 302
    row = SiteSettings.objects.get()
    assert row.brand_saved_at is not None and row.logo.name.endswith(".png")
    page = client.get("/courses/sql/").content.decode()
    assert "小林的数据课" in page and "/site/logo/" in page
    logo = client.get("/site/logo/")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert "hello@xiaolin.cn" in client.get("/privacy/").content.decode()


def test_the_brand_refuses_a_fake_logo_and_missing_fields_next_to_the_field(founder_client):
    response = founder_client.post(
        "/console/settings/brand/", {"site_name": " ", "contact_email": "not-mail", "logo": not_an_image()}
    )
    assert response.status_code == 400
    assert field_errors(response, "logo") and field_errors(response, "site_name")
    assert field_errors(response, "contact_email")
    assert not SiteSettings.objects.exists()


def test_no_logo_is_not_found(client, db):
    assert client.get("/site/logo/").status_code == 404


def test_the_site_address_is_checked_against_the_one_in_use(founder_client, settings):
    settings.SITE_URL = "http://localhost:8000"
    page = founder_client.get("/console/settings/brand/").content.decode()
    assert "setup-warning" in page and "http://testserver" in page and "http://localhost:8000" in page
    assert "setup-warning" in founder_client.get("/console/settings/").content.decode()
    settings.SITE_URL = "http://testserver"
    page = founder_client.get("/console/settings/brand/").content.decode()
    assert "setup-warning" not in page and "setup-ok" in page


# --- 2. the thank-you page's next step ----------------------------------------------------


def test_without_a_next_step_a_prospect_sees_no_form_and_cannot_sign_up(client, on_sale):
    page = client.get("/courses/sql/").content.decode()
    assert "报名暂未开放" in page
    assert 'name="email"' not in page
    assert "thank-you" not in page.lower() and "下一步" not in page  # never the founder's reason
    response = client.post("/courses/sql/", {"name": "张三", "email": "z@example.com", "consent": "on"})
    assert response.status_code == 403
    assert not Lead.objects.exists()
    assert "报名暂未开放" in client.get("/courses/").content.decode()


def test_without_a_next_step_the_founder_sees_why_on_the_course_page(founder_client, on_sale):
    page = founder_client.get("/courses/sql/").content.decode()
    assert "报名表单尚未上线" in page
    assert "/console/settings/next-step/" in page


def test_the_next_step_is_refused_empty_and_with_a_bad_wechat_id_or_qr(founder_client):
    response = founder_client.post("/console/settings/next-step/", {"wechat_id": "", "trial_booking_url": ""})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    response = founder_client.post("/console/settings/next-step/", {"wechat_id": "有 空格"})
    assert response.status_code == 400 and field_errors(response, "wechat_id")
    response = founder_client.post("/console/settings/next-step/", {"wechat_qr": not_an_image()})
    assert response.status_code == 400 and field_errors(response, "wechat_qr")
    response = founder_client.post(
        "/console/settings/next-step/", {"trial_booking_url": "javascript:alert(1)"}
    )
    assert response.status_code == 400 and field_errors(response, "trial_booking_url")
    assert not SignupSettings.objects.exists()


def test_a_next_step_puts_the_form_live_and_on_the_thank_you_page(founder_client, client, on_sale):
    response = founder_client.post(
        "/console/settings/next-step/",
        {"wechat_qr": png(), "trial_booking_url": "https://cal.example.com/trial", "next_step": "加我微信"},
    )
    assert response.status_code == 302
    signup = SignupSettings.objects.get()
    assert signup.wechat_qr.name.endswith(".png")
    page = client.get("/courses/sql/").content.decode()
    assert 'name="email"' in page and "报名暂未开放" not in page
    response = client.post("/courses/sql/", {"name": "张三", "email": "z@example.com", "consent": "on"})
    assert response.status_code == 302
    thanks = client.get(response["Location"]).content.decode()
    assert (
        "加我微信" in thanks and "https://cal.example.com/trial" in thanks and "/thanks/wechat-qr" in thanks
    )
    assert client.get("/thanks/wechat-qr")["Content-Type"] == "image/png"
    # Editing again keeps the one row.
    founder_client.post("/console/settings/next-step/", {"wechat_id": "xiaolin_2024"})
    assert SignupSettings.objects.count() == 1 and SignupSettings.objects.get().wechat_id == "xiaolin_2024"


# --- 3. money -----------------------------------------------------------------------------


def test_money_lists_each_method_and_what_it_is_missing(founder_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    settings.STRIPE_WEBHOOK_SECRET = ""
    page = founder_client.get("/console/settings/money/").content.decode()
    assert (
        "STRIPE_WEBHOOK_SECRET" in page
        and "STRIPE_SECRET_KEY" not in page.split('id="method-stripe"')[1].split("</li>")[0]
    )
    assert "ALIPAY_APP_ID" in page and "WECHAT_MCHID" in page
    assert "至少一个启用的收款账户" in page
    settings.ALIPAY_APP_ID, settings.ALIPAY_APP_PRIVATE_KEY, settings.ALIPAY_PUBLIC_KEY = "2021", "k", "p"
    page = founder_client.get("/console/settings/money/").content.decode()
    alipay = page.split('id="method-alipay"')[1].split("</li>")[0]
    assert "已开启" in alipay and "ALIPAY_APP_ID" not in alipay


def test_a_payee_account_is_added_and_edited_in_the_console_and_offered_at_payment(founder_client):
    response = founder_client.post(
        "/console/settings/money/payees/new/",
        {
            "kind": "wechat",
            "title": "微信收款码",
            "qr_image": png(),
            "details": "",
            "is_active": "on",
            "position": 0,
        },
    )
    assert response.status_code == 302
    account = PayeeAccount.objects.get()
    assert account.qr_image.name.endswith(".png")
    assert founder_client.get("/console/").context["setup_left"] == 4  # manual transfer is on
    assert "微信收款码" in founder_client.get("/console/settings/money/").content.decode()
    response = founder_client.post(
        f"/console/settings/money/payees/{account.pk}/",
        {"kind": "wechat", "title": "微信收款码", "details": "", "position": 0},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert not account.is_active and account.qr_image  # unticked: off, the QR code kept
    assert founder_client.get("/console/").context["setup_left"] == 5


def test_a_payee_account_refuses_a_fake_qr_and_a_missing_title(founder_client):
    response = founder_client.post(
        "/console/settings/money/payees/new/",
        {"kind": "nope", "title": "", "qr_image": not_an_image(), "position": 0},
    )
    assert response.status_code == 400
    for field in ("kind", "title", "qr_image"):
        assert field_errors(response, field)
    assert not PayeeAccount.objects.exists()
    assert founder_client.get("/console/settings/money/payees/999/").status_code == 404


# --- 4. e-mail ----------------------------------------------------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend: greets, accepts one message, remembers it."""

    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        data, lines = False, []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False
                    self.server.messages.append(b"".join(lines).decode("utf-8", "replace"))  # type: ignore[attr-defined]
                    self.wfile.write(b"250 queued\r\n")
                else:
                    lines.append(line)
                continue
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250 fake\r\n")
            elif verb == b"DATA":
                data = True
                self.wfile.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    server.port = server.server_address[1]  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_test_message_reaches_a_real_smtp_server(founder_client, settings, smtp_server):
    use_smtp(settings, smtp_server.port)
    page = founder_client.get("/console/settings/email/").content.decode()
    assert f"SMTP 127.0.0.1:{smtp_server.port}" in page
    response = founder_client.post("/console/settings/email/", {"to": "boss@example.com"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1 and "boss@example.com" in smtp_server.messages[0]
    assert SiteSettings.objects.get().email_tested_at is not None


def test_an_unreachable_smtp_server_shows_its_error(founder_client, settings):
    use_smtp(settings, free_port())
    response = founder_client.post("/console/settings/email/", {"to": "boss@example.com"})
    assert response.status_code == 502
    page = response.content.decode()
    assert "ConnectionRefusedError" in page and "setup-error" in page
    assert not SiteSettings.objects.filter(email_tested_at__isnull=False).exists()


def test_a_test_message_needs_an_address(founder_client):
    response = founder_client.post("/console/settings/email/", {"to": "nope"})
    assert response.status_code == 400 and field_errors(response, "to")


# --- 5. privacy notice and refund policy ---------------------------------------------------


def test_the_refund_policy_shows_on_the_course_page_and_at_checkout(founder_client, client, on_sale):
    assert "退款政策" not in client.get("/courses/sql/").content.decode()
    response = founder_client.post(
        "/console/settings/policies/",
        {
            "privacy_notice": "## 我们收集什么\n\n只收集你的手机号。",
            "refund_days": "7",
            "refund_rules": "开课后不退。",
        },
    )
    assert response.status_code == 302
    for path in ("/courses/sql/", "/courses/sql-1/buy/"):
        page = client.get(path).content.decode()
        assert "退款政策" in page and "7 天内" in page and "开课后不退。" in page, path
    privacy = client.get("/privacy/").content.decode()
    assert "只收集你的手机号。" in privacy and "<h2>我们收集什么</h2>" in privacy
    assert "/privacy/my-data/" in privacy  # the rights stay


def test_a_course_with_its_own_refund_policy_shows_it_instead_of_the_sites(founder_client, client, on_sale):
    founder_client.post(
        "/console/settings/policies/",
        {"privacy_notice": "", "refund_days": "7", "refund_rules": "开课后不退。"},
    )
    course, _cohort = on_sale
    course.refund_policy = "本课程**开课 14 天内**可全额退款。"
    course.save()
    for path in ("/courses/sql/", "/courses/sql-1/buy/"):
        page = client.get(path).content.decode()
        assert "退款政策" in page and "<strong>开课 14 天内</strong>" in page, path
        assert "开课后不退。" not in page, path


def test_the_policies_refuse_bad_days_next_to_the_field(founder_client):
    for days in ("-1", "abc", "999", ""):
        response = founder_client.post("/console/settings/policies/", {"refund_days": days})
        assert response.status_code == 400 and field_errors(response, "refund_days"), days
    assert not SiteSettings.objects.exists()


def test_the_site_row_is_cached_and_a_change_shows_at_once(
    founder_client, client, django_assert_max_num_queries
):
    founder_client.post("/console/settings/brand/", {"site_name": "一号", "contact_email": "a@b.cn"})
    assert site_settings().site_name == "一号"
    founder_client.post("/console/settings/brand/", {"site_name": "二号", "contact_email": "a@b.cn"})
    assert site_settings().site_name == "二号"
    assert "二号" in client.get("/privacy/").content.decode()


def test_with_the_database_away_pages_get_the_default_site_row(db, monkeypatch):
    def away(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(SiteSettings.objects, "order_by", away)
    row = site_settings()
    assert row.pk is None and row.site_name == ""
