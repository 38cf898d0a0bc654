"""The refund-risk flags in a browser, on a 390 px phone and a 1280 px desktop: 今天's card,
a call noted from it, a flag dismissed with a reason."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.models import RefundRiskAction
from onepco.models import SiteSettings
from onepco.site import site_settings_save
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_flags_on_today_and_their_actions(live_server, founder_pages, screenshot):
    row = SiteSettings.objects.first() or SiteSettings()
    row.refund_days = 7
    site_settings_save(row, step="policies")
    now = timezone.now()
    cohort = f.make_cohort(name="第 5 期")
    lesson = f.make_lesson(cohort, starts_at=now - timedelta(days=1))
    f.make_assignment(cohort, due_at=now - timedelta(hours=3))
    for device, page in founder_pages("/console/"):
        RefundRiskAction.objects.all().delete()
        names = (f"韩梅梅-{device}", f"李雷-{device}")
        for name in names:
            student = f.make_student(f.make_user(name=name), phone="+8613900001111")
            f.make_enrollment(student, cohort, enrolled_at=now - timedelta(days=2))
            f.make_attendance(lesson, student, "absent")
        page.reload()
        card = page.locator("#refund-risk")
        assert card.is_visible() and card.locator("li.todo").count() >= 2
        assert page.evaluate(FITS), device
        screenshot(page, f"today-{device}")
        first = card.locator(f"li.todo:has-text('{names[0]}')")
        first.locator("summary").click()
        first.locator("input[name=note]").fill("这周出差，周末看回放")
        first.locator("button[value=called]").click()
        page.wait_for_url("**/console/")
        assert "这周出差" in page.locator("#refund-risk").inner_text()
        second = page.locator(f"#refund-risk li.todo:has-text('{names[1]}')")
        second.locator("summary").click()
        second.locator("input[name=note]").fill("已经约好补课")
        second.locator("button[value=dismissed]").click()
        page.wait_for_url("**/console/")
        assert page.locator(f"#refund-risk li.todo:has-text('{names[1]}')").count() == 0
        screenshot(page, f"after-{device}")
