"""The backups page as the founder sees it, on a desktop and on a phone."""

import pytest

from console import backups
from console.models import Backup

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("backups"),
]


def test_the_backups_page_on_desktop_and_phone(founder_pages, screenshot, backup_dir):
    done = backups.backup_make(backup=Backup.objects.create(trigger="manual"))
    Backup.objects.filter(pk=done.pk).update(
        drill_ok=True,
        drill_report=[
            {"step": "校验值", "ok": True, "detail": "212 个条目完好"},
            {"step": "空白实例", "ok": True, "detail": ""},
            {"step": "恢复", "ok": True, "detail": ""},
            {"step": "每周数字", "ok": True, "detail": "比对了 14 周，全部一致"},
        ],
    )
    Backup.objects.create(
        trigger="scheduled", status="failed", error="OSError: [Errno 28] No space left on device"
    )
    for name, page in founder_pages("/console/system/backups/"):
        assert page.locator("h1").inner_text() == "备份"
        assert page.locator(".badge-ok", has_text="可以恢复").count() == 1
        assert page.locator(".badge-danger", has_text="失败").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], "no sideways scrolling"
        screenshot(page, name)
