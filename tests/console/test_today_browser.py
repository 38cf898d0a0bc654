"""今天 in a browser, on a 390 px phone and a desktop, Chinese and English: every list filled,
the lines fit the screen, the WeChat ID copies in one tap, a consultation is marked held in one
tap; the follow-up date is set on the lead's page with a quick pick."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import TransferProof
from crm.models import Consultation, Lead
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


@pytest.fixture
def business(student, other_student, cohort_a, cohort_b):
    today = timezone.localdate()
    now = timezone.now()
    overdue = f.make_lead(
        name="王小明", phone="+8613800138000", wechat="xm_wang", status="contacted",
        next_follow_up_on=today - timedelta(days=2),
    )  # fmt: skip
    f.make_lead(name="李华", phone="+8613900139000", status="consulting", next_follow_up_on=today)
    f.make_lead(name="陈静", wechat="chenjing_88", status="new", next_follow_up_on=today)
    f.make_lead(name="新来的", status="new")
    trial = f.make_lead(name="赵敏", phone="+8613700137000", status="consulting")
    f.make_consultation(
        trial,
        kind="trial",
        scheduled_at=max(at(today, 0, 0), now - timedelta(minutes=20)),
        meeting_url="https://meeting.tencent.com/dm/abc",
    )
    f.make_consultation(
        f.make_lead(name="周杰", status="consulting"), scheduled_at=at(today + timedelta(days=1), 19, 30)
    )
    f.make_consultation(
        f.make_lead(name="吴芳", status="consulting"), scheduled_at=at(today - timedelta(days=2), 20, 0)
    )  # nobody marked it
    waiting = f.make_order(cohort_a, buyer_name="孙丽", expires_at=now + timedelta(days=2))
    proof = TransferProof(order=waiting)
    proof.image.save("proof.png", ContentFile(b"\x89PNG proof"), save=False)
    proof.save()
    f.make_order(
        cohort_b, buyer_name="吴刚", buyer_phone="+8613600136000", expires_at=now + timedelta(hours=5)
    )
    for day in range(3):
        f.make_lesson(cohort_a, starts_at=now - timedelta(days=day + 1))  # the student missed them all
    assignment = f.make_assignment(cohort_b, title="第 3 课作业：做一个聊天机器人")
    f.make_submission(assignment, other_student, submitted_at=now - timedelta(days=1, hours=3))
    f.make_order(cohort_a, status="paid", amount=Decimal("2999.00"), paid_at=now - timedelta(minutes=5))
    return {"overdue": overdue, "trial": trial}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_today_on_a_phone_and_a_desktop(
    language, live_server, phone_page, desktop_page, founder, login_browser, business, screenshot
):
    for size, page in (("phone", phone_page), ("desktop", desktop_page)):
        login_browser(page, founder)
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}/console/")
        assert page.locator("h1").inner_text() == {"zh-hans": "今天", "en": "Today"}[language]
        assert page.evaluate(FITS), f"{size} page wider than the screen"
        for section in ("follow-ups", "consultations", "payments", "grading", "at-risk"):
            assert page.locator(f"#{section} .todo").count() >= 1, section
        assert page.locator("#follow-ups .todo-title").first.inner_text() == "王小明"  # the most overdue
        screenshot(page, f"{language}-{size}")


def test_the_wechat_id_copies_and_a_consultation_is_marked_held_in_one_tap(
    live_server, phone_page, founder, login_browser, business, screenshot
):
    page = phone_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    login_browser(page, founder)
    page.goto(f"{live_server.url}/console/")
    copy = page.locator(f"button[data-copy='wx-{business['overdue'].pk}']")
    copy.click()
    expect(copy).to_have_text("已复制")  # the clipboard answers asynchronously
    assert page.evaluate("navigator.clipboard.readText()") == "xm_wang"
    assert page.locator("#follow-ups a[href='tel:+8613800138000']").count() == 1

    row = page.locator("#consultations .todo", has_text="赵敏")
    row.get_by_role("button", name="已进行").click()
    page.wait_for_url(f"{live_server.url}/console/#consultations")
    assert "赵敏" in page.locator(".messages").inner_text()
    assert page.locator("#consultations .todo", has_text="赵敏").count() == 0
    assert Consultation.objects.get(lead=business["trial"]).status == "held"
    screenshot(page, "after-held")


def test_the_follow_up_date_is_set_on_the_lead_page_with_a_quick_pick(
    live_server, phone_page, desktop_page, founder, login_browser, business, screenshot
):
    lead = business["overdue"]
    login_browser(desktop_page, founder)
    desktop_page.goto(f"{live_server.url}/console/leads/{lead.pk}/")
    screenshot(desktop_page, "desktop")
    page = phone_page
    login_browser(page, founder)
    page.goto(f"{live_server.url}/console/leads/{lead.pk}/")
    assert page.evaluate(FITS)
    screenshot(page, "before")
    page.locator("#follow-up button[value='in_3_days']").click()
    page.wait_for_load_state()
    lead.refresh_from_db()
    assert lead.next_follow_up_on == timezone.localdate() + timedelta(days=3)
    assert "下次跟进" in page.locator(".messages").inner_text()
    page.locator("#follow-up button[value='date']").click()  # no date chosen
    assert page.locator("#follow-up .errorlist").inner_text() == "选择要跟进的日期。"
    screenshot(page, "refused")
    assert Lead.objects.get(pk=lead.pk).next_follow_up_on == timezone.localdate() + timedelta(days=3)


def test_an_empty_today_says_what_each_list_is_for(
    live_server, phone_page, founder, login_browser, screenshot
):
    login_browser(phone_page, founder)
    phone_page.goto(f"{live_server.url}/console/")
    assert phone_page.locator(".todo-empty").count() == 5
    assert phone_page.evaluate(FITS)
    screenshot(phone_page, "empty")
