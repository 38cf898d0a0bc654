"""In a real browser: a prospect on a phone signs up from a tagged link; the founder finds them."""

import random
import struct
import zlib

import pytest
from django.core.files.base import ContentFile

from crm.models import Channel, Lead, LeadImport, SignupSettings
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def qr_like_png(modules: int = 25, scale: int = 8) -> bytes:
    """A black-and-white PNG that looks like a QR code (finder squares and noise)."""
    rng = random.Random(7)
    grid = [[rng.random() < 0.45 for _ in range(modules)] for _ in range(modules)]
    for top, left in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        for y in range(7):
            for x in range(7):
                ring = max(abs(y - 3), abs(x - 3))
                grid[top + y][left + x] = ring != 2
    size = (modules + 4) * scale
    rows = b""
    for py in range(size):
        my = py // scale - 2
        line = bytes(
            0 if 0 <= my < modules and 0 <= px // scale - 2 < modules and grid[my][px // scale - 2] else 255
            for px in range(size)
        )
        rows += b"\x00" + line

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


QR_PNG = qr_like_png()


@pytest.fixture
def offer(db):
    course = f.make_course(
        slug="python-data",
        title="Python 数据分析实战",
        tagline="八周，用 Python 把 Excel 里的重复劳动自动化",
        description="## 你会学到\n\n- 用 pandas 清洗数据\n- 自动生成周报\n\n## 适合谁\n\n每天和表格打交道、想少加班的职场人。",
    )
    SignupSettings.objects.create(wechat_id="onepco_founder", wechat_qr=ContentFile(QR_PNG, name="qr.png"))
    return f.make_cohort(course=course, slug="python-5", name="第 5 期", sale_open=True, capacity=30)


def test_a_prospect_signs_up_on_a_phone_and_the_founder_finds_them(
    live_server, offer, phone_page, desktop_page, founder, login_browser, screenshot
):
    # The registry's seeded rows do not survive another browser test's flush: named here.
    Channel.objects.update_or_create(
        code="xiaohongshu", defaults={"name_zh_hans": "小红书", "name_en": "Xiaohongshu"}
    )
    page = phone_page
    page.goto(
        f"{live_server.url}/courses/python-data/?ch=xiaohongshu&utm_campaign=spring-2026&utm_content=post-7"
    )
    assert "Python 数据分析实战" in page.locator("h1").inner_text()
    screenshot(page, "course-phone")
    page.goto(f"{live_server.url}/privacy/")  # reading on does not lose the attribution
    screenshot(page, "privacy-phone")
    page.goto(f"{live_server.url}/courses/python-data/")

    page.get_by_role("button", name="提交").click()  # empty: errors beside the fields
    assert page.locator("#id_name_error").inner_text() == "请填写姓名。"
    assert "请同意隐私说明" in page.locator("#id_consent_error").inner_text()
    screenshot(page, "errors-phone")

    page.get_by_label("姓名").fill("周小雨")
    page.get_by_label("手机号").fill("138 0013 8000")
    page.get_by_label("微信号").fill("zhou_xy")
    page.get_by_label("留言").fill("想报 5 月那期，晚上有空。")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="提交").click()
    page.wait_for_url("**/thanks/**")
    assert "谢谢" in page.locator("h1").inner_text()
    assert page.locator(".qr img").evaluate("img => img.naturalWidth") == 232
    screenshot(page, "thanks-phone")

    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_campaign, lead.phone) == ("xiaohongshu", "spring-2026", "+8613800138000")

    for name, console in (("desktop", desktop_page), ("phone", phone_page)):
        login_browser(console, founder)
        console.goto(f"{live_server.url}/console/leads/")
        console.get_by_label("搜索").fill("周小雨")
        console.get_by_role("button", name="筛选").click()
        row = console.locator("tbody tr").first
        assert "小红书" in row.inner_text() and "spring-2026" in row.inner_text()  # the channel by its name
        screenshot(console, f"lead-list-{name}")
        row.get_by_role("link", name="周小雨").click()
        console.wait_for_url(f"**/console/leads/{lead.pk}/")
        assert "post-7" in console.locator("main").inner_text()
        screenshot(console, f"lead-detail-{name}")

    desktop_page.get_by_label("类型").select_option("trial")
    desktop_page.get_by_label("时间").fill("2026-12-01T19:30")
    desktop_page.get_by_role("button", name="安排", exact=True).click()
    desktop_page.get_by_role("button", name="已进行").click()
    assert Lead.objects.get().status == "consulting"
    assert lead.consultations.get().status == "held"
    screenshot(desktop_page, "lead-after-consultation-desktop")


def test_the_other_pages_on_phone_and_desktop(
    live_server, offer, phone_page, desktop_page, founder, login_browser, screenshot, channels
):
    f.make_cohort(slug="closed", sale_open=False)
    f.make_cohort(course=offer.course, slug="python-6", name="第 6 期", sale_open=True, capacity=1)
    for i in range(12):
        f.make_lead(channel=["zhihu", "bilibili", "xiaohongshu"][i % 3], utm_campaign="spring", status="new")
    lead_import = LeadImport.objects.create(
        file=ContentFile("name,phone\n甲,13800138000\n".encode(), name="a.csv"),
        filename="老名单.csv", encoding="GBK", total_rows=1,
        row_errors=[{"row": 3, "errors": {"phone": ["请填写中国大陆 11 位手机号。"]}}],
    )  # fmt: skip
    for name, page in (("phone", phone_page), ("desktop", desktop_page)):
        page.goto(f"{live_server.url}/courses/")
        assert page.locator(".offer-card").count() == 2
        screenshot(page, f"courses-{name}")
        page.goto(f"{live_server.url}/courses/python-data/")
        screenshot(page, f"course-{name}")
        login_browser(page, founder)
        page.goto(f"{live_server.url}/console/leads/links/")
        page.select_option("#id_page", "/courses/python-data/")
        page.select_option("#id_channel", "zhihu")
        page.fill("#id_campaign", "spring")
        page.fill("#id_content", "answer-3")
        page.locator("form.card button[type=submit]").click()
        assert "ch=zhihu" in page.locator("#tagged-link").inner_text()
        screenshot(page, f"link-builder-{name}")
        page.goto(f"{live_server.url}/console/leads/import/")
        screenshot(page, f"import-{name}")
        page.goto(f"{live_server.url}/console/leads/import/{lead_import.pk}/")
        screenshot(page, f"import-preview-{name}")
        page.goto(f"{live_server.url}/console/leads/")
        screenshot(page, f"lead-list-{name}")
