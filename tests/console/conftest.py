"""A person with a row in every model that holds personal data, for erasure and access tests."""

import pytest
from django.core.files.base import ContentFile

from billing.models import PaymentEvent, Refund, TransferProof
from cohorts.models import GraduationReport
from console.models import DataAccessRequest
from crm.models import LeadNote
from crm.services import lead_set_status
from tests import factories as f

# Everything the fixture below says about the person, in every field it fills.
PERSONAL_STRINGS = (
    "王小明", "xiaoming@example.com", "13800138000", "xm_wang", "想报名", "电话聊过，很积极", "家住杭州",
    "王小明的转账", "我的作业", "https://example.com/me", "很好", "基础薄弱", "小明进步很大",
    "student@example.com", "学员甲", "他说学费太贵", "学员生病退款",
)  # fmt: skip


@pytest.fixture
def buyer(student, cohort_a):
    """A student who came in as a lead, paid, attended, submitted a file, was assessed and once
    asked for their data by e-mail."""
    lead = f.make_lead(
        name="王小明",
        email="xiaoming@example.com",
        phone="13800138000",
        wechat="xm_wang",
        message="想报名",
        channel="zhihu",
        utm_campaign="w47",
    )
    LeadNote.objects.create(lead=lead, body="电话聊过，很积极")
    # Lost once (the founder typed why beside the change), won later.
    lead_set_status(lead=lead, status="lost", reason="他说学费太贵")
    lead_set_status(lead=lead, status="consulting")
    f.make_consultation(lead, status="held", held_at=f.aware(2026, 11, 17, 20), notes="家住杭州")
    student.lead = lead
    student.phone = "13800138000"
    student.wechat = "xm_wang"
    student.save()
    order = f.make_order(
        cohort_a,
        lead=lead,
        user=student.user,
        buyer_name="王小明",
        buyer_phone="13800138000",
        status="paid",
        paid_at=f.aware(2026, 11, 18, 9),
    )
    proof = TransferProof(order=order, note="王小明的转账")
    proof.image.save("转账截图.png", ContentFile(b"\x89PNG proof"), save=False)
    proof.save()
    Refund.objects.create(
        order=order, amount=1, reason="学员生病退款", status="failed", out_refund_no="RF-FIXTURE"
    )
    PaymentEvent.objects.create(
        provider="stripe", event_id="evt_1", order=order, body='{"customer_email": "xiaoming@example.com"}'
    )
    lesson = f.make_lesson(cohort_a)
    f.make_attendance(lesson, student, "full")
    submission = f.make_submission(
        f.make_assignment(cohort_a),
        student,
        text="我的作业",
        link="https://example.com/me",
        feedback="很好",
        score=88,
        passed=True,
        graded_at=f.aware(2026, 11, 19, 10),
    )
    submission.file.save("作业.pdf", ContentFile(b"%PDF homework"))
    submission.file_name = "作业.pdf"
    submission.save()
    f.make_assessment(student, cohort_a, "entry", 40, note="基础薄弱")
    f.make_assessment(student, cohort_a, "graduation", 85)
    enrollment = student.enrollments.get(cohort=cohort_a)
    GraduationReport.objects.create(
        enrollment=enrollment,
        closing_feedback="小明进步很大",
        is_published=True,
        published_at=f.aware(2026, 11, 20),
    )
    # They asked for their data by e-mail once before (the request names their address).
    DataAccessRequest.objects.create(email="xiaoming@example.com", expires_at=f.aware(2026, 11, 21))
    return lead


@pytest.fixture
def backup_dir(settings, tmp_path):
    folder = tmp_path / "backups"
    configured = settings.STORAGES["backups"]  # as production has it, in a folder of this test's own
    settings.STORAGES = {
        **settings.STORAGES,
        "backups": {**configured, "OPTIONS": {**configured["OPTIONS"], "location": folder}},
    }
    settings.STORAGES.pop("offsite_backups", None)
    return folder
