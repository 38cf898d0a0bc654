"""Referrals in the founder's console (推荐人: who brought whom, deals and rewards; the reward
settings; marking cash paid) and the reward line on the learner's home page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from billing import forms, services
from billing.models import ReferralReward, ReferralSettings
from billing.selectors import referral_rewards_owed, referrers_with_stats
from onepco.access import staff_required, student_required

PAGE_SIZE = 50


@staff_required
def referrer_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(referrers_with_stats(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "referrers": page.object_list,
        "owed": referral_rewards_owed(),
        "setup": ReferralSettings.current(),
        "paid_form": forms.ReferralRewardPaidForm(),
    }
    return render(request, "billing/referrer_list.html", context)


@staff_required
def referral_settings(request: AuthenticatedRequest) -> HttpResponse:
    form = forms.ReferralSettingsForm(request.POST or None, instance=ReferralSettings.current())
    if request.method == "POST" and form.is_valid():
        services.referral_settings_save(row=form.instance, by=request.user)
        messages.success(request, _("Referral reward saved. It applies to friends' payments from now on."))
        return redirect("billing:referrer_list")
    status = 400 if form.errors else 200
    return render(request, "billing/referral_settings.html", {"form": form}, status=status)


@staff_required
@require_POST
def referral_reward_paid(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    reward = get_object_or_404(ReferralReward, pk=pk)
    form = forms.ReferralRewardPaidForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors.get("note", [])))
        return redirect("billing:referrer_list")
    try:
        services.referral_reward_mark_paid(reward=reward, by=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Reward marked paid."))
    return redirect("billing:referrer_list")


@student_required
def learner_referral_offer(request: HttpRequest) -> HttpResponse:
    """What a referrer gets (a fragment the learner home loads): empty when no reward is set."""
    return render(request, "billing/_referral_offer.html", {"setup": ReferralSettings.current()})
