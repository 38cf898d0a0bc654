"""Broadcasts (群发): one message to a segment of leads, students, graduates or a waitlist.

A segment is a query over other apps' records (crm's lead list filters, a cohort's
enrollments, a course's graduates, a cohort's waitlist), so this lives in the console, which
may read them all. When the founder sends, the segment is written down as one
`BroadcastRecipient` row per person, and those rows are sent by background batches:

- **Consent.** Broadcasts are marketing: a person gets one only if a lead with their address
  (or the lead they came from) recorded consent (`Lead.consent_at`, set by the signup form,
  the waitlist and checkout) and the address is not on the opt-out list. The opt-out list is
  onepco's `MarketingOptOut` (`onepco.notify.marketing_opt_out`): one list for every
  marketing e-mail, written by the abandoned-checkout link and by the broadcast link. People
  without an address are counted as "no e-mail" and skipped.
- **Exactly once.** Each row is claimed (`pending` → `sending`, under a row lock, committed)
  before its e-mail goes, and marked `sent` after. A batch killed between the two leaves at
  most the one row it was sending in doubt: the next batch marks that row failed
  ("interrupted") rather than send it again. A batch run twice claims nothing twice.
- **Rate.** One batch runs at a time (`Broadcast.batch_until`, a lease), sends at most
  `BATCH_SIZE` e-mails, and queues the next so that no more than BROADCAST_RATE_PER_MINUTE
  leave per minute. The schedule (`broadcasts_resume`, every minute) starts broadcasts whose
  time has come and restarts any whose next batch was lost.
- **Faults.** An SMTP server that is away (or answers 4xx) marks the row failed with its
  answer and ends the batch, which RQ retries with backoff (`BATCH_RETRY`); the worker goes on
  with other jobs meanwhile. A permanent refusal of the recipient (5xx) marks the row bounced.
"""

import logging
import smtplib
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from billing.models import WaitlistEntry
from cohorts.models import Enrollment, Student
from console import jobs
from console.models import Broadcast, BroadcastRecipient
from crm.models import Lead, LeadTouch
from crm.selectors import lead_search
from onepco.models import MarketingOptOut, MessageKind
from onepco.notify import Message, marketing_opt_out, notify
from onepco.outbox import get_queue, outbox_enqueue, redis_connection
from onepco.site import contact_email, site_name
from onepco.templatetags.onepco import render_markdown

log = logging.getLogger(__name__)

BATCH_SIZE = 100
SAMPLE_SIZE = 5
UNSUBSCRIBE_SALT = "console.broadcast-unsubscribe"
# A batch that cannot reach the SMTP server ends at once and is run again after these pauses
# (seconds); each row is tried MAX_ATTEMPTS times before it is failed for good.
BATCH_RETRY = Retry(max=6, interval=[30, 120, 600, 1800, 3600, 3600])
MAX_ATTEMPTS = 5
INTERRUPTED = "interrupted while sending: it may have been delivered, so it is not sent again"


class BroadcastDeferred(Exception):
    """The SMTP server could not take e-mail just now: the batch ends, RQ runs it again later."""


# --- segments --------------------------------------------------------------------------------


LEAD_FILTERS = ("status", "channel", "campaign", "date_from", "date_to")


def _lead_course_interest(course_slug: str) -> Q:
    """Leads interested in a course: they landed on its page (first touch or any later one),
    or joined the waitlist of one of its cohorts."""
    page = f"/courses/{course_slug}/"
    touched = LeadTouch.objects.filter(lead=OuterRef("pk"), landing_page__contains=page)
    waiting = WaitlistEntry.objects.filter(lead=OuterRef("pk"), cohort__course__slug=course_slug)
    return Q(landing_page__contains=page) | Q(Exists(touched)) | Q(Exists(waiting))


def _leads(filters: dict) -> QuerySet:
    chosen = {key: filters[key] for key in LEAD_FILTERS if filters.get(key)}
    for key in ("date_from", "date_to"):
        if isinstance(chosen.get(key), str):
            chosen[key] = datetime.fromisoformat(chosen[key]).date()
    leads = lead_search(chosen)  # the lead list's own filters: the counts cannot differ
    if filters.get("course"):
        leads = leads.filter(_lead_course_interest(filters["course"]))
    return leads.annotate(
        person_name=F("name"),
        person_email=Lower("email"),
        person_lead=F("pk"),
        person_student=Value(None, output_field=IntegerField()),
    )


def _students(students: QuerySet) -> QuerySet:
    return students.filter(user__is_active=True).annotate(
        person_name=F("user__name"),
        person_email=Lower("user__email"),
        person_lead=F("lead_id"),
        person_student=F("pk"),
    )


