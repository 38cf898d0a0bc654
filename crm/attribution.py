"""First-touch attribution: where a visitor came from, kept until they sign up or buy.

A student's referral link (`?channel=referral&ref=<code>`) is a tagged landing like any other:
the code is kept with it and, when the visitor signs up or buys, `lead_capture` records the
student it belongs to as the new lead's `referred_by`. First touch wins here too: a visitor
who came through another tagged link first, or a person who is a lead already, keeps that
attribution (the repeat signup's touch still records the code).

Public pages call `attribution_capture(request)`; the signup form and checkout read
`attribution_from_request(request)`. The first tagged landing wins and is kept in the session
(later tagged visits do not overwrite it), so a prospect who reads three pages and signs up
a day later is still credited to the post that brought them.
"""

from django.http import HttpRequest

from cohorts.referrals import REFERRAL_CHANNEL, REFERRAL_PARAM
from crm.services import ATTRIBUTION_FIELDS

SESSION_KEY = "onepco_attribution"
QUERY_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
MAX_LENGTH = {"landing_page": 500, "referrer": 500, "channel": 50, "referral_code": 16}


def _clip(field: str, value: str) -> str:
    return (value or "").strip()[: MAX_LENGTH.get(field, 200)]


def _is_tagged(touch: dict) -> bool:
    return any(touch.get(field) for field in (*QUERY_FIELDS, "channel", "referral_code"))


def attribution_capture(request: HttpRequest) -> dict[str, str]:
    """Remember this visit's attribution unless a tagged one is kept already; return what is kept.

    An untagged first visit is kept only until a tagged link arrives: the post that brought
    the visitor back deserves the credit more than a bare landing.
    """
    kept = request.session.get(SESSION_KEY)
    if kept and _is_tagged(kept):
        return kept
    params = request.GET
    channel = params.get("ch") or params.get("channel") or params.get("utm_source") or ""
    touch = {field: _clip(field, params.get(field, "")) for field in QUERY_FIELDS}
    touch["referral_code"] = _clip("referral_code", params.get(REFERRAL_PARAM, "")).lower()
    # A referral code is a referral, even on a link that lost its channel on the way.
    touch["channel"] = _clip("channel", channel or (REFERRAL_CHANNEL if touch["referral_code"] else ""))
    touch["landing_page"] = _clip("landing_page", request.get_full_path())
    touch["referrer"] = _clip("referrer", request.headers.get("Referer", ""))
    if kept and not _is_tagged(touch):
        return kept
    request.session[SESSION_KEY] = touch
    return touch


def attribution_from_request(request: HttpRequest) -> dict[str, str]:
    """The kept first touch, or this request's own (a form posted straight from elsewhere)."""
    kept = request.session.get(SESSION_KEY) or {}
    return {field: kept.get(field, "") for field in ATTRIBUTION_FIELDS}
