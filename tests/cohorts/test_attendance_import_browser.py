"""Attendance from a meeting export in a browser, on a 390 px phone and a 1280 px desktop: the
upload on the lesson's attendance page, the preview with a manual match, the save."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cohorts.models import Attendance, AttendanceAlias
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = Path(__file__).parent / "samples" / "tencent_meeting.xlsx"
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_an_export_becomes_attendance(live_server, founder_pages, screenshot):
    cohort = f.make_cohort(name="第 3 期")
    lesson = f.make_lesson(cohort, title="第 3 课：用 AI 写测试", duration_minutes=90,
                           starts_at=timezone.now() - timedelta(hours=2))  # fmt: skip
    for name, phone in (("韩梅梅", "+8613900001111"), ("李雷", ""), ("王芳", ""), ("张伟", "")):
        f.make_enrollment(f.make_student(f.make_user(name=name), phone=phone), cohort)
    for device, page in founder_pages(f"/console/lessons/{lesson.pk}/attendance/"):
        Attendance.objects.all().delete()
        AttendanceAlias.objects.all().delete()
        page.set_input_files("#attendance-upload input[type=file]", str(SAMPLE))
        assert page.evaluate(FITS), device
        screenshot(page, f"upload-{device}")
        page.click("#attendance-upload button[type=submit]")
        page.wait_for_url("**/attendance/import/")
        assert page.locator("#import-preview .import-lines li").count() == 4
        page.locator("#unmatched select").nth(1).select_option(label="张伟")
        assert page.evaluate(FITS), device
        screenshot(page, f"preview-{device}")
        page.click("button[value=save]")
        page.wait_for_url(f"**/console/cohorts/{cohort.pk}/")
        assert Attendance.objects.filter(lesson=lesson).count() == 4
        assert Attendance.objects.get(lesson=lesson, student__user__name="张伟").status == "partial"
        screenshot(page, f"saved-{device}")