def _people(segment: str, filters: dict) -> QuerySet:
    """Everyone in a segment, each row with person_name / _email / _lead / _student, whether
    they consented to marketing e-mail and whether their address opted out."""
    cohort_id = int(filters.get("cohort") or 0)
    course_id = int(filters.get("course") or 0) if segment == Broadcast.Segment.GRADUATES else 0
    if segment == Broadcast.Segment.LEADS:
        people = _leads(filters)
    elif segment == Broadcast.Segment.COHORT_STUDENTS:
        active = Enrollment.objects.filter(
            student=OuterRef("pk"), cohort_id=cohort_id, status=Enrollment.Status.ACTIVE
        )
        people = _students(Student.objects.filter(Exists(active)))
    elif segment == Broadcast.Segment.GRADUATES:
        graduated = Enrollment.objects.filter(
            student=OuterRef("pk"),
            cohort__course_id=course_id,
            status=Enrollment.Status.GRADUATED,
        )
        people = _students(Student.objects.filter(Exists(graduated)))
    elif segment == Broadcast.Segment.WAITLIST:
        people = WaitlistEntry.objects.filter(
            cohort_id=cohort_id,
            status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
        ).annotate(
            person_name=F("name"),
            person_email=Lower("email"),
            person_lead=F("lead_id"),
            person_student=Value(None, output_field=IntegerField()),
        )
    else:
        raise ValueError(f"unknown segment {segment!r}")
    consenting = Lead.objects.filter(is_spam=False, consent_at__isnull=False)
    return people.annotate(
        consent=ExpressionWrapper(
            Q(Exists(consenting.filter(pk=OuterRef("person_lead"))))
            | Q(Exists(consenting.exclude(email="").filter(email__iexact=OuterRef("person_email")))),
            output_field=BooleanField(),
        ),
        opted_out=Exists(MarketingOptOut.objects.filter(email=OuterRef("person_email"))),
    )


_REACHABLE = ~Q(person_email="") & Q(consent=True, opted_out=False)


@dataclass(frozen=True)
class SegmentSummary:
    total: int
    reachable: int
    no_email: int
    no_consent: int
    unsubscribed: int
    sample: list[dict]


def mask_name(name: str) -> str:
    """陈静 → 陈*, Mei Lin → M** L**: enough to recognise a list, not to copy it."""
    words = name.split() or [""]
    return " ".join(word[:1] + "*" * max(len(word) - 1, 1) for word in words if word) or "—"


