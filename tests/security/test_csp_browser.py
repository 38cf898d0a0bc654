"""The main pages under the Content-Security-Policy in Chromium: the header is there, nothing is
refused ("Refused to …" in the console), and what the page scripts do still works."""

from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.utils import timezone

from billing.models import Order
from cohorts.models import Cohort, Course, Lesson, Student, Submission
from console.demo import demo_load
from crm.models import Lead, LeadImport
from tests.crm.conftest import seed_migration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Visit:
    """Goes to pages and keeps what went wrong: a page without the policy, or anything the
    browser refused because of it."""

    def __init__(self, base: str, screenshot):
        self.base, self.screenshot, self.problems = base, screenshot, []

    def watch(self, page, device: str) -> None:
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"{device} {page.url}: {message.text}")
                if "Content Security Policy" in message.text or message.text.startswith("Refused to")
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(f"{device} {page.url}: {error}"))

    def page(self, page, device: str, path: str, name: str) -> None:
        response = page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        if "default-src 'self'" not in (response.headers.get("content-security-policy") or ""):
            self.problems.append(f"{path}: no Content-Security-Policy")
        page.wait_for_load_state("networkidle")
        self.screenshot(page, f"{name}-{device}")

    def check(self) -> None:
        assert self.problems == []


@pytest.fixture
def business(db):
    seed_migration.seed(apps, None)  # the channel names `migrate` seeds (a flush removed them)
    demo_load()
    return {
        "course": Course.objects.order_by("pk").first(),
        "cohort": Cohort.objects.filter(sale_open=True).order_by("pk").first(),
        "pending": Order.objects.filter(status=Order.Status.PENDING).first(),
        "paid": Order.objects.filter(status=Order.Status.PAID).first(),
        "lead": Lead.objects.filter(is_spam=False).order_by("pk").first(),
        "student": Student.objects.filter(enrollments__isnull=False).order_by("pk").first(),
    }


@pytest.fixture
def devices(phone_page, desktop_page):
    return {"phone": phone_page, "desktop": desktop_page}


def test_public_pages_signup_and_checkout_run_under_the_policy(
    live_server, devices, business, screenshot, settings, signup_ready
):
    settings.DEBUG = settings.PAYMENT_SIMULATED = True  # a provider to pay with, offline
    visit = Visit(live_server.url, screenshot)
    course, cohort = business["course"], business["cohort"]
    for device, page in devices.items():
        visit.watch(page, device)
        visit.page(page, device, "/courses/", "courses")
        visit.page(page, device, f"/courses/{course.slug}/", "course")
        page.fill("input[name=name]", "赵六")
        page.fill("input[name=email]", f"zhao-{device}@example.com")
        page.check("input[name=consent]")
        page.click(".signup button[type=submit]")
        page.wait_for_url("**/thanks/**")
        screenshot(page, f"thanks-{device}")
        visit.page(page, device, "/accounts/login/", "login")
        visit.page(page, device, f"/courses/{cohort.slug}/buy/", "checkout")
        page.fill("input[name=name]", "王小明")
        page.fill("input[name=email]", f"buyer-{device}@example.com")
        page.fill("input[name=phone]", "13800138000")
        page.check("input[name=consent]")
        page.click("form button[type=submit]")
        page.wait_for_url("**/pay/*/")
        screenshot(page, f"pay-{device}")
        page.check("input[value=simulated]")
        page.click("form.card:has(input[name=method]) button[type=submit]")
        page.wait_for_url("**/billing/simulated/*/")
        page.click("button[value=paid]")
        page.wait_for_url("**/learn/")  # the buyer, signed in by paying
        assert "支付成功" in page.content()
    # A QR payment started: the page shows the code and polls the order's status (htmx).
    pending = business["pending"]
    cache.set(f"billing:start:{pending.number}", {"method": "alipay", "qr": "https://qr.alipay.com/x"}, 60)
    with devices["phone"].expect_response(lambda r: r.url.endswith("/status/"), timeout=10_000):
        visit.page(devices["phone"], "phone", f"/pay/{pending.number}/", "pay-qr")
    visit.check()


