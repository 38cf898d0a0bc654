"""Reads about one person: everything onepco holds about them (their right of access)."""

import json
import tempfile
import zipfile
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from billing.models import Order, Refund, TransferProof
from cohorts.models import Assessment, Attendance, Enrollment, GraduationReport, Submission
from crm.models import Consultation, Lead, LeadTouch

README = """这是 onepco 保存的关于你的全部数据（{when} 导出）。
This archive holds everything onepco keeps about you (exported {when}).

data.json  — 账户、线索与报名来源、报名、出勤、作业（含批改反馈与分数）、测评、订单与退款
             your account, sign-ups, enrollments, attendance, homework (feedback, scores),
             assessments, orders and refunds
files/     — 你上传的作业文件 / the homework files you uploaded
"""


LEAD_FIELDS = (
    "id", "name", "email", "phone", "wechat", "message", "consent_at", "channel", "utm_source", "utm_medium",
    "utm_campaign", "utm_content", "landing_page", "referrer", "status", "created_at",
)  # fmt: skip
TOUCH_FIELDS = ("lead_id", "kind", "channel", "utm_source", "utm_campaign", "utm_content", "landing_page",
                "message", "touched_at")  # fmt: skip
CONSULTATION_FIELDS = ("lead_id", "kind", "scheduled_at", "held_at", "status")
ORDER_FIELDS = ("number", "cohort__name", "amount", "currency", "status", "provider", "created_at", "paid_at")
REFUND_FIELDS = ("order__number", "amount", "status", "reason", "refunded_at")
ENROLLMENT_FIELDS = (
    "cohort__course__title",
    "cohort__name",
    "enrolled_at",
    "ended_at",
    "status",
    "graduated_at",
)
ATTENDANCE_FIELDS = ("lesson__cohort__name", "lesson__title", "lesson__starts_at", "status")
SUBMISSION_FIELDS = (
    "id", "assignment__title", "attempt", "text", "link", "file", "file_name", "submitted_at", "late", "score",
    "passed", "feedback", "graded_at", "is_showcase",
)  # fmt: skip
ASSESSMENT_FIELDS = ("cohort__name", "kind", "score", "passed", "taken_at")
REPORT_FIELDS = ("enrollment__cohort__name", "closing_feedback", "is_published", "published_at", "token")
PROOF_FIELDS = (
    "id",
    "order__number",
    "image",
    "note",
    "uploaded_at",
    "status",
    "reviewed_at",
    "reject_reason",
)


def _rows(queryset, *fields: str) -> list[dict]:
    return list(queryset.values(*fields))


def personal_data(user: User) -> dict:
    """Every record about this user, as plain data (dates as ISO strings once dumped)."""

    student = getattr(user, "student", None)
    leads = Lead.objects.filter(Q(email__iexact=user.email) | Q(students__user=user)).distinct()
    data: dict = {
        "account": {
            "email": user.email,
            "name": user.name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "student": None,
        "leads": _rows(leads, *LEAD_FIELDS),
        "lead_touches": _rows(LeadTouch.objects.filter(lead__in=leads), *TOUCH_FIELDS),
        "consultations": _rows(Consultation.objects.filter(lead__in=leads), *CONSULTATION_FIELDS),
        "orders": _rows(Order.objects.filter(Q(user=user) | Q(lead__in=leads)).distinct(), *ORDER_FIELDS),
        "refunds": _rows(
            Refund.objects.filter(Q(order__user=user) | Q(order__lead__in=leads)).distinct(), *REFUND_FIELDS
        ),
        "transfer_proofs": _rows(
            TransferProof.objects.filter(Q(order__user=user) | Q(order__lead__in=leads)).distinct(),
            *PROOF_FIELDS,
        ),
    }
    if student is not None:
        data["student"] = {"phone": student.phone, "wechat": student.wechat, "created_at": student.created_at}
        data["enrollments"] = _rows(Enrollment.objects.filter(student=student), *ENROLLMENT_FIELDS)
        data["attendance"] = _rows(Attendance.objects.filter(student=student), *ATTENDANCE_FIELDS)
        data["submissions"] = _rows(Submission.objects.filter(student=student), *SUBMISSION_FIELDS)
        data["assessments"] = _rows(Assessment.objects.filter(student=student), *ASSESSMENT_FIELDS)
        data["graduation_reports"] = _rows(
            GraduationReport.objects.filter(enrollment__student=student), *REPORT_FIELDS
        )
    return data


def personal_data_archive(user: User) -> IO[bytes]:
    """A zip of personal_data(user) plus the user's uploaded files, in a temporary file."""
    data = personal_data(user)
    # Handed to the caller open: FileResponse closes it once sent.
    scratch = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(when=timezone.localtime().strftime("%Y-%m-%d %H:%M")))
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        files = [(s["file"], f"files/{s['id']}-{s['file_name'] or s['file'].rsplit('/', 1)[-1]}")
                 for s in data.get("submissions", []) if s["file"]]  # fmt: skip
        files += [(p["image"], f"payment-proofs/{p['id']}-{p['image'].rsplit('/', 1)[-1]}")
                  for p in data["transfer_proofs"] if p["image"]]  # fmt: skip
        for name, label in files:
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as source, archive.open(label, "w") as target:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        target.write(chunk)
    scratch.seek(0)
    return scratch
