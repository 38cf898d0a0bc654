"""A person's right of access: everything onepco holds about them, in one zip.

Each app says what its models hold about a person (its `personal.py`); this module only finds
the person's rows in every app and packs them with their files. A person is found by an e-mail
address (what they signed up or bought with) and, when they are signed in, by their account:
the download from the account page and the one asked for by e-mail are built by the same
`personal_data_for`.
"""

import json
import tempfile
import zipfile
from collections.abc import Iterable
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.personal import user_personal_data
from billing.models import Order
from billing.personal import TRANSFER_PROOF, orders_personal_data, referral_rewards_personal_data
from cohorts.models import Student
from cohorts.personal import SUBMISSION, student_personal_data
from console.models import (
    Backup,
    BackupSchedule,
    Broadcast,
    BroadcastRecipient,
    DataAccessRequest,
    DataExport,
    ErasureRecord,
)
from crm.models import Lead
from crm.personal import lead_personal_data
from onepco.personal import PersonalData, files_of, messages_personal_data
from onepco.site import site_name

# A request names the address it was made for; the code and the page's token are not the person's.
DATA_ACCESS_REQUEST = PersonalData(
    DataAccessRequest,
    erased={"email": lambda request: f"erased-request-{request.pk}@erased.invalid"},
    kept=("id", "created_at", "expires_at", "held_data", "code_sent_at", "downloaded_at"),
    internal=("token", "language", "code_hash", "attempts"),
)
# Who a broadcast went to and what became of it; the reason may quote the address (an SMTP
# server's "550 <mei@example.com>: no such user").
BROADCAST_RECIPIENT = PersonalData(
    BroadcastRecipient,
    erased={"name": "", "email": "", "reason": ""},
    kept=("id", "status", "attempts", "sent_at", "unsubscribed_at"),
    internal=("broadcast", "lead", "student", "retry", "claimed_at"),
    context=("broadcast__subject", "broadcast__send_at"),
)
DESCRIBED = (DATA_ACCESS_REQUEST, BROADCAST_RECIPIENT)
# The founder's exports, and the erasure log, which names erased rows by id only; a
# broadcast is the founder's own message (who got it is in its recipients).
NOT_PERSONAL = (DataExport, ErasureRecord, Backup, BackupSchedule, Broadcast)


def person_broadcasts(*, addresses: set[str], leads: Iterable[Lead], students: Iterable[Student]) -> Q:
    """The broadcast e-mails sent (or meant) to the person: by address, lead or profile."""
    return (
        Q(email__in=[address.lower() for address in addresses if address])
        | Q(lead__in=list(leads))
        | Q(student__in=list(students))
    )


# What each part of data.json holds, for the README inside the zip.
SECTIONS = {
    "account": gettext_lazy("your account"),
    "student": gettext_lazy("your learner profile"),
    "leads": gettext_lazy("your sign-ups (leads) and where they came from"),
    "lead_touches": gettext_lazy("each time you signed up or came back"),
    "lead_notes": gettext_lazy("our notes about you and the history of your sign-up"),
    "consultations": gettext_lazy("trial classes and calls, with our notes"),
    "orders": gettext_lazy("orders, with the buyer's name, e-mail and phone"),
    "payment_events": gettext_lazy("payment notifications from the payment providers"),
    "refunds": gettext_lazy("refunds"),
    "transfer_proofs": gettext_lazy("transfer proofs you uploaded"),
    "referral_rewards": gettext_lazy("rewards for friends you invited"),
    "enrollments": gettext_lazy("enrollments"),
    "attendance": gettext_lazy("attendance"),
    "submissions": gettext_lazy("homework, with feedback and scores"),
    "assessments": gettext_lazy("assessments"),
    "graduation_reports": gettext_lazy("graduation reports"),
    "due_reminders": gettext_lazy("homework reminders sent to you"),
    "access_requests": gettext_lazy("your requests to download your data"),
    "broadcasts": gettext_lazy("our news e-mails sent to you, and whether they arrived"),
}


# A lead is matched by e-mail or by phone (crm's dedupe), so a lead found by phone alone may be
# someone else's who gave that number first. What is a person's therefore follows their own
# addresses and account, and a lead's links only where the lead names no other address.


def _own_lead(user: User) -> Q:
    """The lead a learner came from, when it is theirs: their address, or none."""
    return Q(students__user=user) & (Q(email__iexact=user.email) | Q(email=""))


