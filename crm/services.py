"""Writes of the money loop's first half: leads, their touches, notes and status."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from cohorts.models import Student
from crm import jobs
from crm.csvio import csv_decode, csv_parse_when, csv_rows
from crm.forms import LeadImportRowForm
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
from onepco.db import insert_unless_conflict
from onepco.outbox import outbox_enqueue, outbox_message, outbox_relay_after_commit

ATTRIBUTION_FIELDS = (
    "channel",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "landing_page",
    "referrer",
    "referral_code",
)


def _email_taken(email: str) -> Q:
    # The same expression and condition as the unique index "lead_email_unique", so that
    # PostgreSQL answers from the index instead of scanning every lead.
    return Q(email_lower=email) & ~Q(email="") & Q(is_spam=False)


def _phone_taken(phone: str) -> Q:
    return Q(phone=phone) & ~Q(phone="") & Q(is_spam=False)


def lead_find(*, email: str = "", phone: str = "") -> Lead | None:
    """The (non-spam) lead with this e-mail or phone; values must already be normalised."""
    match = Q()
    if email:
        match |= _email_taken(email)
    if phone:
        match |= _phone_taken(phone)
    if not match:
        return None
    return Lead.objects.alias(email_lower=Lower("email")).filter(match).order_by("created_at", "pk").first()


def _no_nul(value: str) -> str:
    return value.replace("\x00", "")


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
    # PostgreSQL text cannot hold NUL. The form refuses it, but a honeypot hit is stored as it
    # came (and attribution is taken as given): a bot's junk must be kept, not turned into a 500.
    name, wechat, message = (_no_nul(value) for value in (name, wechat, message))
    email, phone = email_normalize(_no_nul(email)), phone_normalize(_no_nul(phone))
    attribution = {k: _no_nul((attribution or {}).get(k, "") or "") for k in ATTRIBUTION_FIELDS}
    when = created_at or timezone.now()
    referred_by_id = None if is_spam else _referrer_id(attribution["referral_code"], email=email)
    if not is_spam:
        touch = _lead_insert_first_signup(
            name=name, email=email, phone=phone, wechat=wechat, message=message,
            attribution=attribution, kind=kind, consent_at=consent_at, when=when,
            referred_by_id=referred_by_id,
        )  # fmt: skip
        if touch is not None:
            return touch
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _lead_capture_once(
                    name=name, email=email, phone=phone, wechat=wechat, message=message,
                    attribution=attribution, kind=kind, consent_at=consent_at, when=when,
                    is_spam=is_spam, referred_by_id=referred_by_id,
                )  # fmt: skip
        except IntegrityError:
            # Two identical signups raced; the unique index stopped the twin. Retry as an update.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _referrer_id(code: str, *, email: str) -> int | None:
    """The student a referral code belongs to, unless it is the person signing up themselves
    (their own link, opened with their own e-mail address)."""
    code = code.strip().lower()
    if not code:
        return None
    referrer = Student.objects.filter(referral_code=code).values_list("pk", "user__email").first()
    if referrer is None or (email and referrer[1].lower() == email.lower()):
        return None
    return referrer[0]


def _lead_insert_first_signup(
    *, name, email, phone, wechat, message, attribution, kind, consent_at, when, referred_by_id
) -> LeadTouch | None:
    """The common case, a first signup: lead, touch and outbox message in one statement.

    `ON CONFLICT DO NOTHING` on the lead's unique indexes (e-mail, phone) makes the whole
    statement write nothing when the person is known already; None then, and the caller takes
    the path that merges the signup into that lead. One round trip instead of six (bench/).
    """
    lead = Lead(
        name=name, email=email, phone=phone, wechat=wechat, message=message, consent_at=consent_at,
        source=kind, created_at=when, last_touch_at=when, referred_by_id=referred_by_id, **attribution,
    )  # fmt: skip
    touch = LeadTouch(kind=kind, message=message, touched_at=when, **attribution)
    children: list[tuple[models.Model, dict[str, str]]] = [(touch, {"lead_id": "id"})]
    notification = None
    if kind != LeadTouch.Kind.IMPORT:
        # The founder's e-mail, in the same statement: it exists if and only if the lead does.
        notification = outbox_message(jobs.lead_notify_founder)
        children.append((notification, {"args": "jsonb_build_array(id)"}))
    if not insert_unless_conflict(lead, *children):
        return None
    touch.lead = lead
    if notification is not None:
        outbox_relay_after_commit(notification.pk)
    return touch


def _lead_capture_once(
    *, name, email, phone, wechat, message, attribution, kind, consent_at, when, is_spam, referred_by_id
) -> LeadTouch:
    lead = None if is_spam else lead_find(email=email, phone=phone)
    if lead is None:
        lead = Lead.objects.create(
            name=name, email=email, phone=phone, wechat=wechat, message=message,
            consent_at=consent_at, source=kind, is_spam=is_spam, created_at=when,
            last_touch_at=when, referred_by_id=referred_by_id, **attribution,
        )  # fmt: skip
        if not is_spam and kind != LeadTouch.Kind.IMPORT:
            # In the same transaction: the e-mail goes out only if the lead commits, and the
            # outbox keeps it when Redis is away.
            outbox_enqueue(jobs.lead_notify_founder, lead.pk)
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
    if (
        email
        and not lead.email
        and not Lead.objects.alias(email_lower=Lower("email")).filter(_email_taken(email)).exists()
    ):
        lead.email = email
    if phone and not lead.phone and not Lead.objects.filter(_phone_taken(phone)).exists():
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
    facts = {"from": lead.status, "to": status} | ({"reason": reason} if reason else {})
    lead.status = status
    lead.lost_reason = reason if status == Lead.Status.LOST else ""
    lead.save(update_fields=["status", "lost_reason", "updated_at"])
    _lead_history_add(lead=lead, by=by, kind=LeadNote.Kind.STATUS, facts=facts)
    return lead


def _lead_history_add(*, lead: Lead, by, kind: str, facts: dict) -> LeadNote:
    """A line of the lead's history: its facts (shown in the reader's language) and, as the
    body, the same line in the language of the moment."""
    body = LeadNote.describe(kind, facts)
    return LeadNote.objects.create(lead=lead, author=by, kind=kind, body=body, facts=facts)


def lead_mark_won(*, lead: Lead) -> Lead:
    """A paid order: the lead is won (billing calls this after payment)."""
    if lead.status == Lead.Status.WON:
        return lead
    return lead_set_status(lead=lead, status=Lead.Status.WON)


def lead_set_follow_up(*, lead: Lead, on: date | None) -> Lead:
    """When to contact the lead next (None: no plan); the console home lists the days due."""
    lead.next_follow_up_on = on
    lead.save(update_fields=["next_follow_up_on", "updated_at"])
    return lead


def lead_note_add(*, lead: Lead, body: str, by=None) -> LeadNote:
    return LeadNote.objects.create(lead=lead, author=by, kind=LeadNote.Kind.NOTE, body=body.strip())


def _lead_advance_to_consulting(lead: Lead, by) -> None:
    """A consultation means the lead is being consulted, unless it is decided already."""
    if lead.status in (Lead.Status.NEW, Lead.Status.CONTACTED):
        lead_set_status(lead=lead, status=Lead.Status.CONSULTING, by=by)


@transaction.atomic
def consultation_schedule(
    *, lead: Lead, kind: str, scheduled_at: datetime, notes: str = "", meeting_url: str = "", by=None
) -> Consultation:
    consultation = Consultation(
        lead=lead, kind=kind, scheduled_at=scheduled_at, notes=notes.strip(), meeting_url=meeting_url
    )
    consultation.full_clean()
    consultation.save()
    _lead_advance_to_consulting(lead, by)
    return consultation


@transaction.atomic
def consultation_set_status(
    *, consultation: Consultation, status: str, notes: str = "", by=None, when: datetime | None = None
) -> Consultation:
    """Held, no-show or cancelled. Held records when (now, or the given time)."""
    if status not in Consultation.Status.values:
        raise ValueError(f"unknown consultation status {status!r}")
    consultation.status = status
    consultation.held_at = (when or timezone.now()) if status == Consultation.Status.HELD else None
    if notes.strip():
        consultation.notes = f"{consultation.notes}\n\n{notes.strip()}".strip()
    consultation.full_clean()
    consultation.save()
    if status == Consultation.Status.HELD:
        _lead_advance_to_consulting(consultation.lead, by)
    _lead_history_add(
        lead=consultation.lead,
        by=by,
        kind=LeadNote.Kind.SYSTEM,
        facts={"consultation": consultation.kind, "status": consultation.status},
    )
    return consultation


# --- channel names ---------------------------------------------------------------------------


def channel_save(*, channel: Channel) -> Channel:
    """Add a channel to the registry or rename / hide one (its code is kept lower-case: leads
    are matched to it case-insensitively). Raises ValidationError."""
    channel.code = channel.code.strip().lower()
    channel.full_clean()
    channel.save()
    return channel


def tracked_link_make(
    *,
    page: str,
    channel: str,
    campaign: str = "",
    content: str = "",
    label: str = "",
    piece: ContentPiece | None = None,
) -> TrackedLink:
    """The link builder's link, kept: the same page and tags give back the link made before
    (with the new label, when one is given), so a link made twice is listed once. With a
    piece, the link is attached to it (raises ValidationError for a piece of another channel)."""
    values = {
        "page": page.strip(),
        "channel": channel.strip().lower(),
        "campaign": campaign.strip(),
        "content": content.strip(),
    }
    label = label.strip()
    # get_or_create reads the other row when an identical link is made at the same moment.
    link, created = TrackedLink.objects.get_or_create(**values, defaults={"label": label})
    if not created and label and label != link.label:
        link.label = label
        link.save(update_fields=["label"])
    if piece is not None and link.piece_id != piece.pk:
        tracked_link_attach(link=link, piece=piece)
    return link


def tracked_link_attach(*, link: TrackedLink, piece: ContentPiece | None) -> TrackedLink:
    """Attach a link to a piece (its leads and deals count for the piece from then on, those
    before included: they are read through the link), or detach it with None. A link carries
    its channel in every address handed out, so it attaches only to a piece of that channel."""
    if piece is not None and piece.channel != link.channel:
        raise ValidationError(
            {"link": _("This link is for another channel than the piece.")}, code="channel_mismatch"
        )
    link.piece = piece
    link.save(update_fields=["piece"])
    return link


# --- content pieces --------------------------------------------------------------------------


def content_piece_save(*, piece: ContentPiece) -> ContentPiece:
    """Log or edit a piece of content (channel kept lower-case, like the registry's codes).
    A piece with links keeps its channel: the links carry it. Raises ValidationError."""
    piece.channel = piece.channel.strip().lower()
    piece.title = piece.title.strip()
    piece.campaign = piece.campaign.strip()
    if piece.pk is not None and piece.links.exclude(channel=piece.channel).exists():
        raise ValidationError(
            {"channel": _("Its links are for another channel: detach them first.")}, code="channel_links"
        )
    piece.full_clean()
    piece.save()
    return piece


@transaction.atomic
def content_piece_delete(*, piece: ContentPiece) -> None:
    """Delete a piece: its links are detached and kept, and so is every lead they brought."""
    TrackedLink.objects.filter(piece=piece).update(piece=None)
    piece.delete()


def content_settings_save(*, hour_value: Decimal) -> ContentSettings:
    """The founder's hourly value, on the one settings row (made when first saved)."""
    row = ContentSettings.current()
    row.hour_value = hour_value
    row.full_clean()
    row.save()
    return row


# --- CSV import ------------------------------------------------------------------------------

IMPORT_PREVIEW_ROWS = 20


def _import_row_clean(row: dict[str, str]) -> tuple[dict | None, dict[str, list[str]]]:
    """One file row validated like the signup form (no consent: the founder had it already)."""

    form = LeadImportRowForm(data=row)
    errors = {} if form.is_valid() else {k: [str(m) for m in v] for k, v in form.errors.items()}
    try:
        when = csv_parse_when(row.get("created_at", ""))
    except ValueError:
        errors["created_at"] = [str(_("Use a date like 2026-03-05 or 2026-03-05 14:20."))]
    if errors:
        return None, errors
    data = form.cleaned_data
    return {
        "name": data["name"], "email": data["email"], "phone": data["phone"],
        "wechat": data["wechat"], "message": data["message"], "attribution": form.attribution(),
        "created_at": when,
    }, {}  # fmt: skip


def lead_import_create(*, upload, by=None) -> LeadImport:
    """Store an uploaded CSV and check every row, so the founder sees what will happen.

    Raises CsvError when the file as a whole cannot be read.
    """
    raw = upload.read()
    text, encoding = csv_decode(raw)
    _fields, rows = csv_rows(text)
    total, errors = 0, []
    for number, row in enumerate(rows, start=2):
        total += 1
        _clean, row_errors = _import_row_clean(row)
        if row_errors:
            errors.append({"row": number, "errors": row_errors})
    upload.seek(0)
    return LeadImport.objects.create(
        file=upload, filename=upload.name[:200], encoding=encoding, total_rows=total,
        row_errors=errors, created_by=by,
    )  # fmt: skip


def lead_import_preview(lead_import: LeadImport) -> list[dict]:
    """The first rows of the file with their errors, for the preview table."""
    with lead_import.file.open("rb") as handle:
        text, _encoding = csv_decode(handle.read())
    _fields, rows = csv_rows(text)
    errors = {item["row"]: item["errors"] for item in lead_import.row_errors}
    preview: list[dict] = []
    for number, row in enumerate(rows, start=2):
        if len(preview) >= IMPORT_PREVIEW_ROWS:
            break
        preview.append({"row": number, "values": row, "errors": errors.get(number, {})})
    return preview


def lead_import_confirm(*, lead_import: LeadImport) -> LeadImport:
    """Queue the import. The outbox starts it even if Redis is away right now."""
    with transaction.atomic():
        locked = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
        if locked.status != LeadImport.Status.PREVIEW:
            return locked
        locked.status = LeadImport.Status.QUEUED
        locked.save(update_fields=["status"])
        outbox_enqueue(jobs.lead_import_start, locked.pk)
    return locked


def lead_import_run(*, lead_import_id: int) -> LeadImport:
    """Import the rows, each in its own transaction together with the progress it makes.

    So a worker killed half-way loses nothing and repeats nothing: a later run (the stalled-
    import sweep queues one) goes on from the row after the last committed one, and two runs of
    the same import cannot both take a row (each row locks the import's record first). A
    finished import does nothing. Rows with errors are skipped (the preview listed them).
    """
    lead_import = LeadImport.objects.get(pk=lead_import_id)
    if lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.PREVIEW):
        return lead_import
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=LeadImport.Status.RUNNING, progressed_at=timezone.now()
    )
    with lead_import.file.open("rb") as handle:
        text, _encoding = csv_decode(handle.read())
    _fields, rows = csv_rows(text)
    total = 0
    for index, row in enumerate(rows):
        total = index + 1
        if index < lead_import.processed_rows:
            continue
        with transaction.atomic():
            locked = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
            if locked.processed_rows != index:
                continue  # another run has taken this row
            created = updated = 0
            clean, errors = _import_row_clean(row)
            if clean and not errors:
                existed = lead_find(email=clean["email"], phone=clean["phone"]) is not None
                lead_capture(kind=LeadTouch.Kind.IMPORT, **clean)
                updated, created = (1, 0) if existed else (0, 1)
            LeadImport.objects.filter(pk=lead_import.pk).update(
                processed_rows=index + 1, created_leads=F("created_leads") + created,
                updated_leads=F("updated_leads") + updated, progressed_at=timezone.now(),
            )  # fmt: skip
    LeadImport.objects.filter(pk=lead_import.pk, processed_rows__gte=total).exclude(
        status=LeadImport.Status.DONE
    ).update(status=LeadImport.Status.DONE, finished_at=timezone.now())
    lead_import.refresh_from_db()
    return lead_import


def lead_imports_stalled(*, older_than: timedelta) -> QuerySet[LeadImport]:
    """Imports queued or running that have not moved for a while: their worker died."""
    since = timezone.now() - older_than
    return LeadImport.objects.filter(status__in=(LeadImport.Status.QUEUED, LeadImport.Status.RUNNING)).filter(
        Q(progressed_at__lt=since) | Q(progressed_at__isnull=True, created_at__lt=since)
    )


def lead_imports_resume() -> int:
    """Queue a run again for every stalled import (safe even if the old one still runs: each
    row is taken once). An import that stays still is shown as stuck on the system page."""
    stalled = list(lead_imports_stalled(older_than=timedelta(minutes=settings.IMPORT_STALL_MINUTES)))
    for lead_import in stalled:
        with transaction.atomic():
            outbox_enqueue(jobs.lead_import_start, lead_import.pk)
    return len(stalled)


def signup_settings_save(*, signup: SignupSettings) -> SignupSettings:
    """The one row of the thank-you page's next step (the first saved one when admin made more)."""
    if signup.pk is None:
        existing = SignupSettings.objects.order_by("pk").first()
        if existing is not None:
            signup.pk = existing.pk
    signup.save()
    return signup
