"""Referral codes and attribution: every student has a code; the graduation report's "我也想报名"
link carries it to the course page; a lead who signs up or buys through it is credited to
channel `referral` with the referrer recorded, unless an earlier touch came first."""

import io
import re

import pytest
from django.conf import settings
from PIL import Image

from cohorts import cards, selectors, services
from cohorts.models import REFERRAL_ALPHABET, REFERRAL_LENGTH
from crm.models import Lead, LeadTouch
from tests import factories as f

FORM = {"name": "新同学", "phone": "13700137000", "consent": "on"}
pytestmark = pytest.mark.usefixtures("signup_ready")


@pytest.fixture
def report(student, cohort_a, founder):
    """The standing student graduated from cohort A (course "python", also on sale in its next
    cohort) with a graduation project and a published report."""
    course = cohort_a.course
    course.slug, course.title = "python", "Python 入门"
    course.save()
    f.make_cohort(course=course, slug="python-next", name="下一期", sale_open=True)
    f.make_assessment(student, cohort_a, "entry", 40)
    f.make_assessment(student, cohort_a, "graduation", 85, passed=True)
    project = f.make_assignment(cohort_a, title="自动整理发票的小工具", is_graduation_project=True)
    services.submission_grade(
        submission=f.make_submission(project, student), score=92, feedback="好", graded_by=founder
    )
    enrollment = services.enrollment_graduate(enrollment=student.enrollments.get())
    services.graduation_report_publish(report=enrollment.report, published=True)
    return enrollment.report


def _invite_link(client, report) -> str:
    html = client.get(f"/graduates/{report.token}/").content.decode()
    match = re.search(r'id="invite-link" href="([^"]+)"', html)
    assert match, "the report has no invitation link"
    return match.group(1).replace("&amp;", "&")


def test_every_student_gets_a_short_unique_code_that_never_changes(db):
    students = [f.make_student() for _ in range(40)]
    codes = [s.referral_code for s in students]
    assert len(set(codes)) == 40
    assert all(len(code) == REFERRAL_LENGTH and set(code) <= set(REFERRAL_ALPHABET) for code in codes)
    first = students[0]
    first.phone = "13800000000"
    first.save()
    first.refresh_from_db()
    assert first.referral_code == codes[0]


def test_the_report_invites_to_the_course_page_with_the_graduates_code(client, report, student):
    link = _invite_link(client, report)
    assert link == f"{settings.SITE_URL}/courses/python/?channel=referral&ref={student.referral_code}"
    html = client.get(f"/graduates/{report.token}/").content.decode()
    assert "我也想报名" in html and "自动整理发票的小工具" in html
    qr = client.get(f"/graduates/{report.token}/qr.png")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/png"


def test_the_card_is_1080_wide_and_carries_the_qr_code_of_the_link(client, report):
    response = client.get(f"/graduates/{report.token}/card.png")
    card = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert card.size == (1080, 1350)
    # The QR code in the bottom band is, pixel for pixel, the code of the report's link.
    data = selectors.published_report(report.token)
    expected = cards.qr_image(data.referral_url, 170)
    box = (1080 - 60 - 170, 1350 - 210 + 22)
    assert card.crop((*box, box[0] + 170, box[1] + 170)).tobytes() == expected.tobytes()


def test_a_lead_signing_up_through_the_link_is_credited_to_the_referrer(client, report, student):
    link = _invite_link(client, report).removeprefix(settings.SITE_URL)
    visitor = client.__class__()
    visitor.get(link)
    visitor.get("/privacy/")  # reads around first
    response = visitor.post("/courses/python/", FORM)
    assert response.status_code == 302
    lead = Lead.objects.get(phone__endswith="13700137000")
    assert (lead.channel, lead.referral_code, lead.referred_by) == (
        "referral",
        student.referral_code,
        student,
    )
    assert lead.touches.get().referral_code == student.referral_code
    assert list(student.referred_leads.all()) == [lead]


def test_a_buyer_through_the_link_is_credited_too(client, report, student):
    link = _invite_link(client, report).removeprefix(settings.SITE_URL)
    client.get(link)
    buyer = {"name": "买课的朋友", "email": "friend@example.com", "phone": "13600136000", "consent": "on"}
    assert client.post("/courses/python-next/buy/", buyer).status_code == 302
    lead = Lead.objects.get(email="friend@example.com")
    assert (lead.channel, lead.referred_by) == ("referral", student)


def test_first_touch_wins_over_a_later_referral_link(client, report, student):
    client.get("/courses/python/?ch=xiaohongshu&utm_content=post-3")
    client.get(f"/courses/python/?channel=referral&ref={student.referral_code}")
    client.post("/courses/python/", FORM)
    lead = Lead.objects.get()
    assert (lead.channel, lead.utm_content, lead.referral_code, lead.referred_by) == (
        "xiaohongshu", "post-3", "", None,
    )  # fmt: skip


def test_a_known_lead_keeps_its_first_channel_and_the_touch_records_the_code(client, report, student):
    known = f.make_lead(name="老朋友", phone="+8613700137000", channel="zhihu")
    client.get(f"/courses/python/?channel=referral&ref={student.referral_code}")
    client.post("/courses/python/", FORM)
    assert list(Lead.objects.all()) == [known]
    known.refresh_from_db()
    assert (known.channel, known.referred_by) == ("zhihu", None)
    touch = LeadTouch.objects.filter(lead=known).latest("touched_at")
    assert (touch.channel, touch.referral_code) == ("referral", student.referral_code)


def test_a_code_without_its_channel_is_still_a_referral_and_any_case_works(client, report, student):
    client.get(f"/courses/python/?ref={student.referral_code.upper()}")
    client.post("/courses/python/", FORM)
    lead = Lead.objects.get()
    assert (lead.channel, lead.referred_by) == ("referral", student)


def test_an_unknown_code_credits_the_channel_but_nobody(client, report):
    client.get("/courses/python/?channel=referral&ref=zzzzzzzz")
    client.post("/courses/python/", FORM)
    lead = Lead.objects.get()
    assert (lead.channel, lead.referral_code, lead.referred_by) == ("referral", "zzzzzzzz", None)


def test_a_student_signing_up_with_their_own_link_is_not_their_own_referrer(client, report, student):
    client.get(f"/courses/python/?channel=referral&ref={student.referral_code}")
    client.post("/courses/python/", {**FORM, "email": "student@example.com", "phone": ""})
    lead = Lead.objects.get(email="student@example.com")
    assert lead.referred_by is None


def test_a_withdrawn_report_takes_its_invitation_down_with_it(client, report):
    services.graduation_report_publish(report=report, published=False)
    assert client.get(f"/graduates/{report.token}/qr.png").status_code == 404
    assert client.get(f"/graduates/{report.token}/card.png").status_code == 404


def test_the_demo_credits_referral_leads_to_graduates_of_the_first_cohort(db):
    from console.demo import demo_load

    demo_load()
    referred = list(Lead.objects.filter(referred_by__isnull=False).select_related("referred_by"))
    assert referred, "the demo has leads that graduates referred"
    for lead in referred:
        assert (lead.channel, lead.referral_code) == ("referral", lead.referred_by.referral_code)
        assert lead.referred_by.enrollments.filter(status="graduated").exists()