def mask_email(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "—"


def segment_summary(segment: str, filters: dict) -> SegmentSummary:
    """What sending to this segment would do: how many get it, how many are skipped and why,
    and a few of those who get it (masked). Two queries."""
    people = _people(segment, filters).order_by()
    has_email = ~Q(person_email="")
    counts = people.aggregate(
        total=Count("pk"),
        reachable=Count("pk", filter=_REACHABLE),
        no_email=Count("pk", filter=~has_email),
        no_consent=Count("pk", filter=has_email & Q(consent=False)),
        unsubscribed=Count("pk", filter=has_email & Q(consent=True, opted_out=True)),
    )
    sample = [
        {"name": mask_name(row["person_name"] or ""), "email": mask_email(row["person_email"])}
        for row in people.filter(_REACHABLE)
        .order_by("pk")
        .values("person_name", "person_email")[:SAMPLE_SIZE]
    ]
    return SegmentSummary(sample=sample, **counts)


# --- creating, cancelling ---------------------------------------------------------------------


def _recipients(broadcast: Broadcast) -> Iterator[BroadcastRecipient]:
    """The segment as rows, one per address (a person found twice gets one e-mail)."""
    seen: set[str] = set()
    rows = (
        _people(broadcast.segment, broadcast.filters)
        .order_by("pk")
        .values("person_name", "person_email", "person_lead", "person_student", "consent", "opted_out")
    )
    for row in rows.iterator(chunk_size=2000):
        email = row["person_email"] or ""
        if email in seen:
            continue
        if email:
            seen.add(email)
        status, reason = BroadcastRecipient.Status.PENDING, ""
        if not email:
            status, reason = BroadcastRecipient.Status.SKIPPED, _("no e-mail")
        elif not row["consent"]:
            status, reason = BroadcastRecipient.Status.SKIPPED, _("no consent to marketing e-mail")
        elif row["opted_out"]:
            status = BroadcastRecipient.Status.UNSUBSCRIBED
        yield BroadcastRecipient(
            broadcast=broadcast,
            name=(row["person_name"] or "")[:100],
            email=email,
            lead_id=row["person_lead"],
            student_id=row["person_student"],
            status=status,
            reason=reason,
        )


def broadcast_create(
    *,
    subject: str,
    body: str,
    segment: str,
    filters: dict,
    segment_label: str,
    send_at: datetime | None,
    created_by,
) -> Broadcast:
    """Write the broadcast and its recipients (the segment as it is now), and queue its start.

    Raises ValidationError when nobody in the segment can be sent to."""
    with transaction.atomic():
        broadcast = Broadcast(
            subject=subject,
            body=body,
            segment=segment,
            filters=filters,
            segment_label=segment_label[:300],
            send_at=send_at or timezone.now(),
            created_by=created_by,
        )
        broadcast.full_clean()
        broadcast.save()
        batch: list[BroadcastRecipient] = []
        pending = 0
        for row in _recipients(broadcast):
            pending += row.status == BroadcastRecipient.Status.PENDING
            batch.append(row)
            if len(batch) >= 1000:
                BroadcastRecipient.objects.bulk_create(batch)
                batch = []
        BroadcastRecipient.objects.bulk_create(batch)
        if not pending:
            # Rolls the broadcast back: an empty segment is the form's error, not a record.
            raise ValidationError(
                _("Nobody in this segment can get it (no e-mail, no consent or unsubscribed)."),
                code="empty",
            )
        outbox_enqueue(jobs.start_broadcast, broadcast.pk)
    return broadcast


def broadcast_cancel(*, broadcast: Broadcast) -> int:
    """Stop a broadcast: the e-mails not sent yet are cancelled (one already leaving goes).
    Returns how many were cancelled."""
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
        if not locked.is_open:
            raise ValidationError(_("This broadcast is finished: there is nothing left to cancel."))
        now = timezone.now()
        Broadcast.objects.filter(pk=locked.pk).update(status=Broadcast.Status.CANCELLED, cancelled_at=now)
        cancelled = (
            BroadcastRecipient.objects.filter(broadcast=locked)
            .filter(_to_send())
            .update(status=BroadcastRecipient.Status.CANCELLED, retry=False)
        )
    broadcast.refresh_from_db()
    return cancelled


# --- sending ----------------------------------------------------------------------------------


def _to_send() -> Q:
    return Q(status=BroadcastRecipient.Status.PENDING) | Q(
        status=BroadcastRecipient.Status.FAILED, retry=True
    )


def _lease_seconds(limit: int) -> int:
    # Longer than any batch can run (RQ stops it at this job timeout minus a minute): a lease
    # that expired belongs to a batch that is dead.
    return limit * (int(settings.EMAIL_TIMEOUT or 20) + 5) + 120


def _job_timeout(limit: int) -> int:
    return _lease_seconds(limit) - 60


def _batch_size() -> int:
    return max(1, min(BATCH_SIZE, settings.BROADCAST_RATE_PER_MINUTE))


def broadcast_queue(*, broadcast: Broadcast, at: datetime | None = None) -> None:
    """Queue the broadcast's next batch (at its send time when that is later)."""
    job_id = f"broadcast-{broadcast.pk}-{uuid.uuid4().hex[:12]}"
    options = {"job_id": job_id, "retry": BATCH_RETRY, "job_timeout": _job_timeout(_batch_size())}
    at = at or broadcast.send_at
    queue = get_queue()
    if at and at > timezone.now() + timedelta(seconds=1):
        queue.enqueue_at(at, jobs.send_broadcast_batch, broadcast.pk, **options)
    else:
        queue.enqueue(jobs.send_broadcast_batch, broadcast.pk, **options)
    Broadcast.objects.filter(pk=broadcast.pk).update(job_id=job_id)


def _job_alive(job_id: str) -> bool:
    if not job_id:
        return False
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return False
    alive = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
    return job.get_status() in alive


def broadcasts_resume(*, now: datetime | None = None) -> int:
    """Every minute (console/cron.py): queue the broadcasts whose time has come, and those
    whose next batch was lost (Redis lost it, RQ gave up retrying). Returns how many."""
    now = now or timezone.now()
    open_ = Broadcast.objects.filter(
        Q(status=Broadcast.Status.SENDING) | Q(status=Broadcast.Status.SCHEDULED, send_at__lte=now)
    ).filter(Q(batch_until__isnull=True) | Q(batch_until__lt=now))
    queued = 0
    for broadcast in open_.order_by("send_at")[:100]:
        try:
            if _job_alive(broadcast.job_id):
                continue
            broadcast_queue(broadcast=broadcast, at=now)
        except redis.RedisError as exc:
            log.warning("broadcast %s waits for Redis (%s)", broadcast.pk, exc)
            break
        queued += 1
    return queued


def unsubscribe_token(recipient_id: int) -> str:
    return signing.dumps(recipient_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(recipient_id: int) -> str:
    return settings.SITE_URL + reverse("broadcast_unsubscribe", args=[unsubscribe_token(recipient_id)])


def recipient_for_unsubscribe(token: str) -> BroadcastRecipient:
    """The recipient a link names; raises signing.BadSignature or DoesNotExist."""
    return BroadcastRecipient.objects.select_related("broadcast").get(
        pk=signing.loads(token, salt=UNSUBSCRIBE_SALT)
    )


def broadcast_unsubscribe(*, recipient: BroadcastRecipient) -> None:
    """Their address gets no more marketing e-mail: no broadcast, no follow-up (one list)."""
    with transaction.atomic():
        if recipient.email:
            marketing_opt_out(email=recipient.email)
        BroadcastRecipient.objects.filter(pk=recipient.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=timezone.now()
        )


class _Message:
    """A broadcast's e-mail: rendered once per batch, the unsubscribe link per person."""

    def __init__(self, broadcast: Broadcast):
        self.subject = broadcast.subject
        # Replies ("take me off", questions) reach the founder, not the no-reply sender.
        self.reply_to = [address] if (address := contact_email()) else []
        self.context = {
            "broadcast": broadcast,
            "body_html": render_markdown(broadcast.body),
            "SITE_NAME": site_name(),
        }

    def for_recipient(self, row: BroadcastRecipient) -> Message:
        link = unsubscribe_url(row.pk)
        context = {**self.context, "unsubscribe_url": link}
        with translation.override(settings.LANGUAGE_CODE):
            text = render_to_string("console/email/broadcast.txt", context)
            html = render_to_string("console/email/broadcast.html", context)
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return Message(subject=self.subject, body=text, html=html, headers=headers, reply_to=self.reply_to)

    def send(self, row: BroadcastRecipient, connection) -> None:
        """Through the one notification layer, on the batch's SMTP session. `_claim` checked
        the marketing opt-out list just now: the person consented."""
        notify(
            kind=MessageKind.BROADCAST,
            key=f"broadcast:{row.pk}",
            email=row.email,
            message=self.for_recipient(row),
            consented=True,
            connection=connection,
        )


def _claim(broadcast_id: int) -> BroadcastRecipient | None:
    """The next row to send, marked `sending` and committed before its e-mail leaves; a row
    whose address opted out since the broadcast was written is marked unsubscribed instead."""
    Status = BroadcastRecipient.Status
    with transaction.atomic():
        row = (
            BroadcastRecipient.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(broadcast_id=broadcast_id, broadcast__status=Broadcast.Status.SENDING)
            .filter(_to_send())
            .annotate(opted_out=Exists(MarketingOptOut.objects.filter(email=OuterRef("email"))))
            .order_by("pk")
            .first()
        )
        if row is None:
            return None
        if row.opted_out:
            row.status, row.retry = Status.UNSUBSCRIBED, False
        else:
            row.status, row.retry, row.claimed_at = Status.SENDING, False, timezone.now()
            row.attempts += 1
        row.save(update_fields=["status", "retry", "claimed_at", "attempts"])
    return row


def _smtp_refusal(exc: Exception, email: str) -> tuple[int, str] | None:
    """(code, answer) when the server refused this message or recipient for good (5xx)."""
    answer: bytes | str
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(exc.recipients.values()), (0, b""))
    elif isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, smtplib.SMTPSenderRefused):
        code, answer = exc.smtp_code, exc.smtp_error
    else:
        return None
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    return (code, text) if 500 <= code < 600 else None


