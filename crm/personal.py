"""What crm holds about a person, described once (see onepco/personal.py): what they download
and what erasing them removes. Who they are goes; when and from where they came stays."""

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.models import Consultation, Lead, LeadImport, LeadNote, LeadTouch, SignupSettings
from onepco.personal import PersonalData

ATTRIBUTION = ("channel", "utm_source", "utm_medium", "utm_campaign", "utm_content", "landing_page")

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
)
LEAD_TOUCH = PersonalData(
    LeadTouch,
    erased={"message": "", "referrer": ""},
    kept=("id", "lead", "kind", *ATTRIBUTION, "touched_at"),
    internal=("public_id",),
)


def _note_erased(note: LeadNote) -> str:
    # A status change keeps the change and loses the reason the founder typed beside it (the
    # reason is the lead's lost_reason, erased there too); system lines name no one.
    if note.kind == LeadNote.Kind.STATUS:
        return note.body.split("（", 1)[0]
    return _("(erased)") if note.kind == LeadNote.Kind.NOTE else note.body


# The founder's notes about the person, and the lead's history (status changes, system lines).
LEAD_NOTE = PersonalData(
    LeadNote,
    erased={"body": _note_erased},
    kept=("id", "lead", "kind", "created_at"),
    internal=("author",),
)
CONSULTATION = PersonalData(
    Consultation,
    erased={"notes": ""},
    kept=("id", "lead", "kind", "scheduled_at", "held_at", "status", "created_at", "updated_at"),
)
DESCRIBED = (LEAD, LEAD_TOUCH, LEAD_NOTE, CONSULTATION)
# The founder's own settings; an import file lists many people and belongs to the founder's
# records of the import, not to one of them.
NOT_PERSONAL = (SignupSettings, LeadImport)


def lead_personal_data(*, leads: QuerySet[Lead]) -> dict[str, list[dict]]:
    return {
        "leads": LEAD.rows(leads),
        "lead_touches": LEAD_TOUCH.rows(LeadTouch.objects.filter(lead__in=leads)),
        "lead_notes": LEAD_NOTE.rows(LeadNote.objects.filter(lead__in=leads)),
        "consultations": CONSULTATION.rows(Consultation.objects.filter(lead__in=leads)),
    }


def lead_anonymise(*, lead: Lead) -> dict[str, int]:
    LEAD.anonymise([lead])
    touches, _files = LEAD_TOUCH.anonymise(LeadTouch.objects.filter(lead=lead))
    notes, _files = LEAD_NOTE.anonymise(LeadNote.objects.filter(lead=lead).exclude(kind=LeadNote.Kind.SYSTEM))
    consultations, _files = CONSULTATION.anonymise(Consultation.objects.filter(lead=lead).exclude(notes=""))
    return {"leads": 1, "lead_touches": touches, "lead_notes": notes, "consultation_notes": consultations}
