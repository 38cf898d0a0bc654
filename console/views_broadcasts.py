"""Broadcasts (群发) in the console: the list, the composer with its phone preview and its
count of recipients, a broadcast's page; and the recipients' unsubscribe link."""

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedRequest
from console import broadcasts
from console.forms import BODY_MAX, SUBJECT_MAX, BroadcastForm
from console.models import Broadcast, BroadcastRecipient
from crm.selectors import channel_choices
from onepco.access import public, staff_required
from onepco.site import site_name
from onepco.templatetags.onepco import render_markdown

PER_PAGE = 50


@staff_required
def broadcast_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(broadcasts.broadcasts_with_counts(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "console/broadcasts/list.html", {"page_obj": page, "items": page.object_list})


@staff_required
def broadcast_new(request: AuthenticatedRequest) -> HttpResponse:
    """Compose; "Check recipients" shows the count and a sample, "Send" writes it down."""
    form = BroadcastForm(request.POST or None, initial=_from_lead_list(request), channels=channel_choices())
    summary = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            filters = form.segment_filters()
            summary = broadcasts.segment_summary(form.cleaned_data["segment"], filters)
            if request.POST.get("action") == "send":
                try:
                    broadcast = broadcasts.broadcast_create(
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        segment=form.cleaned_data["segment"],
                        filters=filters,
                        segment_label=form.segment_label(),
                        send_at=form.chosen_send_at(),
                        created_by=request.user,
                    )
                except ValidationError as exc:
                    form.add_error("segment", exc)
                else:
                    if form.chosen_send_at():
                        messages.success(request, _("Scheduled: it goes out at the time you chose."))
                    else:
                        messages.success(request, _("Sending: the e-mails are going out now."))
                    return redirect("broadcast_detail", pk=broadcast.pk)
            elif not summary.reachable:
                form.add_error(
                    "segment", _("Nobody in this segment can get it (no e-mail, no consent or unsubscribed).")
                )
        if not form.is_valid():
            status = 400
    context = {"form": form, "summary": summary, "preview": _preview_context(request.POST)}
    return render(request, "console/broadcasts/new.html", context, status=status)


# The lead list's filters, as its "E-mail these leads" link passes them, and the composer's.
LEAD_LIST_FILTERS = {
    "status": "lead_status",
    "channel": "lead_channel",
    "campaign": "lead_campaign",
    "date_from": "lead_from",
    "date_to": "lead_to",
}


def _from_lead_list(request: HttpRequest) -> dict:
    chosen = {
        field: request.GET[key][:200] for key, field in LEAD_LIST_FILTERS.items() if request.GET.get(key)
    }
    return {"segment": Broadcast.Segment.LEADS, **chosen} if chosen else {}


def _preview_context(data) -> dict:
    return {
        "subject": (data.get("subject") or "")[:SUBJECT_MAX],
        "body_html": render_markdown((data.get("body") or "")[:BODY_MAX]),
        "site": site_name(),
    }


@staff_required
@require_POST
def broadcast_preview(request: HttpRequest) -> HttpResponse:
    """The composer's live preview: the e-mail as the phone shows it, rendered and sanitised
    as it will be sent."""
    return render(request, "console/broadcasts/_phone.html", {"preview": _preview_context(request.POST)})


@staff_required
def broadcast_detail(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast.objects.select_related("created_by"), pk=pk)
    rows = broadcast.recipients.select_related(None).order_by("pk")
    chosen = request.GET.get("status", "")
    if chosen in BroadcastRecipient.Status.values:
        rows = rows.filter(status=chosen)
    else:
        chosen = ""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "broadcast": broadcast,
        "counts": broadcasts.broadcast_counts(broadcast),
        "statuses": BroadcastRecipient.Status.choices,
        "chosen": chosen,
        "page_obj": page,
        "rows": page.object_list,
        "query_string": f"status={chosen}" if chosen else "",
        "body_html": render_markdown(broadcast.body),
    }
    return render(request, "console/broadcasts/detail.html", context)


@staff_required
@require_POST
def broadcast_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    broadcast = get_object_or_404(Broadcast, pk=pk)
    try:
        cancelled = broadcasts.broadcast_cancel(broadcast=broadcast)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("Cancelled: %(n)s e-mails not sent yet will not be sent.") % {"n": cancelled}
        )
    return redirect("broadcast_detail", pk=pk)


@public
@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token; the token is signed
@require_http_methods(["GET", "POST"])
def broadcast_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every broadcast: GET asks (link checkers and previews open links), POST
    takes the address off every marketing e-mail. No sign-in."""
    try:
        recipient = broadcasts.recipient_for_unsubscribe(token)
    except (signing.BadSignature, BroadcastRecipient.DoesNotExist):
        return render(request, "console/broadcasts/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        broadcasts.broadcast_unsubscribe(recipient=recipient)
        done = True
    context = {"email": broadcasts.mask_email(recipient.email), "done": done, "SITE_NAME": site_name()}
    return render(request, "console/broadcasts/unsubscribe.html", context)
