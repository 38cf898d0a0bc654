"""The waitlist's pages: joining a full cohort's line (public), the personal offer link (public,
by unguessable token), and the founder's line per cohort (console)."""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import forms, services
from billing.models import WaitlistEntry
from billing.selectors import cohort_seats_left, cohort_waitlist, cohorts_on_sale
from billing.views import _order_placed_here
from cohorts.models import Cohort
from crm.attribution import attribution_from_request
from onepco.access import public, staff_required
from onepco.network import client_ip
from onepco.ratelimit import rate_limited


@public
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest, slug: str) -> HttpResponse:
    """加入候补: a cohort on sale that is full or not open for enrolment takes names."""
    cohort = cohorts_on_sale().filter(slug=slug).first()
    if cohort is None:
        raise Http404
    form = forms.WaitlistForm(request.POST or None)
    context = {"cohort": cohort, "form": form, "hours": settings.WAITLIST_OFFER_HOURS}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if rate_limited(("waitlist", client_ip(request), settings.CHECKOUT_RATE_LIMIT)):
            form.add_error(None, _("Too many signups from your network. Please try again later."))
            return render(request, "billing/waitlist_join.html", context, status=429)
        entry = services.waitlist_join(
            cohort=cohort, name=data["name"], email=data["email"], phone=data["phone"],
            attribution=attribution_from_request(request),
        )  # fmt: skip
        ahead = WaitlistEntry.objects.filter(
            cohort=cohort, status=WaitlistEntry.Status.WAITING, position__lt=entry.position
        ).count()
        return render(request, "billing/waitlist_joined.html", {"cohort": cohort, "ahead": ahead})
    return render(request, "billing/waitlist_join.html", context, status=400 if form.errors else 200)


@public
@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_offer(request: HttpRequest, token: str) -> HttpResponse:
    """The personal link of a seat offer: take the held seat (→ the payment page) or a clear
    page saying why not (lapsed, used, someone else signed in)."""
    entry = WaitlistEntry.objects.select_related("cohort__course").filter(token=token).first()
    if entry is None:
        raise Http404
    now = timezone.now()
    user = request.user
    if user.is_authenticated and not user.is_staff and user.email.lower() != entry.email.lower():
        return render(
            request, "billing/waitlist_offer.html", {"entry": entry, "refusal": "other"}, status=403
        )
    if entry.status == WaitlistEntry.Status.ACCEPTED:
        return render(request, "billing/waitlist_offer.html", {"entry": entry, "refusal": "used"}, status=410)
    if entry.status != WaitlistEntry.Status.OFFERED or (entry.offer_expires_at or now) <= now:
        return render(
            request, "billing/waitlist_offer.html", {"entry": entry, "refusal": "lapsed"}, status=410
        )
    form = forms.WaitlistOfferForm(request.POST or None, initial={"name": entry.name})
    if request.method == "POST" and form.is_valid():
        try:
            order = services.waitlist_offer_accept(token=token, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            _order_placed_here(request, order)
            return redirect("billing:pay", number=order.number)
    context = {"entry": entry, "form": form}
    return render(request, "billing/waitlist_offer.html", context, status=400 if form.errors else 200)


@staff_required
def waitlist_console(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    return _waitlist_page(request, cohort, forms.NextCohortForm(cohort=cohort))


def _waitlist_page(request: HttpRequest, cohort: Cohort, next_form, status: int = 200) -> HttpResponse:
    entries = list(cohort_waitlist(cohort).select_related("next_cohort"))
    context = {
        "cohort": cohort,
        "entries": entries,
        "seats_left": cohort_seats_left(cohort),
        "next_form": next_form,
        "to_call": [e for e in entries if e.next_cohort_id and not e.email and e.status == "waiting"],
    }
    return render(request, "billing/waitlist_console.html", context, status=status)


@staff_required
@require_POST
def waitlist_next_cohort(request: HttpRequest, pk: int) -> HttpResponse:
    """把下一期推荐给所有候补的人: one e-mail each, nothing held, never twice for one cohort."""
    cohort = get_object_or_404(Cohort.objects.select_related("course"), pk=pk)
    form = forms.NextCohortForm(request.POST, cohort=cohort)
    if form.is_valid():
        try:
            done = services.waitlist_next_cohort_offer(cohort=cohort, next_cohort=form.cleaned_data["cohort"])
        except ValidationError as exc:
            form.add_error("cohort", exc)
        else:
            if not (done["emailed"] or done["unsubscribed"] or done["to_call"]):
                messages.info(request, _("Nobody new: everyone waiting has had this cohort recommended."))
                return redirect("billing:waitlist_console", pk=pk)
            message = _("E-mailed the link to %(next)s to %(emailed)s people.") % {
                "emailed": done["emailed"], "next": form.cleaned_data["cohort"].name,
            }  # fmt: skip
            if done["unsubscribed"]:
                message += " " + _("%(n)s unsubscribed: not e-mailed.") % {"n": done["unsubscribed"]}
            if done["to_call"]:
                message += " " + _("%(n)s without an e-mail: call them (listed below).") % {
                    "n": len(done["to_call"])
                }
            messages.success(request, message)
            return redirect("billing:waitlist_console", pk=pk)
    return _waitlist_page(request, cohort, form, status=400)


@staff_required
@require_POST
def waitlist_action(request: HttpRequest, pk: int, entry_pk: int, action: str) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, pk=entry_pk, cohort_id=pk)
    try:
        if action == "up" or action == "down":
            services.waitlist_move(entry=entry, up=action == "up")
        elif action == "offer":
            services.waitlist_offer(entry=entry)
            messages.success(request, _("Seat offered: %(name)s gets the e-mail.") % {"name": entry.name})
        elif action == "remove":
            services.waitlist_remove(entry=entry)
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("billing:waitlist_console", pk=pk)


@public
@csrf_exempt  # RFC 8058: a mail client's one-click POST carries no CSRF token; the token is signed
@require_http_methods(["GET", "POST"])
def follow_up_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The unsubscribe link of a marketing e-mail (abandoned checkout, next cohort): no sign-in.
    Opening it asks to confirm, so that a mail scanner following links unsubscribes nobody; the
    button, or a mail client's RFC 8058 one-click POST, unsubscribes."""
    try:
        email = (
            services.follow_up_unsubscribe(token=token)
            if request.method == "POST"
            else services.follow_up_unsubscribe_email(token=token)
        )
    except signing.BadSignature:
        return render(request, "billing/follow_up_unsubscribed.html", {"invalid": True}, status=400)
    context = {"email": email, "done": request.method == "POST", "token": token}
    return render(request, "billing/follow_up_unsubscribed.html", context)
