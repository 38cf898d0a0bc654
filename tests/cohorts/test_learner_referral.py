"""The student's own referral link on /learn/: the link to their course with their code, a copy
button, its QR code, and what they get for a friend who pays (when the founder set a reward)."""

import html
import re
from decimal import Decimal

import pytest
from django.conf import settings

from billing.models import ReferralSettings
from cohorts.cards import qr_png
from tests import factories as f


def _link(page: str) -> str:
    match = re.search(r'id="referral-link" type="text" readonly value="([^"]+)"', page)
    assert match, "no referral link on the page"
    return html.unescape(match.group(1))


def test_the_learner_home_shows_my_link_to_my_course_a_copy_button_and_its_qr_code(
    student_client, student, cohort_a
):
    page = student_client.get("/learn/").content.decode()

    link = _link(page)
    slug = cohort_a.course.slug
    assert link == f"{settings.SITE_URL}/courses/{slug}/?channel=referral&ref={student.referral_code}"
    assert 'data-copy="referral-link"' in page and "复制链接" in page and "邀请好友" in page
    qr = student_client.get("/learn/referral-qr.png")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"
    assert qr.content == qr_png(link)


def test_the_link_follows_my_latest_cohort_and_a_draft_course_sends_to_the_course_list(
    student_client, student
):
    draft = f.make_course(slug="draft", status="draft")
    f.make_enrollment(student, f.make_cohort(course=draft, starts_on=f.date.today()))

    link = _link(student_client.get("/learn/").content.decode())

    assert link == f"{settings.SITE_URL}/courses/?channel=referral&ref={student.referral_code}"


def test_a_student_without_a_cohort_still_gets_a_link(outsider_client, outsider):
    link = _link(outsider_client.get("/learn/").content.decode())
    assert link.endswith(f"/courses/?channel=referral&ref={outsider.referral_code}")


def test_the_reward_line_says_what_i_get_when_a_reward_is_set(student_client):
    page = student_client.get("/learn/").content.decode()
    assert 'hx-get="/learn/referral-reward/"' in page
    assert student_client.get("/learn/referral-reward/").content.decode().strip() == ""

    ReferralSettings.objects.create(reward="coupon", coupon_kind="percent", coupon_value=Decimal("15"))
    line = student_client.get("/learn/referral-reward/").content.decode()
    assert "减 15 %" in line and "90 天内有效" in line

    ReferralSettings.objects.update(reward="cash", cash_amount=Decimal("100"))
    assert "¥100.00 作为感谢" in student_client.get("/learn/referral-reward/").content.decode()


def test_the_link_and_its_parts_are_for_signed_in_students_only(client, founder_client):
    for path in ("/learn/referral-qr.png", "/learn/referral-reward/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert founder_client.get(path).status_code == 403


@pytest.mark.parametrize("language", ["en"])
def test_the_block_reads_in_english_too(student_client, language):
    ReferralSettings.objects.create(reward="cash", cash_amount=Decimal("100"))
    student_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert "Invite a friend" in student_client.get("/learn/").content.decode()
    assert "you get ¥100.00 as thanks" in student_client.get("/learn/referral-reward/").content.decode()
