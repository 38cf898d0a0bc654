"""Reads of the money loop's first half: the lead pipeline, one lead's story."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crm.models import Lead


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


def lead_search(filters: dict) -> QuerySet[Lead]:
    """Leads matching the list's filters; spam only when asked for."""
    leads = Lead.objects.filter(is_spam=bool(filters.get("spam")))
    if filters.get("status"):
        leads = leads.filter(status=filters["status"])
    if filters.get("channel"):
        leads = leads.filter(channel__iexact=filters["channel"])
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
    return leads.annotate(touch_count=Count("touches")).order_by("-created_at", "-id")


def lead_channels() -> list[str]:
    return list(
        Lead.objects.filter(is_spam=False).exclude(channel="").values_list("channel", flat=True).distinct()
    )


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
