"""试付款 pages of the setup's money step: start a trial of a payment method, pay it, watch it
go through (notification, refund)."""

import contextlib
from datetime import timedelta

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from billing import services
from billing.models import PaymentTrial, Provider
from billing.providers import ProviderError
from billing.services.trials import payment_trial_option
from billing.views import QUERY_THROTTLE_SECONDS, _is_phone
from onepco.access import staff_required
from onepco.qr import qr_svg

# How long the page waits for the notification before it also asks the provider itself.
ASK_AFTER_SECONDS = 20


@staff_required
@require_POST
def payment_trial_start(request: AuthenticatedRequest, provider: str) -> HttpResponse:
    if provider not in Provider.values:
        raise Http404
    try:
        trial = services.payment_trial_start(
            provider_name=provider, user=request.user, request=request, phone=_is_phone(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("setup_step", step="money")
    return redirect("billing:payment_trial", number=trial.number)


def _trial_context(trial: PaymentTrial) -> dict:
    return {
        "trial": trial,
        "qr_svg": qr_svg(trial.qr_text) if trial.qr_text and not trial.is_settled else "",
        "explanation": payment_trial_option(trial.provider).explanation,
        # Paid, but no signed notification has arrived: the site's address is not reachable.
        "not_notified": trial.paid_at is not None and trial.notified_at is None,
    }


@staff_required
@never_cache
def payment_trial(request: AuthenticatedRequest, number: str) -> HttpResponse:
    trial = get_object_or_404(PaymentTrial, number=number)
    return render(
        request, "billing/payment_trial.html", {**_trial_context(trial), "title": _("Trial payment")}
    )


@staff_required
@never_cache
def payment_trial_status(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Polled by the trial's page every few seconds while something is still to happen."""
    trial = get_object_or_404(PaymentTrial, number=number)
    old = trial.should_poll and timezone.now() - trial.created_at > timedelta(seconds=ASK_AFTER_SECONDS)
    if (
        old
        and trial.status == PaymentTrial.Status.STARTED
        and cache.add(f"billing:trial-query:{trial.number}", 1, QUERY_THROTTLE_SECONDS)
    ):
        with contextlib.suppress(ProviderError):  # the 查询 button shows the error
            trial = services.payment_trial_check(trial=trial)
    return render(request, "billing/_payment_trial_status.html", _trial_context(trial))


@staff_required
@require_POST
def payment_trial_check(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """查询: ask the provider now (a payment made while notifications cannot reach this site)."""
    trial = get_object_or_404(PaymentTrial, number=number)
    try:
        trial = services.payment_trial_check(trial=trial)
    except ProviderError as exc:
        messages.error(request, _("The provider could not be asked: %(e)s") % {"e": exc})
        return redirect("billing:payment_trial", number=number)
    if trial.status == PaymentTrial.Status.STARTED:
        messages.info(request, _("The provider has no payment for this trial yet."))
    return redirect("billing:payment_trial", number=number)