def test_console_pages_and_their_scripts_run_under_the_policy(
    live_server, devices, business, founder, login_browser, screenshot
):
    visit = Visit(live_server.url, screenshot)
    cohort = business["student"].enrollments.first().cohort
    lesson = (
        Lesson.objects.filter(cohort=cohort, starts_at__lte=timezone.now()).order_by("-starts_at").first()
    )
    submission = Submission.objects.order_by("-pk").first()
    paid, pending = business["paid"], business["pending"]
    running = LeadImport(
        status=LeadImport.Status.RUNNING, filename="leads.csv", total_rows=40, processed_rows=13
    )
    running.file.save("leads.csv", ContentFile(b"name\n"), save=True)
    pages = [
        ("/console/", "console"),
        ("/console/leads/", "leads"),
        (f"/console/leads/{business['lead'].pk}/", "lead"),
        ("/console/leads/links/", "links"),
        ("/console/leads/channels/", "channels"),
        ("/console/leads/import/", "import"),
        (f"/console/leads/import/{running.pk}/", "import-running"),
        ("/console/orders/", "orders"),
        (f"/console/orders/{paid.number}/", "order"),
        (f"/console/orders/{pending.number}/", "order-pending"),
        ("/console/dashboard/", "dashboard"),
        ("/console/cohorts/", "cohorts"),
        (f"/console/cohorts/{cohort.pk}/", "cohort"),
        ("/console/grading/", "grading"),
        ("/console/system/", "system"),
        ("/admin/", "admin"),
        ("/admin/crm/lead/", "admin-leads"),
        (f"/admin/crm/lead/{business['lead'].pk}/change/", "admin-lead"),
    ]
    for device, page in devices.items():
        visit.watch(page, device)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        login_browser(page, founder)
        for path, name in pages:
            visit.page(page, device, path, name)

    page = devices["desktop"]
    # The running import's progress is polled (htmx).
    with page.expect_response(
        lambda r: f"/import/{running.pk}/" in r.url and r.request.headers.get("hx-request")
    ):
        visit.page(page, "desktop", f"/console/leads/import/{running.pk}/", "import-running")
    # Copy buttons (payment link, tagged link).
    visit.page(page, "desktop", f"/console/orders/{pending.number}/", "order-pending")
    page.click(".copy-row button")
    page.wait_for_function("document.querySelector('.copy-row button').textContent === '已复制'")
    assert page.evaluate("navigator.clipboard.readText()").endswith(f"/pay/{pending.number}/")
    visit.page(page, "desktop", "/console/leads/links/", "links")
    page.select_option("select[name=channel]", "xiaohongshu")
    page.click("form.card button[type=submit]")
    page.click("button[data-copy]")
    page.wait_for_function("document.querySelector('button[data-copy]').textContent === '已复制'")
    # A refund asks first; saying no sends nothing.
    visit.page(page, "desktop", f"/console/orders/{paid.number}/", "order")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.fill("form[action$='/refund/'] input[name=amount]", "1")
    page.fill("form[action$='/refund/'] input[name=reason]", "测试")
    page.click("form[action$='/refund/'] button[type=submit]")
    assert page.url.endswith(f"/console/orders/{paid.number}/") and not paid.refunds.filter(amount=1).exists()
    # Attendance: everyone present in one tap.
    visit.page(page, "desktop", f"/console/lessons/{lesson.pk}/attendance/", "attendance")
    page.click("#all-present")
    full = page.locator('#attendance-form input[value="full"]')
    assert full.count() > 0 and all(full.nth(i).is_checked() for i in range(full.count()))
    # Grading: a feedback template goes in where the cursor is.
    visit.page(page, "desktop", f"/console/submissions/{submission.pk}/", "grade")
    page.fill("#id_feedback", "")
    chip = page.locator(".template-chips button").first
    chip.click()
    assert page.locator("#id_feedback").input_value() == chip.get_attribute("data-insert")
    visit.check()


def test_learner_pages_run_under_the_policy(live_server, devices, business, login_browser, screenshot):
    visit = Visit(live_server.url, screenshot)
    student = business["student"]
    cohort = student.enrollments.first().cohort
    assignment = cohort.assignments.filter(due_at__lte=timezone.now() + timedelta(days=365)).first()
    for device, page in devices.items():
        visit.watch(page, device)
        login_browser(page, student.user)
        visit.page(page, device, "/learn/", "learn")
        visit.page(page, device, f"/learn/cohorts/{cohort.pk}/", "learn-cohort")
        visit.page(page, device, f"/learn/assignments/{assignment.pk}/", "learn-assignment")
        visit.page(page, device, "/learn/progress/", "learn-progress")
        visit.page(page, device, "/account/", "account")
    visit.check()
