"""One place for every message onepco sends to a person, and the channels it goes by.

    notify(kind=MessageKind.FEEDBACK, key=f"feedback:{submission.pk}:{graded}",
           user=student_user, message=Message(subject=..., body=..., url=link, wechat=[...]))

picks the channels for that person and kind, sends, and records a `Delivery` per channel
(linked to the outbox row whose job is running, when one is):

- **E-mail** wherever there is an address, unless the person turned that kind off on their
  account page (/account/messages/). Transactional kinds (enrollment and payment, order and
  system alerts) always go by e-mail: nobody can miss their own payment.
- **WeChat**: a 公众号 template message (wechatpy), when the kind may go by WeChat, the founder
  configured a template for it (settings.WECHAT_MP_TEMPLATES), the person signed in through the
  公众号 once (its openid is on their account) and has not turned it off. A failed WeChat send
  is recorded with WeChat's answer and falls back to e-mail when e-mail was not sent already.
- Nothing twice: a message (its `key`) is sent at most once per channel (a constraint on
  `Delivery`), however often the job that sends it is run again.

An e-mail that cannot be sent (the SMTP server away) raises: the caller's job rolls back and
the outbox retries it with backoff, the reason on its row. WeChat's answers never raise when
e-mail can stand in. Marketing kinds (offers, broadcasts) need consent: the caller checks the
one marketing opt-out list (billing's, written by every unsubscribe link) and says so with
`consented=True`; they never go by WeChat (WeChat forbids marketing in template messages).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from onepco.models import Delivery, MarketingOptOut, MessageKind, MessagePreference
from onepco.outbox import redis_connection, running_message

log = logging.getLogger(__name__)

# allauth's provider id of the 公众号's web authorisation: its openid is the one the 公众号's
# template messages go to (the 网站应用's QR login gives another openid for the same person).
WECHAT_OFFICIAL_PROVIDER = "weixin_mp"
# WeChat cuts a template field at 20 characters (a "thing" field refuses longer values).
WECHAT_FIELD_LENGTH = 20


@dataclass(frozen=True)
class KindRule:
    audience: str  # "staff" (the founder and assistants) or "people" (students, buyers, leads)
    always_email: bool = False  # transactional: e-mailed whatever the person chose
    marketing: bool = False  # needs consent, never by WeChat
    wechat: bool = False  # may go as a 公众号 template message


# The WeChat template of each kind is filled, in order, with the values its Message carries in
# `wechat` (docs/notifications.md lists them; .env.example shows a template per kind).
RULES: dict[str, KindRule] = {
    MessageKind.NEW_LEAD: KindRule("staff", wechat=True),  # name, channel, time
    MessageKind.ORDER_ALERT: KindRule("staff", always_email=True, wechat=True),  # order number, what
    MessageKind.WEEKLY_REPORT: KindRule("staff"),
    MessageKind.SYSTEM_ALERT: KindRule("staff", always_email=True),
    MessageKind.ENROLLMENT: KindRule("people", always_email=True, wechat=True),  # course, first lesson, order
    MessageKind.FEEDBACK: KindRule("people", wechat=True),  # homework, result, graded at
    MessageKind.DUE_REMINDER: KindRule("people", wechat=True),  # homework, due at
    MessageKind.LESSON_REMINDER: KindRule("people", wechat=True),  # lesson, starts at, course
    MessageKind.WAITLIST_OFFER: KindRule("people", wechat=True),  # cohort, held until
    MessageKind.REFERRAL_REWARD: KindRule("people", wechat=True),  # reward, course
    MessageKind.FOLLOW_UP: KindRule("people", marketing=True),
    MessageKind.BROADCAST: KindRule("people", marketing=True),
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    reply_to: Sequence[str] = ()
    # Where a tap on the WeChat message leads, and the template's values (the kind's order).
    url: str = ""
    wechat: Sequence[str] = ()


class ConsentMissing(ValueError):
    """A marketing message was handed over without the caller saying the person consented."""


# --- consent to marketing ------------------------------------------------------------------


def _listed(email: str) -> str:
    """An address as the opt-out list keeps it."""
    return email.strip().lower()


def marketing_opt_out(*, email: str) -> None:
    """Put an address on the one list of people who want no marketing from us: every offer,
    reminder to buy and broadcast checks it before sending; every unsubscribe link and the
    account page write it."""
    if _listed(email):
        MarketingOptOut.objects.get_or_create(email=_listed(email))


def marketing_opt_in(*, email: str) -> None:
    """The person asked for offers and news again (on their account page)."""
    MarketingOptOut.objects.filter(email=_listed(email)).delete()


def marketing_opted_out(*, email: str) -> bool:
    return bool(_listed(email)) and MarketingOptOut.objects.filter(email=_listed(email)).exists()


# --- who gets what ---------------------------------------------------------------------------


def wechat_sending_configured(kind: str | None = None) -> bool:
    """The 公众号's app is set, and (for a kind) a template was chosen for it."""
    if not (settings.WECHAT_MP_APPID and settings.WECHAT_MP_APP_SECRET):
        return False
    return kind is None or (RULES[kind].wechat and kind in settings.WECHAT_MP_TEMPLATES)


