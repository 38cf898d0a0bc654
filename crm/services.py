"""Writes of the money loop's first half: leads, their touches, notes and status."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Lead, LeadNote, LeadTouch
from crm.normalize import email_normalize, phone_normalize

ATTRIBUTION_FIELDS = (
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "landing_page",
    "referrer",
)


def lead_find(*, email: str = "", phone: str = "") -> Lead | None:
    """The (non-spam) lead with this e-mail or phone; values must already be normalised."""
    match = Q()
    if email:
        match |= Q(email__iexact=email)
    if phone:
        match |= Q(phone=phone)
    if not match:
        return None
    return Lead.objects.filter(match, is_spam=False).order_by("created_at", "pk").first()


def lead_capture(
    *,
    name: str,
    email: str = "",
    phone: str = "",
    wechat: str = "",
    message: str = "",
    attribution: dict[str, str] | None = None,
    kind: str = LeadTouch.Kind.FORM,
    consent_at: datetime | None = None,
    created_at: datetime | None = None,
    is_spam: bool = False,
) -> LeadTouch:
    """Record a signup. A repeat (same e-mail or phone) updates the lead it matches.

    The lead keeps its first-touch attribution; every signup adds a touch with its own
    attribution and time. Returns the touch: its public_id is what callers may show, since it
    is new every time and so reveals nothing about an earlier signup.
    """
    email, phone = email_normalize(email), phone_normalize(phone)
    attribution = {k: (attribution or {}).get(k, "") or "" for k in ATTRIBUTION_FIELDS}
    when = created_at or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _lead_capture_once(
                    name=name, email=email, phone=phone, wechat=wechat, message=message,
                    attribution=attribution, kind=kind, consent_at=consent_at, when=when,
                    is_spam=is_spam,
                )  # fmt: skip
        except IntegrityError:
            # Two identical signups raced; the unique index stopped the twin. Retry as an update.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _lead_capture_once(
    *, name, email, phone, wechat, message, attribution, kind, consent_at, when, is_spam
) -> LeadTouch:
    lead = None if is_spam else lead_find(email=email, phone=phone)
    if lead is None:
        lead = Lead.objects.create(
            name=name, email=email, phone=phone, wechat=wechat, message=message,
            consent_at=consent_at, source=kind, is_spam=is_spam, created_at=when,
            last_touch_at=when, **attribution,
        )  # fmt: skip
    else:
        lead = Lead.objects.select_for_update().get(pk=lead.pk)
        _lead_merge_contact(lead, name=name, email=email, phone=phone, wechat=wechat, message=message)
        lead.last_touch_at = max(filter(None, [lead.last_touch_at, when]))
        if consent_at:
            lead.consent_at = consent_at
        lead.save()
    return LeadTouch.objects.create(lead=lead, kind=kind, message=message, touched_at=when, **attribution)


def _lead_merge_contact(lead: Lead, *, name: str, email: str, phone: str, wechat: str, message: str) -> None:
    """Fill what the lead lacks; never overwrite what the founder already knows.

    An e-mail or phone that belongs to another lead is not copied over (it would collide
    with that lead's unique index).
    """
    if name and not lead.name:
        lead.name = name
    if email and not lead.email and not Lead.objects.filter(email__iexact=email, is_spam=False).exists():
        lead.email = email
    if phone and not lead.phone and not Lead.objects.filter(phone=phone, is_spam=False).exists():
        lead.phone = phone
    if wechat and not lead.wechat:
        lead.wechat = wechat
    if message and message not in lead.message:
        lead.message = f"{lead.message}\n\n{message}".strip()


def lead_set_status(*, lead: Lead, status: str, by=None, reason: str = "") -> Lead:
    """Move a lead along the pipeline, recording the change on its timeline."""
    if status not in Lead.Status.values:
        raise ValueError(f"unknown lead status {status!r}")
    if lead.status == status and not reason:
        return lead
    old = lead.get_status_display()
    lead.status = status
    lead.lost_reason = reason if status == Lead.Status.LOST else ""
    lead.save(update_fields=["status", "lost_reason", "updated_at"])
    body = f"{old} → {lead.get_status_display()}" + (f"（{reason}）" if reason else "")
    LeadNote.objects.create(lead=lead, author=by, kind=LeadNote.Kind.STATUS, body=body)
    return lead


def lead_mark_won(*, lead: Lead) -> Lead:
    """A paid order: the lead is won (billing calls this after payment)."""
    if lead.status == Lead.Status.WON:
        return lead
    return lead_set_status(lead=lead, status=Lead.Status.WON)
