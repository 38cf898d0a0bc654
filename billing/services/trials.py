"""试付款: a payment method tried end to end from the setup page, before a buyer meets it.

The founder pays a cent (play money in a provider's sandbox) to their own merchant account.
onepco creates the trade as it would for an order, hears the signed notification (or, when the
site's address is not reachable from the internet, asks the provider), and refunds the money at
once through the outbox. A trial is not an order: nothing that counts sales reads it.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from billing import jobs
from billing.models import PAYMENT_TRIAL_PREFIX, PaymentEvent, PaymentTrial, Provider, Refund
from billing.providers import Notice, NoticeKind, ProviderError, StartKind, _instance, get_provider
from onepco.outbox import outbox_enqueue

log = logging.getLogger(__name__)

# A cent, where the provider takes one. Stripe refuses charges under about US$0.50, and its
# test mode moves no money at all.
TRIAL_AMOUNT = Decimal("0.01")
STRIPE_TRIAL_AMOUNT = Decimal("5.00")
# Long enough to find the phone and scan; the provider closes the trade itself at this time.
TRIAL_MINUTES = 15
TRIED_PROVIDERS = (Provider.ALIPAY, Provider.WECHAT, Provider.STRIPE)


@dataclass(frozen=True)
class TrialOption:
    """What the setup page says about trying one payment method."""

    name: str
    available: bool
    sandbox: bool
    amount: Decimal
    # Why it cannot be tried now (available False), or what the trial will do (available True).
    explanation: str


def _stripe_test_mode() -> bool:
    return settings.STRIPE_SECRET_KEY.startswith(("sk_test_", "rk_test_"))


def payment_trial_option(name: str) -> TrialOption:
    """Whether `name` can be tried from here, with what money, and the sentence saying so."""
    if name not in TRIED_PROVIDERS:
        return TrialOption(name, False, False, TRIAL_AMOUNT, _("Nothing to try: no provider is involved."))
    missing = _instance(name).missing_settings()
    if missing:
        return TrialOption(
            name, False, False, TRIAL_AMOUNT,
            _("Set %(names)s in the environment first.") % {"names": "、".join(missing)},
        )  # fmt: skip
    if name == Provider.STRIPE:
        if not _stripe_test_mode():
            return TrialOption(
                name, False, False, STRIPE_TRIAL_AMOUNT,
                _(
                    "Stripe is in live mode: a trial would charge a real card and Stripe keeps its "
                    "fee on a refund. Put the test-mode keys (sk_test_…, and the webhook secret of "
                    "a test-mode endpoint) in the environment to try it, then the live keys back."
                ),
            )  # fmt: skip
        return TrialOption(
            name, True, True, STRIPE_TRIAL_AMOUNT,
            _("Test mode: pay with the card 4242 4242 4242 4242, any future date, any CVC. No real money."),
        )  # fmt: skip
    if name == Provider.ALIPAY and settings.ALIPAY_SANDBOX:
        return TrialOption(
            name, True, True, TRIAL_AMOUNT,
            _("Sandbox: pay with the sandbox buyer account of Alipay's open platform. No real money."),
        )  # fmt: skip
    if name == Provider.WECHAT:
        explanation = _(
            "WeChat Pay has no sandbox for this API: you pay ¥0.01 of real money to your own "
            "merchant account, and onepco refunds it at once."
        )
    else:
        explanation = _(
            "ALIPAY_SANDBOX is off, so this is the live merchant account: you pay ¥0.01 of real "
            "money to yourself, and onepco refunds it at once."
        )
    return TrialOption(name, True, False, TRIAL_AMOUNT, explanation)


def payment_trial_options() -> dict[str, TrialOption]:
    return {name: payment_trial_option(name) for name in TRIED_PROVIDERS}


def payment_trial_start(*, provider_name: str, user: User, request: HttpRequest, phone: bool) -> PaymentTrial:
    """Create the trade at the provider. A provider that refuses or cannot be reached leaves a
    failed trial with its error (the page shows it); one that cannot be tried is refused."""
    option = payment_trial_option(provider_name)
    provider = get_provider(provider_name)
    if not option.available or provider is None:
        raise ValidationError(option.explanation)
    trial = PaymentTrial.objects.create(
        provider=provider_name, sandbox=option.sandbox, amount=option.amount,
        currency="CNY" if provider_name != Provider.STRIPE else settings.SITE_CURRENCY,
        started_by=user, expires_at=timezone.now() + timedelta(minutes=TRIAL_MINUTES),
    )  # fmt: skip
    try:
        start = provider.start(trial, request=request, phone=phone)
    except ProviderError as exc:
        trial.status, trial.error = PaymentTrial.Status.FAILED, str(exc)[:2000]
        trial.save(update_fields=["status", "error"])
        return trial
    trial.qr_text = start.qr_text if start.kind == StartKind.QR else ""
    trial.url = start.url if start.kind == StartKind.REDIRECT else ""
    trial.provider_trade_no = start.trade_no[:128]
    trial.save(update_fields=["qr_text", "url", "provider_trade_no"])
    return trial


def is_payment_trial(number: str) -> bool:
    return number.startswith(PAYMENT_TRIAL_PREFIX)


def payment_trial_notice_apply(*, event: PaymentEvent, notice: Notice) -> PaymentEvent:
    """A verified notification (or a query answer) about a trial: paid → refund queued;
    refunded → done. Applied under the trial's row lock, at most once."""
    Outcome = PaymentEvent.Outcome
    outcome: str
    with transaction.atomic():
        trial = PaymentTrial.objects.select_for_update().filter(number=notice.order_number).first()
        if trial is None:
            outcome, error = Outcome.REJECTED, "unknown trial payment"
        elif notice.kind == NoticeKind.PAID:
            outcome, error = _trial_paid(trial, notice, notified=event.kind == PaymentEvent.Kind.NOTIFICATION)
        elif notice.kind == NoticeKind.REFUND:
            outcome, error = _trial_refunded(trial)
        else:
            outcome, error = Outcome.IGNORED, notice.detail
        event.outcome, event.error, event.processed_at = outcome, error[:2000], timezone.now()
        event.save(update_fields=["outcome", "error", "processed_at"])
    return event