def _fail(row: BroadcastRecipient, exc: Exception) -> None:
    Status = BroadcastRecipient.Status
    refusal = _smtp_refusal(exc, row.email)
    if refusal is not None:
        status, retry, reason = Status.BOUNCED, False, f"{refusal[0]} {refusal[1]}"
    else:
        status, retry = Status.FAILED, row.attempts < MAX_ATTEMPTS
        reason = f"{type(exc).__name__}: {exc}"
    BroadcastRecipient.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=status, retry=retry, reason=reason[:300]
    )


def _interrupted_rows_fail(broadcast_id: int) -> int:
    """Rows a dead batch left `sending` (called under the lease: no other batch runs)."""
    return BroadcastRecipient.objects.filter(
        broadcast_id=broadcast_id, status=BroadcastRecipient.Status.SENDING
    ).update(status=BroadcastRecipient.Status.FAILED, retry=False, reason=INTERRUPTED)


def broadcast_send_batch(*, broadcast_id: int) -> int:
    """Send the next batch of a broadcast; the RQ job `send_broadcast_batch`. Returns how
    many e-mails it sent. Safe to run twice, or alongside another run (it then does nothing)."""
    limit = _batch_size()
    started = time.monotonic()
    now = timezone.now()
    lease = Broadcast.objects.filter(
        Q(batch_until__isnull=True) | Q(batch_until__lt=now),
        pk=broadcast_id,
        status__in=[Broadcast.Status.SCHEDULED, Broadcast.Status.SENDING],
        send_at__lte=now + timedelta(seconds=5),
    ).update(status=Broadcast.Status.SENDING, batch_until=now + timedelta(seconds=_lease_seconds(limit)))
    if not lease:
        return 0
    Broadcast.objects.filter(pk=broadcast_id, started_at__isnull=True).update(started_at=now)
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    sent, claimed, deferred = 0, 0, None
    try:
        _interrupted_rows_fail(broadcast_id)
        message = _Message(broadcast)
        connection = get_connection()
        try:
            while claimed < limit and (row := _claim(broadcast_id)) is not None:
                if row.status != BroadcastRecipient.Status.SENDING:
                    continue  # unsubscribed meanwhile
                claimed += 1
                try:
                    # One SMTP session for the batch (a no-op once open): the backend would
                    # otherwise log in again for every e-mail.
                    connection.open()
                    message.send(row, connection)
                except (smtplib.SMTPException, OSError) as exc:
                    _fail(row, exc)
                    if _smtp_refusal(exc, row.email) is None:
                        deferred = exc  # the server is away: the next rows would fail too
                        break
                    with suppress(Exception):
                        connection.close()  # a fresh session for the next recipient
                    continue
                BroadcastRecipient.objects.filter(pk=row.pk, status=BroadcastRecipient.Status.SENDING).update(
                    status=BroadcastRecipient.Status.SENT, sent_at=timezone.now(), reason=""
                )
                sent += 1
        finally:
            with suppress(Exception):
                connection.close()
    finally:
        # Released however the batch ends, so that a retry may start at once.
        Broadcast.objects.filter(pk=broadcast_id).update(batch_until=None)
    if deferred is not None:
        raise BroadcastDeferred(f"{type(deferred).__name__}: {deferred}")
    _after_batch(broadcast, claimed=claimed, started=started)
    return sent


