"""The signup as HTTP: what the public form (on crm's pages and on billing's course pages) and
the lead API share, from the rate limit to the thank-you page."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services
from crm.attribution import SESSION_KEY, attribution_capture, attribution_from_request
from crm.forms import LeadForm
from crm.models import LeadTouch
from crm.normalize import phone_display
from crm.ratelimit import rate_limit_exceeded
from crm.selectors import signup_is_live

# The name, e-mail and phone of the signup this visitor just made, for checkout to fill in:
# kept in their own session only, so nobody else's details are ever shown.
CONTACT_SESSION_KEY = "onepco_signup_contact"
CONTACT_FIELDS = ("name", "email", "phone")


def signup_contact(request: HttpRequest) -> dict[str, str]:
    """What this visitor gave at their signup in this session ({} when they did not sign up)."""
    kept = request.session.get(CONTACT_SESSION_KEY) or {}
    contact = {field: str(kept.get(field) or "") for field in CONTACT_FIELDS if kept.get(field)}
    if "phone" in contact:
        contact["phone"] = phone_display(contact["phone"])
    return contact


def lead_submit(
    request: HttpRequest, form: LeadForm, *, kind: str, attribution: dict
) -> tuple[int, LeadTouch | None]:
    """Rate limit → honeypot → validation → lead_capture. Answers 201, 400 or 429."""
    if rate_limit_exceeded(request, "leads"):
        return 429, None
    if form.is_spam:
        values = form.spam_values()
        given = values.pop("attribution")
        touch = services.lead_capture(
            **values, attribution=given if any(given.values()) else attribution, kind=kind, is_spam=True
        )
        return 201, touch
    if not form.is_valid():
        return 400, None
    data = form.cleaned_data
    touch = services.lead_capture(
        name=data["name"], email=data["email"], phone=data["phone"], wechat=data["wechat"],
        message=data["message"], attribution=attribution, kind=kind, consent_at=timezone.now(),
    )  # fmt: skip
    return 201, touch


def signup_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """GET shows the offer and the form; POST signs up and goes to the thank-you page.

    Without a next step for the thank-you page the form is not live: a visitor reads that
    signup is not open yet, the founder (a staff viewer) reads why and where to fix it.
    """
    attribution_capture(request)
    if not signup_is_live():
        status = 403 if request.method == "POST" else 200
        return render(request, template, {**context, "form": None, "signup_live": False}, status=status)
    form = LeadForm(request.POST or None, with_attribution=False)
    status = 200
    if request.method == "POST":
        status, _touch = lead_submit(
            request, form, kind=LeadTouch.Kind.FORM, attribution=attribution_from_request(request)
        )
        if status == 201:
            request.session.pop(SESSION_KEY, None)
            if not form.is_spam:
                request.session[CONTACT_SESSION_KEY] = {f: form.cleaned_data[f] for f in CONTACT_FIELDS}
            return redirect("crm:thanks")
        if status == 429:
            form.is_valid()
            form.add_error(None, _("Too many signups from your network. Please wait a minute and try again."))
    return render(request, template, {**context, "form": form, "signup_live": True}, status=status)