def _trial_paid(trial: PaymentTrial, notice: Notice, *, notified: bool) -> tuple[str, str]:
    Outcome = PaymentEvent.Outcome
    if notice.amount != trial.amount or notice.currency.upper() != trial.currency.upper():
        # Someone paid a trade of ours with another amount: record it; the founder sees it.
        trial.error = _("The provider reported %(amount)s %(currency)s, not the trial's amount.") % {
            "amount": notice.amount, "currency": notice.currency,
        }  # fmt: skip
        trial.save(update_fields=["error"])
        return Outcome.REJECTED, "amount does not match the trial's"
    fields = []
    if notified and trial.notified_at is None:
        trial.notified_at = timezone.now()
        fields.append("notified_at")
    if trial.paid_at is not None:
        if fields:
            trial.save(update_fields=fields)
        return Outcome.DUPLICATE, ""
    trial.status, trial.paid_at = PaymentTrial.Status.PAID, notice.paid_at or timezone.now()
    trial.provider_trade_no = notice.trade_no[:128] or trial.provider_trade_no
    trial.out_refund_no = f"R{trial.number}"
    trial.save(update_fields=[*fields, "status", "paid_at", "provider_trade_no", "out_refund_no"])
    outbox_enqueue(jobs.refund_payment_trial, trial.pk)
    return Outcome.APPLIED, ""


def _trial_refunded(trial: PaymentTrial) -> tuple[str, str]:
    if trial.status == PaymentTrial.Status.REFUNDED:
        return PaymentEvent.Outcome.DUPLICATE, ""
    if trial.paid_at is None:
        return PaymentEvent.Outcome.IGNORED, "refund reported for a trial never paid"
    trial.status, trial.refunded_at = PaymentTrial.Status.REFUNDED, timezone.now()
    trial.save(update_fields=["status", "refunded_at"])
    return PaymentEvent.Outcome.APPLIED, ""


@dataclass
class _TrialRefund:
    """The parts of a Refund a provider's refund call reads."""

    out_refund_no: str
    amount: Decimal
    reason: str


TRIAL_REFUND_REASON = gettext_lazy("Trial payment refunded")


def payment_trial_refund(*, trial_id: int) -> None:
    """The outbox job queued when a trial is paid: give the money back. A provider that cannot
    be reached raises, so that RQ retries; one that refuses leaves the trial failed with why."""
    trial = PaymentTrial.objects.filter(pk=trial_id, status=PaymentTrial.Status.PAID).first()
    provider = get_provider(trial.provider) if trial is not None else None
    if trial is None or provider is None:
        return
    refund = _TrialRefund(trial.out_refund_no, trial.amount, str(TRIAL_REFUND_REASON))
    try:
        result = provider.refund(trial, refund)
    except ProviderError as exc:
        log.warning("refunding trial payment %s failed: %s", trial.number, exc)
        raise
    now = timezone.now()
    if result.status == Refund.Status.SUCCEEDED:
        changes = {"status": PaymentTrial.Status.REFUNDED, "refunded_at": now}
    elif result.status == Refund.Status.PENDING:
        changes = {"status": PaymentTrial.Status.REFUNDING}
    else:
        changes = {
            "status": PaymentTrial.Status.FAILED,
            "error": _("The refund was refused (%(reason)s): refund it in the merchant platform.")
            % {"reason": result.failure_reason or "?"},
        }
    # Only from paid: a refund notification may have finished it meanwhile.
    PaymentTrial.objects.filter(pk=trial.pk, status=PaymentTrial.Status.PAID).update(**changes)


def payment_trial_check(*, trial: PaymentTrial) -> PaymentTrial:
    """Ask the provider about a trial nobody has told us of (the 查询 button, and the page's
    polling after a while): how a trial works when notifications cannot reach this site."""
    provider = get_provider(trial.provider)
    if provider is None or trial.status != PaymentTrial.Status.STARTED:
        return trial
    notice = provider.query(trial)
    notice.order_number = notice.order_number or trial.number
    if notice.kind in (NoticeKind.PAID, NoticeKind.REFUND):
        # payments imports this module (its notices hand trials over here): imported late.
        from billing.services.payments import payment_event_record  # noqa: PLC0415

        body = json.dumps(notice.to_json(), ensure_ascii=False)
        event = payment_event_record(
            provider=trial.provider, headers={}, body=body, kind=PaymentEvent.Kind.QUERY
        )
        PaymentEvent.objects.filter(pk=event.pk).update(verified=True)
        payment_trial_notice_apply(event=event, notice=notice)
    trial.refresh_from_db()
    return trial


def payment_trials_reconcile(*, now: datetime | None = None) -> int:
    """Ask about the trials of the last day still waiting (the reconcile job): a cent paid while
    no notification could reach this site is refunded all the same. Returns how many were paid."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.PAYMENT_RECONCILE_AFTER_MINUTES)
    waiting = PaymentTrial.objects.filter(
        status=PaymentTrial.Status.STARTED, created_at__lte=cutoff, created_at__gte=now - timedelta(days=1)
    )
    paid = 0
    for trial in waiting[:50]:
        try:
            paid += payment_trial_check(trial=trial).status != PaymentTrial.Status.STARTED
        except ProviderError as exc:
            log.warning("reconcile trial %s: %s", trial.number, exc)
    return paid
