"""Reads of the money loop's first half: the lead pipeline, one lead's story, channel names."""

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Channel, Consultation, Lead, LeadTouch, SignupSettings


def lead_for_user(user, pk: int) -> Lead:
    """The one gate to a lead: the founder (staff) only; everyone else gets a 404."""
    if not (user.is_authenticated and user.is_staff):
        raise Http404
    lead = Lead.objects.filter(pk=pk).first()
    if lead is None:
        raise Http404
    return lead


def lead_pipeline() -> dict[str, int]:
    """Non-spam leads per status, plus the spam count, in one query."""
    counts = {status: Count("id", filter=Q(status=status, is_spam=False)) for status in Lead.Status.values}
    return Lead.objects.aggregate(**counts, spam=Count("id", filter=Q(is_spam=True)))


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _follow_up_due(today: date) -> Q:
    """The one rule for "to follow up": the date the founder set is today or past."""
    return Q(next_follow_up_on__lte=today)


def lead_search(filters: dict) -> QuerySet[Lead]:
    """Leads matching the list's filters; spam only when asked for."""
    leads = Lead.objects.filter(is_spam=bool(filters.get("spam")))
    if filters.get("status"):
        leads = leads.filter(status=filters["status"])
    if filters.get("channel"):
        channel = Q(channel__iexact=filters["channel"])
        if filters["channel"].lower() == Channel.DIRECT:
            channel |= Q(channel="")  # what "direct" names (channel_label)
        leads = leads.filter(channel)
    if filters.get("todo") == "follow_up":
        leads = leads.filter(_follow_up_due(timezone.localdate()))
    elif filters.get("todo") == "consultation":
        leads = leads.filter(Exists(consultations_soon().filter(lead=OuterRef("pk"))))
    if filters.get("campaign"):
        leads = leads.filter(utm_campaign__iexact=filters["campaign"])
    if filters.get("date_from"):
        leads = leads.filter(created_at__gte=_day_start(filters["date_from"]))
    if filters.get("date_to"):
        leads = leads.filter(created_at__lt=_day_start(filters["date_to"] + timedelta(days=1)))
    query = (filters.get("q") or "").strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        match = (
            Q(name__icontains=query)
            | Q(email__icontains=query)
            | Q(wechat__icontains=query)
            | Q(phone__icontains=query)
        )
        if len(digits) >= 4:
            match |= Q(phone__contains=digits)
        leads = leads.filter(match)
    # Counted for the rows shown only (a correlated count), not by grouping every lead's touches
    # before the page is cut: the list's count and its page stay cheap with 50,000 leads (bench/).
    touches = LeadTouch.objects.filter(lead=OuterRef("pk")).order_by().values("lead").annotate(n=Count("pk"))
    leads = leads.annotate(touch_count=Coalesce(Subquery(touches.values("n")), 0))
    if filters.get("todo") == "follow_up":
        return leads.order_by("next_follow_up_on", "-created_at", "-id")  # the most overdue first
    return leads.order_by("-created_at", "-id")


def follow_ups_due(*, today: date | None = None) -> QuerySet[Lead]:
    """Leads whose next follow-up is today or overdue (spam never), the most overdue first."""
    today = today or timezone.localdate()
    return Lead.objects.filter(_follow_up_due(today), is_spam=False).order_by(
        "next_follow_up_on", "created_at", "pk"
    )


UNMARKED_DAYS = 14


def consultations_soon(*, today: date | None = None) -> QuerySet[Consultation]:
    """Consultations still scheduled for today or tomorrow (site time zone), and the ones of
    the last two weeks nobody marked held or no-show yet (they stay until marked, or the
    funnel never hears of them), in time order."""
    today = today or timezone.localdate()
    return Consultation.objects.filter(
        status=Consultation.Status.SCHEDULED,
        scheduled_at__gte=_day_start(today - timedelta(days=UNMARKED_DAYS)),
        scheduled_at__lt=_day_start(today + timedelta(days=2)),
        lead__is_spam=False,
    ).order_by("scheduled_at", "pk")


def lead_channels() -> list[str]:
    return list(
        Lead.objects.filter(is_spam=False)
        .exclude(channel="")
        .values_list("channel", flat=True)
        .order_by()  # the default ordering would make DISTINCT run over every lead's row
        .distinct()
    )


# --- channel names ---------------------------------------------------------------------------


def channel_names() -> dict[str, str]:
    """code → the name to show in the active language (the other language's, else the code),
    for every channel of the registry, in one query."""
    return {channel.code: channel.label() for channel in Channel.objects.all()}


def channel_label(code: str, names: Mapping[str, str] | None = None) -> str:
    """How a lead's channel reads: its registry name; an unknown code as it is, never dropped;
    no channel at all (no tagged link) as "direct". Pass `names` (channel_names()) in loops."""
    names = channel_names() if names is None else names
    if not code:
        return names.get(Channel.DIRECT) or _("Direct")
    return names.get(code.lower(), code)


def channel_choices(names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(code, name) of every registry channel, then the codes leads carry that it does not name."""
    names = channel_names() if names is None else names
    unknown = sorted({code for code in lead_channels() if code.lower() not in names}, key=str.lower)
    return [*names.items(), *((code, code) for code in unknown)]


def channels_overview() -> tuple[list[Channel], list[tuple[str, int]]]:
    """The registry with how many leads each channel has, and the codes in use it does not name
    (with their lead counts), for the channel page: two queries."""
    counts: dict[str, int] = {}
    for code, n in (
        Lead.objects.filter(is_spam=False).values_list("channel").annotate(n=Count("id")).order_by()
    ):
        counts[code.lower()] = counts.get(code.lower(), 0) + n
    channels = list(Channel.objects.all())
    for channel in channels:
        channel.lead_count = counts.pop(channel.code, 0)  # type: ignore[attr-defined]
        if channel.code == Channel.DIRECT:
            channel.lead_count += counts.pop("", 0)  # type: ignore[attr-defined]
    unknown = sorted(((code, n) for code, n in counts.items() if code), key=lambda item: -item[1])
    return channels, unknown


def lead_timeline(lead: Lead) -> list[dict]:
    """Touches, notes, consultations and orders of one lead, newest first, in four queries."""
    items = [{"kind": "touch", "at": touch.touched_at, "obj": touch} for touch in lead.touches.all()]
    items += [
        {"kind": "note", "at": note.created_at, "obj": note} for note in lead.notes.select_related("author")
    ]
    for consultation in lead.consultations.all():
        at = consultation.held_at or consultation.created_at
        items.append({"kind": "consultation", "at": at, "obj": consultation})
    items += [
        {"kind": "order", "at": order.created_at, "obj": order}
        for order in lead.orders.select_related("cohort__course")
    ]
    return sorted(items, key=lambda item: item["at"], reverse=True)


def signup_is_live(signup: SignupSettings | None = None) -> bool:
    """The signup form goes live only when the thank-you page has a next step to offer: a
    WeChat QR code, a WeChat ID or a trial class booking link (else a new lead hits a dead end)."""
    signup = signup or SignupSettings.current()
    return bool(signup.wechat_qr or signup.wechat_id.strip() or signup.trial_booking_url)
