"""The founder's price levers per cohort (console): early-bird windows and 花呗分期."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from billing import forms, services
from billing.models import EarlyBird, InstalmentPlan
from billing.providers import get_provider
from billing.selectors import cohort_early_birds, cohorts_for_pricing, cohorts_with_price_now
from cohorts.models import Cohort
from onepco.access import staff_required


@staff_required
def price_list(request: HttpRequest) -> HttpResponse:
    """Every cohort that has not ended: its price now, early-bird windows and instalments."""
    context = {"cohorts": list(cohorts_for_pricing()), "instalments_why_not": _instalments_why_not()}
    return render(request, "billing/price_list.html", context)


def _instalments_why_not() -> str:
    """Why 花呗分期 set here would not be offered to buyers now; "" when it would."""
    if get_provider("alipay") is None:
        return _("Alipay is not set up, so no buyer is offered Huabei instalments yet.")
    if settings.ALIPAY_PRODUCT != "page":
        return _(
            "Your Alipay uses the 当面付 QR code (ALIPAY_PRODUCT=precreate), which cannot take Huabei "
            "instalments: they need Alipay page / wap pay (ALIPAY_PRODUCT=page), a contract for "
            "merchants with a business licence. Until then buyers pay at once."
        )
    return ""


def _cohort(pk: int) -> Cohort:
    return get_object_or_404(cohorts_with_price_now(Cohort.objects.select_related("course")), pk=pk)


def _window_form_save(request: HttpRequest, form: forms.EarlyBirdForm) -> bool:
    if not form.is_valid():
        return False
    try:
        services.early_bird_save(window=form.instance)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


@staff_required
def cohort_prices(request: HttpRequest, pk: int) -> HttpResponse:
    """One cohort's early-bird windows (list, add) and its instalments setting."""
    cohort = _cohort(pk)
    plan = InstalmentPlan.objects.filter(cohort=cohort).first()
    posted = request.POST.get("form") if request.method == "POST" else None
    window_form = forms.EarlyBirdForm(
        request.POST if posted == "early_bird" else None, instance=EarlyBird(cohort=cohort), prefix="eb"
    )
    plan_initial = {"periods": plan.periods, "fee_payer": plan.fee_payer} if plan else None
    plan_form = forms.InstalmentPlanForm(
        request.POST if posted == "instalments" else None, initial=plan_initial, prefix="hb"
    )
    if posted == "early_bird" and _window_form_save(request, window_form):
        messages.success(request, _("Early-bird price saved."))
        return redirect("billing:cohort_prices", pk=cohort.pk)
    if posted == "instalments" and plan_form.is_valid():
        try:
            services.instalment_plan_save(cohort=cohort, **plan_form.cleaned_data)
        except ValidationError as exc:
            plan_form.add_error("periods", exc.message_dict.get("periods", exc.messages))
        else:
            messages.success(request, _("Instalments saved."))
            return redirect("billing:cohort_prices", pk=cohort.pk)
    context = {
        "cohort": cohort,
        "windows": cohort_early_birds(cohort),
        "window_form": window_form,
        "plan_form": plan_form,
        "instalments_why_not": _instalments_why_not(),
    }
    status = 400 if window_form.errors or plan_form.errors else 200
    return render(request, "billing/cohort_prices.html", context, status=status)


@staff_required
def early_bird_edit(request: HttpRequest, pk: int, window_pk: int) -> HttpResponse:
    cohort = _cohort(pk)
    window = get_object_or_404(EarlyBird, pk=window_pk, cohort=cohort)
    form = forms.EarlyBirdForm(request.POST or None, instance=window)
    if request.method == "POST" and _window_form_save(request, form):
        messages.success(request, _("Early-bird price saved."))
        return redirect("billing:cohort_prices", pk=cohort.pk)
    context = {"cohort": cohort, "window": window, "form": form}
    return render(request, "billing/early_bird_form.html", context, status=400 if form.errors else 200)


@staff_required
@require_POST
def early_bird_delete(request: HttpRequest, pk: int, window_pk: int) -> HttpResponse:
    window = get_object_or_404(EarlyBird, pk=window_pk, cohort_id=pk)
    services.early_bird_delete(window=window)
    messages.success(request, _("Early-bird price deleted."))
    return redirect("billing:cohort_prices", pk=pk)
