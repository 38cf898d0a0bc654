"""Abandoned checkout: an order that expired unpaid sends its buyer one e-mail with a fresh
checkout link, ABANDONED_CHECKOUT_DELAY_MINUTES after it expired, while the cohort has seats
left; once per person per cohort, never after they paid or unsubscribed."""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from billing import jobs
from billing.models import CheckoutFollowUp, Order
from billing.selectors import cohort_seats_left
from cohorts.selectors import cohort_enrolment_refusal
from onepco.models import MarketingOptOut, MessageKind
from onepco.notify import Message, marketing_opt_out, notify
from onepco.outbox import outbox_enqueue
from onepco.site import site_name

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

UNSUBSCRIBE_SALT = "billing.follow-up-unsubscribe"
# Orders that expired longer ago than this are not followed up (a job switched on late).
FOLLOW_UP_WINDOW = timedelta(days=3)


def checkout_follow_ups_run(*, now: datetime | None = None) -> int:
    """The cron job: record and queue the follow-up of every order due one. Returns how many."""
    now = now or timezone.now()
    due = now - timedelta(minutes=settings.ABANDONED_CHECKOUT_DELAY_MINUTES)
    same_buyer = Order.objects.filter(cohort=OuterRef("cohort"), buyer_email__iexact=OuterRef("buyer_email"))
    orders = (
        Order.objects.filter(
            status=Order.Status.EXPIRED,
            buyer_email__gt="",
            closed_at__lte=due,
            closed_at__gt=due - FOLLOW_UP_WINDOW,
            cohort__sale_open=True,
        )
        .exclude(Exists(same_buyer.filter(status__in=Order.PAID_STATUSES)))
        .exclude(Exists(same_buyer.filter(status=Order.Status.PENDING, expires_at__gt=now)))
        .exclude(
            Exists(CheckoutFollowUp.objects.filter(cohort=OuterRef("cohort"), email=OuterRef("buyer_email")))
        )
        .exclude(Exists(MarketingOptOut.objects.filter(email=OuterRef("buyer_email"))))
        .select_related("cohort")
        .order_by("closed_at", "id")
    )
    sent = 0
    for order in orders[:500]:
        if cohort_enrolment_refusal(order.cohort, now) or cohort_seats_left(order.cohort, now) <= 0:
            continue
        try:
            with transaction.atomic():
                CheckoutFollowUp.objects.create(cohort=order.cohort, email=order.buyer_email, order=order)
                outbox_enqueue(jobs.send_checkout_follow_up, order.pk)
        except IntegrityError:
            continue  # this person had one for this cohort (another order, another run)
        sent += 1
    return sent


def follow_up_unsubscribe_token(email: str) -> str:
    return signing.dumps(email.lower(), salt=UNSUBSCRIBE_SALT, compress=True)


def follow_up_unsubscribe_email(*, token: str) -> str:
    """The address a signed unsubscribe token is for; raises signing.BadSignature."""
    return signing.loads(token, salt=UNSUBSCRIBE_SALT)


def follow_up_unsubscribe(*, token: str) -> str:
    """One click, no sign-in: the address in the signed token gets no more follow-ups.
    Returns it; raises signing.BadSignature for a forged or damaged token."""
    email = follow_up_unsubscribe_email(token=token)
    marketing_opt_out(email=email)
    return email


def checkout_follow_up_email_send(*, order: Order) -> None:
    context = {
        "order": order,
        "cohort": order.cohort,
        "checkout_url": settings.SITE_URL + reverse("billing:checkout", args=[order.cohort.slug]),
    }
    follow_up_email_send(
        email=order.buyer_email,
        key=f"checkout_follow_up:{order.pk}",
        subject=gettext_lazy("Your seat in %(cohort)s is still available"),
        template="billing/email/checkout_follow_up.txt",
        context=context,
    )


def follow_up_email_send(
    *, email: str, key: str, subject: "StrOrPromise", template: str, context: dict
) -> None:
    """A sales follow-up (abandoned checkout, the next cohort to a waitlist): in the site's
    language, with a one-click unsubscribe link (RFC 8058) that stops every such e-mail.
    `subject` is formatted with the context's `cohort`."""
    unsubscribe_url = settings.SITE_URL + reverse(
        "billing:follow_up_unsubscribe", args=[follow_up_unsubscribe_token(email)]
    )
    context = {**context, "unsubscribe_url": unsubscribe_url, "SITE_NAME": site_name()}
    with translation.override(settings.LANGUAGE_CODE):
        title = str(subject) % {"cohort": context["cohort"]}
        body = render_to_string(template, context)
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    # Its callers checked the opt-out list when the e-mail was queued and again now.
    notify(
        kind=MessageKind.FOLLOW_UP,
        key=key,
        email=email,
        message=Message(subject=title, body=body, headers=headers),
        consented=True,
    )


def checkout_follow_up_still_wanted(*, order: Order) -> bool:
    """Checked again when the e-mail goes out: not paid meanwhile, not unsubscribed, seats left."""
    paid = Order.objects.filter(
        cohort=order.cohort, buyer_email__iexact=order.buyer_email, status__in=Order.PAID_STATUSES
    ).exists()
    return (
        not paid
        and not MarketingOptOut.objects.filter(email=order.buyer_email.lower()).exists()
        and cohort_seats_left(order.cohort) > 0
    )