def _after_batch(broadcast: Broadcast, *, claimed: int, started: float) -> None:
    """Finish the broadcast, or queue its next batch so that the rate holds."""
    left = BroadcastRecipient.objects.filter(broadcast=broadcast).filter(_to_send()).exists()
    if not left:
        Broadcast.objects.filter(pk=broadcast.pk, status=Broadcast.Status.SENDING).update(
            status=Broadcast.Status.SENT, finished_at=timezone.now(), job_id=""
        )
        return
    if not Broadcast.objects.filter(pk=broadcast.pk, status=Broadcast.Status.SENDING).exists():
        return  # cancelled meanwhile
    pause = 60 * claimed / max(settings.BROADCAST_RATE_PER_MINUTE, 1) - (time.monotonic() - started)
    broadcast_queue(broadcast=broadcast, at=timezone.now() + timedelta(seconds=max(pause, 0)))


# --- reading ----------------------------------------------------------------------------------


def broadcast_counts(broadcast: Broadcast) -> dict[str, int]:
    """Rows per status of one broadcast, every status present (0 when none)."""
    counts = dict.fromkeys(BroadcastRecipient.Status.values, 0)
    rows = broadcast.recipients.order_by().values("status").annotate(n=Count("pk"))
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def broadcasts_with_counts() -> QuerySet[Broadcast]:
    """Every broadcast with its totals, for the list (one query)."""
    Status = BroadcastRecipient.Status

    def count(*statuses: str) -> Count:
        return Count("recipients", filter=Q(recipients__status__in=statuses))

    return (
        Broadcast.objects.annotate(
            total=Count("recipients"),
            sent=count(Status.SENT),
            failed=count(Status.FAILED, Status.BOUNCED),
            waiting=count(Status.PENDING, Status.SENDING),
            skipped=count(Status.SKIPPED, Status.UNSUBSCRIBED, Status.CANCELLED),
        )
        .select_related("created_by")
        .order_by("-created_at", "-id")
    )  # Meta.ordering is not used with GROUP BY
