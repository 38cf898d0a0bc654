"""The waitlist of a full (or not yet open) cohort: joining it, offering a freed seat to the
first in line for WAITLIST_OFFER_HOURS, passing a lapsed offer on, and taking an offer up."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from billing import jobs
from billing.models import Order, WaitlistEntry
from billing.selectors import cohort_seats_left, cohorts_on_sale
from billing.services.follow_ups import follow_up_email_send
from billing.services.orders import order_place
from cohorts.models import Cohort
from cohorts.selectors import cohort_enrolment_refusal
from crm.services import lead_capture
from onepco.models import MarketingOptOut, MessageKind
from onepco.notify import Message, notify
from onepco.outbox import outbox_enqueue
from onepco.site import site_name


def waitlist_join(
    *, cohort: Cohort, name: str, email: str, phone: str, attribution: dict[str, str] | None = None
) -> WaitlistEntry:
    """A signup for the waitlist: a lead (consent given) and its place at the end of the line.
    Joining twice keeps the first place."""
    touch = lead_capture(
        name=name, email=email, phone=phone, consent_at=timezone.now(), attribution=attribution,
        message=_("Waitlist: %(cohort)s") % {"cohort": cohort},
    )  # fmt: skip
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        entry = WaitlistEntry.objects.filter(cohort=cohort, lead=touch.lead).first()
        if entry is not None:
            if entry.status in (WaitlistEntry.Status.LAPSED, WaitlistEntry.Status.REMOVED):
                entry.status = WaitlistEntry.Status.WAITING
                entry.position = _next_position(cohort)
                entry.save(update_fields=["status", "position"])
            return entry
        return WaitlistEntry.objects.create(
            cohort=cohort, lead=touch.lead, name=name.strip(), email=touch.lead.email,
            phone=touch.lead.phone, position=_next_position(cohort),
        )  # fmt: skip


def _next_position(cohort: Cohort) -> int:
    last = WaitlistEntry.objects.filter(cohort=cohort).aggregate(m=Max("position"))["m"]
    return (last or 0) + 1


def waitlist_offers_run(*, now: datetime | None = None) -> int:
    """The cron job: lapse unanswered offers, then offer every free seat to the next in line
    (cohorts whose enrolment is open). Returns the number of offers made."""
    now = now or timezone.now()
    WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__lte=now).update(
        status=WaitlistEntry.Status.LAPSED
    )
    offered = 0
    cohort_ids = (
        WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING, email__gt="")
        .values_list("cohort_id", flat=True)
        .distinct()
    )
    for cohort in Cohort.objects.filter(pk__in=list(cohort_ids), sale_open=True):
        if cohort_enrolment_refusal(cohort, now):
            continue
        with transaction.atomic():
            Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
            free = cohort_seats_left(cohort, now)
            line = WaitlistEntry.objects.select_for_update().filter(
                cohort=cohort, status=WaitlistEntry.Status.WAITING, email__gt=""
            )
            for entry in line.order_by("position", "id")[: max(free, 0)]:
                _offer(entry, now)
                offered += 1
    return offered


def waitlist_offer(*, entry: WaitlistEntry, now: datetime | None = None) -> WaitlistEntry:
    """The founder offers a free seat to one person by hand, whatever their place in line."""
    now = now or timezone.now()
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=entry.cohort_id).first()
        entry = WaitlistEntry.objects.select_for_update().select_related("cohort").get(pk=entry.pk)
        if entry.status != WaitlistEntry.Status.WAITING:
            raise ValidationError(_("Only a person still waiting can be offered a seat."))
        if not entry.email:
            raise ValidationError(_("This person gave no e-mail address: contact them by phone."))
        if cohort_seats_left(entry.cohort, now) <= 0:
            raise ValidationError(_("No seat is free: raise the cohort's capacity first."))
        _offer(entry, now)
    return entry


def _offer(entry: WaitlistEntry, now: datetime) -> None:
    entry.status = WaitlistEntry.Status.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = now + timedelta(hours=settings.WAITLIST_OFFER_HOURS)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
    outbox_enqueue(jobs.send_waitlist_offer, entry.pk)


def waitlist_move(*, entry: WaitlistEntry, up: bool) -> None:
    """Swap a person with the one before (up) or after them in the cohort's line."""
    with transaction.atomic():
        Cohort.objects.select_for_update().filter(pk=entry.cohort_id).first()
        entry = WaitlistEntry.objects.get(pk=entry.pk)
        line = list(
            WaitlistEntry.objects.filter(
                cohort_id=entry.cohort_id,
                status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED],
            ).order_by("position", "id")
        )
        index = next(i for i, e in enumerate(line) if e.pk == entry.pk)
        other = index - 1 if up else index + 1
        if not 0 <= other < len(line):
            return
        line[index], line[other] = line[other], line[index]
        for position, item in enumerate(line, start=1):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])


def waitlist_remove(*, entry: WaitlistEntry) -> None:
    WaitlistEntry.objects.filter(pk=entry.pk).update(status=WaitlistEntry.Status.REMOVED)


