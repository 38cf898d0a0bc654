"""What crm holds about a person, described once (see onepco/personal.py): what they download
and what erasing them removes. Who they are goes; when and from where they came stays."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.csvio import CsvError, csv_decode, csv_rows_replace
from crm.models import (
    Channel,
    Consultation,
    ContentPiece,
    ContentSettings,
    Lead,
    LeadImport,
    LeadNote,
    LeadTouch,
    SignupSettings,
    TrackedLink,
)
from crm.normalize import email_normalize, phone_normalize
from onepco.personal import PersonalData

ATTRIBUTION = (
    "channel", "utm_source", "utm_medium", "utm_campaign", "utm_content", "landing_page", "referral_code",
)  # fmt: skip

LEAD = PersonalData(
    Lead,
    erased={
        "name": lambda lead: _("Erased person #%(id)s") % {"id": lead.pk},
        # A placeholder address keeps the "e-mail or phone" rule true and can never match a signup.
        "email": lambda lead: f"erased-lead-{lead.pk}@erased.invalid",
        "phone": "",
        "wechat": "",
        "message": "",
        "referrer": "",
        "lost_reason": "",
        # A plan to contact the person: nobody is to call an erased lead back.
        "next_follow_up_on": None,
    },
    kept=(
        "id",
        *ATTRIBUTION,
        "consent_at",
        "status",
        "is_spam",
        "source",
        "created_at",
        "updated_at",
        "last_touch_at",
    ),
    # The student whose link brought the lead: another person, so not in this one's download.
    internal=("referred_by",),
)
LEAD_TOUCH = PersonalData(
    LeadTouch,
    erased={"message": "", "referrer": ""},
    kept=("id", "lead", "kind", *ATTRIBUTION, "touched_at"),
    internal=("public_id",),
)


def _facts_erased(note: LeadNote) -> dict:
    return {key: value for key, value in (note.facts or {}).items() if key != "reason"}


def _note_erased(note: LeadNote) -> str:
    # A status change keeps the change and loses the reason the founder typed beside it (the
    # reason is the lead's lost_reason, erased there too); system lines name no one.
    if note.kind == LeadNote.Kind.STATUS:
        return LeadNote.describe(note.kind, _facts_erased(note)) or note.body.split("（", 1)[0]
    return _("(erased)") if note.kind == LeadNote.Kind.NOTE else note.body


# The founder's notes about the person, and the lead's history (status changes, system lines).
LEAD_NOTE = PersonalData(
    LeadNote,
    erased={"body": _note_erased, "facts": _facts_erased},
    kept=("id", "lead", "kind", "created_at"),
    internal=("author",),
)
CONSULTATION = PersonalData(
    Consultation,
    erased={"notes": "", "meeting_url": ""},
    kept=("id", "lead", "kind", "scheduled_at", "held_at", "status", "created_at", "updated_at"),
)
DESCRIBED = (LEAD, LEAD_TOUCH, LEAD_NOTE, CONSULTATION)
# The founder's own settings, channel names and content pieces; an import file lists many people and belongs to
# the founder's records of the import, not to one of them.
NOT_PERSONAL = (SignupSettings, LeadImport, Channel, TrackedLink, ContentPiece, ContentSettings)


def lead_personal_data(*, leads: QuerySet[Lead]) -> dict[str, list[dict]]:
    return {
        "leads": LEAD.rows(leads),
        "lead_touches": LEAD_TOUCH.rows(LeadTouch.objects.filter(lead__in=leads)),
        "lead_notes": LEAD_NOTE.rows(LeadNote.objects.filter(lead__in=leads)),
        "consultations": CONSULTATION.rows(Consultation.objects.filter(lead__in=leads)),
    }


def lead_anonymise(*, lead: Lead) -> dict[str, int]:
    imports = lead_imports_scrub(email=lead.email, phone=lead.phone)
    LEAD.anonymise([lead])
    touches, _files = LEAD_TOUCH.anonymise(LeadTouch.objects.filter(lead=lead))
    notes, _files = LEAD_NOTE.anonymise(LeadNote.objects.filter(lead=lead).exclude(kind=LeadNote.Kind.SYSTEM))
    consultations, _files = CONSULTATION.anonymise(Consultation.objects.filter(lead=lead).exclude(notes=""))
    return {
        "leads": 1, "lead_touches": touches, "lead_notes": notes, "consultation_notes": consultations,
        "import_file_rows": imports,
    }  # fmt: skip


def _matcher(email: str, phone: str) -> Callable[[dict[str, str]], bool]:
    def matches(row: dict[str, str]) -> bool:
        if email and email_normalize(row.get("email", "")) == email:
            return True
        try:
            return bool(phone) and phone_normalize(row.get("phone", "")) == phone
        except ValidationError:
            return False

    return matches


def lead_imports_scrub(*, email: str, phone: str) -> int:
    """Empty the person's rows in every uploaded import file (they were read from it into the
    lead being erased). The files are rewritten once the erasure commits; returns the rows."""
    matches = _matcher(email_normalize(email), phone)
    rewritten: list[tuple[LeadImport, bytes]] = []
    total = 0
    for lead_import in LeadImport.objects.exclude(file=""):
        try:
            with lead_import.file.open("rb") as handle:
                text, _encoding = csv_decode(handle.read())
            scrubbed, count = csv_rows_replace(text, matches, placeholder=_("(erased)"))
        except (OSError, CsvError):
            continue  # a file that is gone or unreadable holds nobody any more
        if count:
            total += count
            rewritten.append((lead_import, ("\ufeff" + scrubbed).encode("utf-8")))

    def write() -> None:
        for lead_import, content in rewritten:
            name = lead_import.file.name
            lead_import.file.storage.delete(name)
            lead_import.file.storage.save(name, ContentFile(content))
            LeadImport.objects.filter(pk=lead_import.pk).update(encoding="UTF-8 BOM")

    transaction.on_commit(write)
    return total
