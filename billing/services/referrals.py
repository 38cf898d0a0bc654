"""Referral rewards: when a friend a student brought (the order's lead is `referred_by` them)
pays, the student is credited once for that order with what the founder's settings say at that
moment: a single-use coupon, issued and e-mailed to them, or cash the founder pays by hand and
marks paid. A refund of the friend's order before the reward is paid or used flags it."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing import jobs
from billing.models import ORDER_ALPHABET, Coupon, Order, ReferralReward, ReferralSettings
from cohorts.models import Student
from crm.models import Lead
from onepco.models import MessageKind
from onepco.notify import Message, notify
from onepco.outbox import outbox_enqueue
from onepco.site import site_name


def referral_settings_save(*, row: ReferralSettings, by: User) -> ReferralSettings:
    """The founder's choice of reward; it applies to the friends' payments that come after it."""
    if row.pk is None:
        existing = ReferralSettings.objects.order_by("pk").first()
        if existing is not None:
            row.pk = existing.pk
    row.updated_at, row.updated_by = timezone.now(), by
    row.full_clean()
    row.save()
    return row


def _referrer_of(order: Order, lead: Lead | None) -> Student | None:
    """The student who brought this buyer, unless the buyer is that student (their own link
    opened with another address, then bought with theirs)."""
    if lead is None or lead.referred_by_id is None:
        return None
    referrer = Student.objects.select_related("user").filter(pk=lead.referred_by_id).first()
    if referrer is None:
        return None
    own_address = order.buyer_email and order.buyer_email.lower() == referrer.user.email.lower()
    if referrer.user_id == order.user_id or own_address or referrer.lead_id == lead.pk:
        return None
    return referrer


def _coupon_code_new() -> str:
    """A code no coupon has (eight random characters: a clash is rare, and checked)."""
    while True:
        code = "REF" + "".join(secrets.choice(ORDER_ALPHABET) for _ in range(8))
        if not Coupon.objects.filter(code__iexact=code).exists():
            return code


def referral_reward_credit(*, order: Order, lead: Lead | None) -> ReferralReward | None:
    """Credit the referrer for a paid order, once: called where a paid order is fulfilled,
    inside its transaction with the order row locked. A second call for the same order (a
    duplicate notification, the e-mail added later) returns the reward made the first time;
    the one-to-one on the order stops a twin that raced past the check."""
    existing = ReferralReward.objects.filter(order=order).first()
    if existing is not None:
        return existing
    setup = ReferralSettings.current()
    Reward = ReferralSettings.Reward
    if (
        setup.reward == Reward.NONE
        or (setup.reward == Reward.COUPON and not setup.coupon_value)
        or (setup.reward == Reward.CASH and not setup.cash_amount)
        or order.amount <= 0  # a 100 %-off order paid nothing: nothing to reward
    ):
        return None
    referrer = _referrer_of(order, lead)
    if referrer is None:
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            if setup.reward == Reward.COUPON and setup.coupon_value is not None:
                coupon = Coupon.objects.create(
                    code=_coupon_code_new(), kind=setup.coupon_kind, value=setup.coupon_value,
                    valid_from=now, valid_until=now + timedelta(days=setup.coupon_valid_days),
                    max_uses=1, once_per_person=True,
                )  # fmt: skip
                reward = ReferralReward.objects.create(
                    order=order, referrer=referrer, kind=ReferralReward.Kind.COUPON,
                    status=ReferralReward.Status.SENT, coupon=coupon, created_at=now,
                )  # fmt: skip
                outbox_enqueue(jobs.send_referral_reward_email, reward.pk)
            else:
                reward = ReferralReward.objects.create(
                    order=order, referrer=referrer, kind=ReferralReward.Kind.CASH,
                    status=ReferralReward.Status.OWED, amount=setup.cash_amount, created_at=now,
                )  # fmt: skip
    except IntegrityError:
        return ReferralReward.objects.filter(order=order).first()
    return reward


def referral_reward_email_send(*, reward: ReferralReward) -> None:
    """The referrer's coupon, by e-mail. The friend is not named: the referrer knows whom they
    sent the link to, and the friend did not agree to be named to anyone."""
    coupon = reward.coupon
    user = reward.referrer.user
    if coupon is None:
        return
    context = {
        "coupon": coupon,
        "course": reward.order.cohort.course,
        "courses_url": settings.SITE_URL + reverse("billing:course_index"),
        "SITE_NAME": site_name(),
        "name": user.name,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A coupon for you: a friend you invited joined %(course)s") % {
            "course": context["course"]
        }
        body = render_to_string("billing/email/referral_coupon.txt", context)
        reward_text = _("Coupon %(code)s") % {"code": coupon.code}
    message = Message(
        subject=subject, body=body, url=context["courses_url"], wechat=[reward_text, str(context["course"])]
    )
    notify(kind=MessageKind.REFERRAL_REWARD, key=f"referral_reward:{reward.pk}", user=user, message=message)
    ReferralReward.objects.filter(pk=reward.pk).update(emailed_at=timezone.now())


def referral_reward_mark_paid(*, reward: ReferralReward, by: User, note: str = "") -> ReferralReward:
    """The founder paid a cash reward by hand: recorded with who and when, once."""
    with transaction.atomic():
        reward = ReferralReward.objects.select_for_update().get(pk=reward.pk)
        if reward.status == ReferralReward.Status.PAID:
            raise ValidationError(_("This reward is already marked paid."))
        if reward.status == ReferralReward.Status.VOID:
            raise ValidationError(_("The friend's order was refunded: this reward is not to be paid."))
        if reward.kind != ReferralReward.Kind.CASH:
            raise ValidationError(_("Only a cash reward is marked paid."))
        reward.status, reward.paid_at, reward.paid_by = ReferralReward.Status.PAID, timezone.now(), by
        reward.paid_note = note.strip()[:200]
        reward.save(update_fields=["status", "paid_at", "paid_by", "paid_note"])
    return reward


def referral_reward_order_refunded(*, order: Order) -> None:
    """The friend's order was refunded (called inside the refund's transaction). A reward not
    yet paid or used is flagged; cash owed for a fully refunded order is not to be paid. A
    coupon already sent is not taken back (the referrer was told it is theirs)."""
    reward = ReferralReward.objects.select_for_update().filter(order=order).first()
    if reward is None or reward.status == ReferralReward.Status.PAID:
        return
    if reward.coupon is not None and reward.coupon.orders.filter(status__in=Order.PAID_STATUSES).exists():
        return  # the coupon was used already
    fields = []
    if reward.order_refunded_at is None:
        reward.order_refunded_at = timezone.now()
        fields.append("order_refunded_at")
    if reward.status == ReferralReward.Status.OWED and order.status == Order.Status.REFUNDED:
        reward.status = ReferralReward.Status.VOID
        fields.append("status")
    if fields:
        reward.save(update_fields=fields)