def waitlist_offer_accept(*, token: str, name: str, now: datetime | None = None) -> Order:
    """The offered person takes the held seat: a pending order in their name and contact
    details. The offer's hold passes to the order, so the seat is never counted twice."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_related("cohort").filter(token=token).first()
        if entry is None:
            raise ValidationError(_("This link is not valid."), code="unknown")
        Cohort.objects.select_for_update().filter(pk=entry.cohort_id).first()
        entry = WaitlistEntry.objects.select_for_update().select_related("cohort").get(pk=entry.pk)
        if entry.status != WaitlistEntry.Status.OFFERED or (entry.offer_expires_at or now) <= now:
            raise ValidationError(_("This offer is no longer open."), code="closed")
        entry.status = WaitlistEntry.Status.ACCEPTED
        entry.save(update_fields=["status"])
        order = order_place(
            cohort=entry.cohort, buyer_name=name or entry.name, buyer_email=entry.email,
            buyer_phone=entry.phone, lead=entry.lead,
        )  # fmt: skip
        entry.order = order
        entry.save(update_fields=["order"])
    return order


def waitlist_offer_email_send(*, entry: WaitlistEntry) -> None:
    context = {
        "entry": entry,
        "cohort": entry.cohort,
        "offer_url": settings.SITE_URL + reverse("billing:waitlist_offer", args=[entry.token]),
        "hours": settings.WAITLIST_OFFER_HOURS,
        "SITE_NAME": site_name(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A seat is free for you: %(cohort)s") % {"cohort": entry.cohort}
        body = render_to_string("billing/email/waitlist_offer.txt", context)
        until = (
            f"{timezone.localtime(entry.offer_expires_at):%Y-%m-%d %H:%M}" if entry.offer_expires_at else "—"
        )
    message = Message(subject=subject, body=body, url=context["offer_url"], wechat=[str(entry.cohort), until])
    notify(
        kind=MessageKind.WAITLIST_OFFER,
        key=f"waitlist_offer:{entry.pk}:{entry.offered_at.isoformat() if entry.offered_at else ''}",
        user=User.objects.filter(email__iexact=entry.email, is_active=True).order_by("pk").first(),
        email=entry.email,
        message=message,
    )


NEXT_COHORT_SALT = "billing.next-cohort-checkout"


def waitlist_next_cohort_offer(*, cohort: Cohort, next_cohort: Cohort, now: datetime | None = None) -> dict:
    """The founder recommends `next_cohort` (on sale, same course) to everyone still waiting
    for `cohort`: one e-mail each through the outbox, with a personal checkout link. Nothing is
    held: first come, first served. Each person is recommended a given cohort once (their
    entry is marked); those who unsubscribed from follow-ups get no e-mail, and those without
    an e-mail are marked and listed for the founder to call. Returns the counts and the people
    to call."""
    now = now or timezone.now()
    if next_cohort.pk == cohort.pk or next_cohort.course_id != cohort.course_id:
        raise ValidationError(_("Choose another cohort of the same course."), code="next_cohort")
    if not cohorts_on_sale(drafts=True).filter(pk=next_cohort.pk).exists():
        raise ValidationError(_("That cohort is not on sale."), code="next_cohort")
    emailed, unsubscribed, to_call = 0, 0, []
    with transaction.atomic():
        bought = Order.objects.filter(
            cohort=next_cohort, buyer_email__iexact=OuterRef("email"), status__in=Order.PAID_STATUSES
        )
        line = list(
            WaitlistEntry.objects.select_for_update()
            .filter(cohort=cohort, status=WaitlistEntry.Status.WAITING)
            .exclude(next_cohort=next_cohort)
            .exclude(~Q(email="") & Exists(bought))  # already bought a seat in it
            .order_by("position", "id")
        )
        addresses = [e.email.lower() for e in line if e.email]
        opted_out = set(MarketingOptOut.objects.filter(email__in=addresses).values_list("email", flat=True))
        for entry in line:
            if entry.email and entry.email.lower() in opted_out:
                unsubscribed += 1
                continue
            entry.next_cohort, entry.next_cohort_offered_at = next_cohort, now
            entry.save(update_fields=["next_cohort", "next_cohort_offered_at"])
            if entry.email:
                outbox_enqueue(jobs.send_next_cohort_offer, entry.pk)
                emailed += 1
            else:
                to_call.append(entry)
    return {"emailed": emailed, "unsubscribed": unsubscribed, "to_call": to_call}


def waitlist_next_cohort_checkout_url(entry: WaitlistEntry) -> str:
    """The personal link of a next-cohort e-mail: that cohort's checkout, filled in with the
    person's details (a signed reference to their waitlist place, nothing else)."""
    assert entry.next_cohort is not None
    token = signing.dumps(entry.pk, salt=NEXT_COHORT_SALT, compress=True)
    path = reverse("billing:checkout", args=[entry.next_cohort.slug])
    return f"{settings.SITE_URL}{path}?{urlencode({'from': token})}"


def waitlist_next_cohort_contact(token: str) -> dict[str, str]:
    """The details a next-cohort link fills checkout in with; empty for a bad token."""
    try:
        pk = signing.loads(token, salt=NEXT_COHORT_SALT)
    except signing.BadSignature:
        return {}
    entry = WaitlistEntry.objects.filter(pk=pk, next_cohort__isnull=False).first()
    if entry is None:
        return {}
    return {"name": entry.name, "email": entry.email, "phone": entry.phone}


def waitlist_next_cohort_email_send(*, entry: WaitlistEntry) -> None:
    context = {
        "entry": entry,
        "cohort": entry.next_cohort,
        "waited_for": entry.cohort,
        "checkout_url": waitlist_next_cohort_checkout_url(entry),
    }
    follow_up_email_send(
        email=entry.email,
        key=f"next_cohort:{entry.pk}:{entry.next_cohort_id}",
        subject=gettext_lazy("The next cohort is open: %(cohort)s"),
        template="billing/email/next_cohort_offer.txt",
        context=context,
    )


def waitlist_next_cohort_still_wanted(*, entry: WaitlistEntry) -> bool:
    """Checked again when the e-mail goes out: not unsubscribed, the cohort still on sale."""
    return (
        entry.next_cohort_id is not None
        and not MarketingOptOut.objects.filter(email=entry.email.lower()).exists()
        and cohorts_on_sale(drafts=True).filter(pk=entry.next_cohort_id).exists()
    )
