"""Erasing a lead: who they are goes, when and from where they came stays (see console.erasure)."""

from django.utils.translation import gettext as _

from crm.models import Consultation, Lead, LeadNote, LeadTouch


def lead_anonymise(*, lead: Lead) -> dict[str, int]:
    lead.name = _("Erased person #%(id)s") % {"id": lead.pk}
    # A placeholder address keeps the "e-mail or phone" rule true and can never match a signup.
    lead.email = f"erased-lead-{lead.pk}@erased.invalid"
    lead.phone = ""
    lead.wechat = ""
    lead.message = ""
    lead.referrer = ""
    lead.lost_reason = ""
    lead.save(
        update_fields=["name", "email", "phone", "wechat", "message", "referrer", "lost_reason", "updated_at"]
    )
    touches = LeadTouch.objects.filter(lead=lead).update(message="", referrer="")
    notes = LeadNote.objects.filter(lead=lead, kind=LeadNote.Kind.NOTE).update(body=_("(erased)"))
    consultations = Consultation.objects.filter(lead=lead).exclude(notes="").update(notes="")
    return {"leads": 1, "lead_touches": touches, "lead_notes": notes, "consultation_notes": consultations}
