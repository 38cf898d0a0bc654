"""One end-to-end run of the four journeys, as people do them, in Debian's Chromium.

Money: a prospect opens a tagged course link on a phone and signs up; the founder logs a held
trial class, creates an order and sends the payment link; the prospect pays with the simulated
provider and gets the enrollment e-mail. Delivery: the new student signs in with an e-mailed
code and hands in homework; the founder takes attendance and grades it. Numbers: the weekly
snapshot job runs through the real RQ worker and the dashboard shows the week with this sale.
Screenshots of every step land in artifacts/screenshots/.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Order
from cohorts.models import Assignment, Attendance, Enrollment, Lesson, Submission
from crm.models import Lead
from crm.selectors import channel_label
from dashboard.models import WeeklyMetrics
from onepco.outbox import get_queue
from onepco.weeks import Week
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offer(db, settings):
    settings.DEBUG = True
    settings.PAYMENT_SIMULATED = True
    course = f.make_course(
        slug="python-data", title="Python 数据分析实战", tagline="8 周，从 Excel 到 pandas"
    )
    cohort = f.make_cohort(
        course=course, slug="python-data-9", name="第 9 期", capacity=20, price=Decimal("2999.00"),
        sale_open=True, starts_on=timezone.localdate() - timedelta(days=1),
        ends_on=timezone.localdate() + timedelta(weeks=8), enrollment_instructions="欢迎！请加入班级微信群。",
    )  # fmt: skip
    now = timezone.now()
    # Later today: the buyer enrolls first, so they are expected at this lesson.
    lesson = f.make_lesson(cohort, title="第 1 课：环境搭建", starts_at=now + timedelta(minutes=10))
    assignment = f.make_assignment(
        cohort, title="第 1 周作业：读取 CSV", instructions="用 pandas 读取附带的 CSV，算出每月销售额。",
        standard="代码能运行；结果表格正确。", due_at=now + timedelta(days=3),
    )  # fmt: skip
    return cohort, lesson, assignment


def test_a_prospect_becomes_a_paying_student_who_hands_in_homework_and_shows_up_in_the_numbers(
    live_server,
    offer,
    phone_page,
    desktop_page,
    founder,
    login_browser,
    screenshot,
    mailoutbox,
    run_jobs,
    settings,
    signup_ready,
):
    cohort, lesson, assignment = offer
    url = settings.SITE_URL = live_server.url  # the links in e-mails and payment links
    prospect, console = phone_page, desktop_page

    # 1. The prospect comes from a tagged link in a Xiaohongshu post and signs up.
    prospect.goto(f"{url}/courses/python-data/?ch=xiaohongshu&utm_campaign=w48&utm_content=note-12")
    assert "Python 数据分析实战" in prospect.locator("h1").inner_text()
    screenshot(prospect, "01-course-page-phone")
    prospect.get_by_label("姓名").fill("林晓")
    prospect.get_by_label("手机号").fill("139 1234 5678")
    prospect.get_by_label("邮箱").fill("linxiao@example.com")
    prospect.get_by_label("留言").fill("想先试听一节。")
    prospect.locator("#id_consent").check()
    prospect.get_by_role("button", name="提交").click()
    prospect.wait_for_url("**/thanks/**")
    screenshot(prospect, "02-thanks-phone")
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign, lead.utm_content) == ("xiaohongshu", "w48", "note-12")

    # 2. The founder logs the trial class as held and sends a payment link.
    login_browser(console, founder)
    console.goto(f"{url}/console/leads/{lead.pk}/")
    console.get_by_label("类型").select_option("trial")
    console.get_by_label("时间").fill(timezone.localtime().strftime("%Y-%m-%dT%H:%M"))
    console.get_by_role("button", name="安排", exact=True).click()
    console.get_by_role("button", name="已进行").click()
    screenshot(console, "03-lead-after-trial-desktop")
    console.click("a:has-text('创建订单')")
    console.wait_for_url("**/console/orders/new/?lead=*")
    console.select_option("select[name=cohort]", str(cohort.pk))
    console.click("form.card button[type=submit]")
    console.wait_for_url("**/console/orders/*/")
    pay_url = console.locator("#pay-url").input_value()
    screenshot(console, "04-order-with-payment-link-desktop")

    # 3. The prospect opens the link in WeChat and pays (simulated provider, real notification path).
    prospect.goto(pay_url)
    prospect.check("input[value=simulated]")
    prospect.click("form.card:has(input[name=method]) button[type=submit]")
    prospect.wait_for_url("**/billing/simulated/*/")
    screenshot(prospect, "05-simulated-provider-phone")
    prospect.click("button[value=paid]")
    # The founder placed this order, not this browser: paid, but not signed in here.
    prospect.wait_for_url("**/return/")
    assert "支付成功" in prospect.locator("h1").inner_text()
    screenshot(prospect, "06-paid-phone")
    order = Order.objects.get()
    assert order.status == "paid" and order.amount == Decimal("2999.00") and order.lead == lead
    assert Enrollment.objects.filter(cohort=cohort, student__user__email="linxiao@example.com").exists()
    run_jobs()
    welcome = [m for m in mailoutbox if "linxiao@example.com" in m.to]
    assert welcome and "欢迎！请加入班级微信群。" in welcome[-1].body

    # 4. The new student opens the e-mail's one-time sign-in link and hands in the homework.
    prospect.goto(re.search(r"http\S+/account/link/\S+/", welcome[-1].body)[0])
    prospect.click("form button[type=submit]")
    prospect.wait_for_url(f"{url}/learn/")
    screenshot(prospect, "07-learner-home-phone")
    prospect.click(f"a[href='/learn/cohorts/{cohort.pk}/']")
    prospect.click(f"a[href='/learn/assignments/{assignment.pk}/']")
    prospect.fill(
        "textarea[name=text]", "import pandas as pd\ndf = pd.read_csv('sales.csv')\n每月销售额见附表。"
    )
    screenshot(prospect, "08-homework-phone")
    prospect.click("#submit-form button[type=submit]")
    assert "第 1 次" in prospect.locator(".messages").inner_text()
    submission = Submission.objects.get()

    # 5. The founder takes attendance and grades the homework.
    console.goto(f"{url}/console/lessons/{lesson.pk}/attendance/")
    console.click("#all-present")
    screenshot(console, "09-attendance-desktop")
    console.click("form button[type=submit]:has-text('保存出勤')")
    console.wait_for_url(f"**/console/cohorts/{cohort.pk}/")
    assert Attendance.objects.get(lesson=lesson).status == "full"
    console.goto(f"{url}/console/submissions/{submission.pk}/")
    console.fill("input[name=score]", "90")
    console.fill("textarea[name=feedback]", "思路清晰，结果正确。")
    screenshot(console, "10-grading-desktop")
    console.click("button[name=next]")
    console.wait_for_url(f"{url}/console/grading/")
    submission.refresh_from_db()
    assert submission.passed and submission.score == 90

    # 6. The weekly snapshot runs through the real RQ worker; the dashboard shows the sale.
    # A running week expects only what has happened: let the lesson and the due time be past.
    held = timezone.now() - timedelta(seconds=1)
    Lesson.objects.filter(pk=lesson.pk).update(starts_at=held)
    Assignment.objects.filter(pk=assignment.pk).update(due_at=held)
    week = Week.current()
    get_queue().enqueue("dashboard.jobs.snapshot_week", week.label)
    run_jobs()
    row = WeeklyMetrics.objects.get(week=week.label)
    assert (row.leads, row.consultations, row.deals, row.revenue) == (1, 1, 1, Decimal("2999.00"))
    assert row.attendance_rate == 1 and row.pass_rate == 1
    console.goto(f"{url}/console/dashboard/?week={week.label}")
    text = console.locator("main").inner_text()
    assert "2,999.00" in text and channel_label("xiaohongshu") in text  # by its name, when registered
    screenshot(console, "11-dashboard-desktop")
    prospect.context.clear_cookies()
    login_browser(prospect, founder)
    prospect.goto(f"{url}/console/dashboard/?week={week.label}")
    screenshot(prospect, "12-dashboard-phone")