def person_orders(*, addresses: set[str], users: Iterable[User], leads: Iterable[Lead]) -> Q:
    """Orders bought with one of the person's addresses or by their account, and the orders
    of their leads that name no address (a seat the founder sold to a phone-only lead)."""
    match = Q(user__in=list(users)) | Q(lead__in=list(leads), buyer_email="")
    for address in addresses:
        match |= Q(buyer_email__iexact=address)
    return match


def _leads_for(*, email: str, user: User | None) -> QuerySet[Lead]:
    match = Q(email__iexact=email) if email else Q()
    if user is not None:
        match |= _own_lead(user)
    return Lead.objects.filter(match).distinct() if match else Lead.objects.none()


def _orders_for(*, email: str, user: User | None, leads: QuerySet[Lead]) -> Q:
    addresses = {email} if email else set()
    return person_orders(addresses=addresses, users=[user] if user is not None else [], leads=leads)


def personal_data_for(*, email: str, user: User | None = None) -> dict:
    """Every record about the person with this e-mail address (and this account, when they are
    signed in), as plain data (dates as ISO strings once dumped).

    Found by the address: leads, the orders bought with it, an account of that address. Found
    by the account: its learner profile, the lead it came from, its orders.
    """
    leads = _leads_for(email=email, user=user)
    addresses = {email.lower(), *(e.lower() for e in leads.values_list("email", flat=True))} - {""}
    data: dict = {
        "account": user_personal_data(user=user) if user is not None else None,
        "student": None,
        **lead_personal_data(leads=leads),
        **orders_personal_data(
            orders_filter=_orders_for(email=email, user=user, leads=leads),
            leads=leads,
            addresses={email} if email else set(),
        ),
        "access_requests": DATA_ACCESS_REQUEST.rows(DataAccessRequest.objects.filter(email__in=addresses)),
    }
    student = Student.objects.filter(user=user).first() if user is not None else None
    if student is not None:
        data |= student_personal_data(student=student)
        data |= referral_rewards_personal_data(students=[student])
    sent_to = person_broadcasts(addresses=addresses, leads=leads, students=[student] if student else [])
    data["broadcasts"] = BROADCAST_RECIPIENT.rows(BroadcastRecipient.objects.filter(sent_to))
    data |= messages_personal_data(users=[user] if user is not None else [], addresses=addresses)
    return data


def account_for_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first() if email else None


def personal_data_held(email: str) -> bool:
    """Whether onepco holds anything for this e-mail address (beyond requests to see it)."""
    if not email:
        return False
    user = account_for_email(email)
    leads = _leads_for(email=email, user=user)
    return (
        user is not None
        or leads.exists()
        or Order.objects.filter(_orders_for(email=email, user=user, leads=leads)).exists()
    )


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


def _readme(data: dict, files: list[tuple[str, str]]) -> str:
    """What the zip holds, part by part, in the reader's language."""

    def count(value) -> int:
        return len(value) if isinstance(value, list) else int(value is not None)

    lines = [
        _("This archive holds everything %(site)s keeps about you (exported %(when)s).")
        % {"site": site_name(), "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        "",
        _("data.json, by part (number of records):"),
    ]
    lines += [f"  {key:<20} {count(value):>4}  {SECTIONS.get(key, '')}" for key, value in data.items()]
    folders = {
        "files/": _("the homework files you uploaded"),
        "payment-proofs/": _("the transfer screenshots you uploaded"),
    }
    for folder, label in folders.items():
        inside = sum(1 for _stored, name in files if name.startswith(folder))
        if inside:
            lines += ["", f"{folder:<22} {inside:>4}  {label}"]
    return "\n".join(lines) + "\n"


def personal_data_archive(*, email: str, user: User | None = None) -> IO[bytes]:
    """A zip of personal_data_for(email, user) plus the person's uploaded files, in a temporary
    file."""
    data = personal_data_for(email=email, user=user)
    files = [(name, label) for name, label in _files(data) if default_storage.exists(name)]
    # Handed to the caller open: FileResponse closes it once sent.
    scratch = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(data, files))
        archive.writestr("data.json", json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        for name, label in files:
            with default_storage.open(name, "rb") as source, archive.open(label, "w") as target:
                for chunk in iter(lambda: source.read(1024 * 1024), b""):
                    target.write(chunk)
    scratch.seek(0)
    return scratch