def wechat_openid(user) -> str:
    """The openid the 公众号 knows this person by, or "" (never signed in through it)."""
    if user is None or user.pk is None:
        return ""
    uid = (
        SocialAccount.objects.filter(user=user, provider=WECHAT_OFFICIAL_PROVIDER)
        .order_by("pk")
        .values_list("uid", flat=True)
        .first()
    )
    return uid or ""


def founder():
    """The staff account of FOUNDER_EMAIL, whose preferences and WeChat the founder's messages
    follow; None when there is none (the messages then go by e-mail to that address)."""
    if not settings.FOUNDER_EMAIL:
        return None
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True, email__iexact=settings.FOUNDER_EMAIL)
        .order_by("pk")
        .first()
    )


@dataclass(frozen=True)
class Choice:
    """One row of the account page's message preferences."""

    kind: str
    label: str
    email: bool
    email_locked: bool  # transactional: always by e-mail
    wechat: bool
    wechat_offered: bool  # the founder set a template for this kind


def preferences_of(user) -> list[Choice]:
    """The kinds this person can receive (staff kinds for staff), each with their choice.
    Marketing kinds are not here: their consent is the marketing opt-out list."""
    audience = "staff" if user.is_staff else "people"
    saved = {p.kind: p for p in MessagePreference.objects.filter(user=user)}
    choices = []
    for kind, rule in RULES.items():
        if rule.audience != audience or rule.marketing:
            continue
        pref = saved.get(kind)
        choices.append(
            Choice(
                kind=kind,
                label=str(MessageKind(kind).label),
                email=rule.always_email or pref is None or pref.email,
                email_locked=rule.always_email,
                wechat=pref is None or pref.wechat,
                wechat_offered=wechat_sending_configured(kind),
            )
        )
    return choices


@transaction.atomic
def preferences_save(*, user, email_on: set[str], wechat_on: set[str]) -> None:
    """Save the person's choices from the kinds ticked for e-mail and for WeChat (an unticked
    kind is off). A kind that must go by e-mail stays on, whatever was posted; a WeChat choice
    the form could not show (no template for the kind, no WeChat bound: no box, or a disabled
    one) keeps what it was, for when the template or the binding comes."""
    bound = bool(wechat_openid(user))
    for choice in preferences_of(user):
        email = choice.email_locked or choice.kind in email_on
        wechat = choice.kind in wechat_on if bound and choice.wechat_offered else choice.wechat
        if email and wechat:
            MessagePreference.objects.filter(user=user, kind=choice.kind).delete()
        else:
            MessagePreference.objects.update_or_create(
                user=user, kind=choice.kind, defaults={"email": email, "wechat": wechat}
            )


def _wanted(user, kind: str) -> tuple[bool, bool]:
    """(e-mail, WeChat) as the person chose for this kind."""
    if user is None or user.pk is None:
        return True, True
    pref = MessagePreference.objects.filter(user=user, kind=kind).only("email", "wechat").first()
    return (True, True) if pref is None else (pref.email, pref.wechat)


# --- sending ---------------------------------------------------------------------------------


