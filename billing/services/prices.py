"""The founder's price levers per cohort: early-bird windows and 花呗分期 (instalments)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import INSTALMENT_PERIODS, EarlyBird, InstalmentPlan
from cohorts.models import Cohort
from onepco.templatetags.onepco import money as money_text


def early_bird_save(*, window: EarlyBird) -> EarlyBird:
    """Create or change an early-bird window: below the cohort's regular price, ending on or
    after its first day, overlapping none of the cohort's other windows (the cohort row is
    locked while they are compared, so two saves cannot overlap each other). Errors are
    ValidationErrors keyed by field, for the form."""
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=window.cohort_id)
        errors: dict[str, str] = {}
        if window.price is not None and window.price >= cohort.price:
            errors["price"] = _("The early-bird price must be below the regular price (%(price)s).") % {
                "price": money_text(cohort.price)
            }
        if window.first_day and window.last_day and window.last_day < window.first_day:
            errors["last_day"] = _("The last day cannot come before the first day.")
        if not errors and window.last_day:
            others = EarlyBird.objects.filter(cohort=cohort).exclude(pk=window.pk)
            overlaps = others.filter(last_day__gte=window.first_day) if window.first_day else others
            overlaps = overlaps.filter(Q(first_day__isnull=True) | Q(first_day__lte=window.last_day))
            clash = overlaps.order_by("last_day").first()
            if clash is not None:
                errors["first_day"] = _("This overlaps the window %(first)s – %(last)s.") % {
                    "first": clash.first_day or "…",
                    "last": clash.last_day,
                }
        if errors:
            raise ValidationError(errors)
        window.full_clean()
        window.save()
    return window


def early_bird_delete(*, window: EarlyBird) -> None:
    """Orders already placed keep the price they were placed at."""
    window.delete()


def instalment_plan_save(*, cohort: Cohort, periods: list[int], fee_payer: str) -> InstalmentPlan:
    """Which 花呗分期 periods buyers of the cohort may choose (none: switched off) and who pays
    the fee. Orders whose payment already started keep what they were started with."""
    unknown = [n for n in periods if n not in INSTALMENT_PERIODS]
    if unknown:
        raise ValidationError({"periods": _("Alipay offers 3, 6 or 12 periods.")})
    plan, _created = InstalmentPlan.objects.get_or_create(cohort=cohort)
    plan.periods = sorted(set(periods))
    plan.fee_payer = fee_payer
    plan.updated_at = timezone.now()
    plan.full_clean()
    plan.save()
    return plan
