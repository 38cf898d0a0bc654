"""A person's right of access: everything onepco holds about them, in one zip.

Each app says what its models hold about a person (its `personal.py`); this module only finds
the person's rows in every app and packs them with their files.
"""

import json
import tempfile
import zipfile
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from accounts.personal import user_personal_data
from billing.personal import TRANSFER_PROOF, orders_personal_data
from cohorts.models import Student
from cohorts.personal import SUBMISSION, student_personal_data
from console.models import DataExport, ErasureRecord
from crm.models import Lead
from crm.personal import lead_personal_data
from onepco.personal import files_of

README = """这是 onepco 保存的关于你的全部数据（{when} 导出）。
This archive holds everything onepco keeps about you (exported {when}).

data.json       — 账户、线索与报名来源、备注与咨询记录、报名、出勤、作业（含批改反馈与分数）、测评、
                  订单、付款通知与退款
                  your account, sign-ups, notes and consultations, enrollments, attendance,
                  homework (feedback, scores), assessments, orders, payment notifications, refunds
files/          — 你上传的作业文件 / the homework files you uploaded
payment-proofs/ — 你上传的转账截图 / the transfer screenshots you uploaded
"""

DESCRIBED = ()
# The founder's exports, and the erasure log, which names erased rows by id only.
NOT_PERSONAL = (DataExport, ErasureRecord)


def personal_data(user: User) -> dict:
    """Every record about this user, as plain data (dates as ISO strings once dumped)."""
    leads = Lead.objects.filter(Q(email__iexact=user.email) | Q(students__user=user)).distinct()
    data: dict = {
        "account": user_personal_data(user=user),
        "student": None,
        **lead_personal_data(leads=leads),
        **orders_personal_data(orders_filter=Q(user=user) | Q(lead__in=leads)),
    }
    student = Student.objects.filter(user=user).first()
    if student is not None:
        data |= student_personal_data(student=student)
    return data


def _files(data: dict) -> list[tuple[str, str]]:
    """(stored name, name in the zip) of every file the person uploaded."""
    labels = {s["id"]: s["file_name"] for s in data.get("submissions", [])}
    files = [
        (name, f"files/{pk}-{labels.get(pk) or name.rsplit('/', 1)[-1]}")
        for pk, name in files_of(data.get("submissions", []), SUBMISSION)
    ]
    files += [
        (name, f"payment-proofs/{pk}-{name.rsplit('/', 1)[-1]}")
        for pk, name in files_of(data["transfer_proofs"], TRANSFER_PROOF)
    ]
    return files


def personal_data_archive(user: User) -> IO[bytes]:
    """A zip of personal_data(user) plus the user's uploaded files, in a temporary file."""
    data = personal_data(user)
    # Handed to the caller open: FileResponse closes it once sent.
    scratch = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(when=timezone.localtime().strftime("%Y-%m-%d %H:%M")))
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for name, label in _files(data):
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as source, archive.open(label, "w") as target:
                    for chunk in iter(lambda: source.read(1024 * 1024), b""):
                        target.write(chunk)
    scratch.seek(0)
    return scratch