def notify(
    *,
    kind: str,
    key: str,
    message: Message,
    user=None,
    email: str = "",
    consented: bool = False,
    connection=None,
) -> list[Delivery]:
    """Send one message to one person by the channels that suit them; returns this call's
    deliveries (none when it had been sent already). `email` is for people without an account
    (a buyer, a lead) or to override the account's address; `connection` reuses an SMTP session."""
    rule = RULES[kind]
    if rule.marketing and not consented:
        raise ConsentMissing(f"{kind} is marketing: check the opt-out list, then pass consented=True")
    address = (email or getattr(user, "email", "") or "").strip()
    before = list(Delivery.objects.filter(key=key).values_list("channel", "status"))
    sent = {channel for channel, status in before if status == Delivery.Status.SENT}
    email_wanted, wechat_wanted = _wanted(user, kind)
    send_email = bool(address) and (rule.always_email or email_wanted)
    openid = wechat_openid(user) if wechat_wanted and wechat_sending_configured(kind) else ""
    record = _Recorder(kind=kind, key=key, user=user, subject=message.subject)

    if send_email and Delivery.Channel.EMAIL not in sent:
        email_send(address=address, message=message, connection=connection)
        record(Delivery.Channel.EMAIL, Delivery.Status.SENT, address)
        sent.add(Delivery.Channel.EMAIL)
    if openid and Delivery.Channel.WECHAT not in sent:
        try:
            msgid = wechat_send(kind=kind, openid=openid, message=message)
        except WeChatRefused as refused:
            record(Delivery.Channel.WECHAT, Delivery.Status.FAILED, openid, str(refused))
            if address and Delivery.Channel.EMAIL not in sent:
                email_send(address=address, message=message, connection=connection)
                record(Delivery.Channel.EMAIL, Delivery.Status.SENT, address, _("instead of WeChat"))
        else:
            record(Delivery.Channel.WECHAT, Delivery.Status.SENT, openid, f"msgid {msgid}" if msgid else "")
    if not record.rows and not before:
        reason = _("turned off by the person") if address or openid else _("no e-mail address or WeChat")
        record(Delivery.Channel.EMAIL, Delivery.Status.SKIPPED, address, reason)
    return record.rows


def notify_founder(*, kind: str, key: str, message: Message) -> list[Delivery]:
    """A message for the founder: to FOUNDER_EMAIL, and by WeChat as their account chose."""
    if not settings.FOUNDER_EMAIL:
        return []
    return notify(kind=kind, key=key, message=message, user=founder(), email=settings.FOUNDER_EMAIL)


class _Recorder:
    def __init__(self, *, kind: str, key: str, user, subject: str):
        self.kind, self.key, self.subject = kind, key, subject[:300]
        self.user = user if user is not None and user.pk is not None else None
        self.rows: list[Delivery] = []

    def __call__(self, channel: str, status: str, address: str, detail: Any = "") -> None:
        row = Delivery.objects.create(
            kind=self.kind,
            key=self.key,
            channel=channel,
            status=status,
            address=(address.lower() if channel == Delivery.Channel.EMAIL else address)[:254],
            user=self.user,
            subject=self.subject,
            detail=str(detail)[:1000],
            outbox_id=running_message.get(),
        )
        self.rows.append(row)


def email_send(*, address: str, message: Message, connection=None) -> None:
    """The e-mail channel: plain text, with an HTML part and headers when the message has them."""
    mail = EmailMultiAlternatives(
        message.subject,
        message.body,
        None,
        [address],
        headers=message.headers or None,
        reply_to=list(message.reply_to) or None,
        connection=connection,
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    mail.send()


class WeChatRefused(Exception):
    """WeChat did not take the message (its answer or the network's error in the text)."""


def _wechat_client():
    # Imported when a WeChat message is sent: wechatpy takes about half a second and some
    # megabytes to import, which no web request and most workers never need.
    from wechatpy import WeChatClient  # noqa: PLC0415
    from wechatpy.session.redisstorage import RedisStorage  # noqa: PLC0415

    # The access token (2 hours) is kept in Redis, shared by every process: WeChat limits how
    # many a day an app may fetch.
    storage = RedisStorage(redis_connection(), prefix="onepco:wechat")
    return WeChatClient(
        settings.WECHAT_MP_APPID,
        settings.WECHAT_MP_APP_SECRET,
        session=storage,
        timeout=settings.WECHAT_API_TIMEOUT,
    )


def _fit(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= WECHAT_FIELD_LENGTH else text[: WECHAT_FIELD_LENGTH - 1] + "…"


def wechat_send(*, kind: str, openid: str, message: Message) -> str:
    """The WeChat channel: the kind's template, filled in order; returns WeChat's msgid."""
    from wechatpy.exceptions import WeChatException  # noqa: PLC0415 (see _wechat_client)

    template_id, keys = settings.WECHAT_MP_TEMPLATES[kind]
    data = {key: {"value": _fit(value)} for key, value in zip(keys, message.wechat, strict=False)}
    try:
        answer = _wechat_client().message.send_template(openid, template_id, data, url=message.url or None)
    except WeChatException as exc:
        code = getattr(exc, "errcode", None)
        raise WeChatRefused(f"{code} {getattr(exc, 'errmsg', '') or exc}".strip()) from exc
    except (requests.RequestException, ValueError) as exc:
        raise WeChatRefused(f"{type(exc).__name__}: {exc}") from exc
    return str(answer.get("msgid", ""))
