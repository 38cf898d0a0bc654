"""One-tap actions on a refund-risk flag (今天 and the cohort page): a call or a message noted,
or the flag dismissed with why."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.requests import AuthenticatedRequest
from cohorts import services
from cohorts.forms import RefundRiskActionForm
from cohorts.models import Enrollment, RefundRiskAction
from onepco.access import staff_required


@staff_required
@require_POST
def refund_risk_action(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(Enrollment.objects.select_related("student__user", "cohort"), pk=pk)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    form = RefundRiskActionForm(request.POST)
    if form.is_valid():
        try:
            action = services.refund_risk_action_record(
                enrollment=enrollment,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            done = {
                RefundRiskAction.Kind.CALLED: _("Call noted for %(name)s."),
                RefundRiskAction.Kind.MESSAGED: _("Message noted for %(name)s."),
                RefundRiskAction.Kind.DISMISSED: _("%(name)s is no longer flagged."),
            }[RefundRiskAction.Kind(action.kind)]
            messages.success(request, done % {"name": enrollment.student})
            return redirect(back or "cohorts:console_cohort", *([] if back else [enrollment.cohort_id]))
    context = {"enrollment": enrollment, "form": form, "next": back}
    return render(request, "cohorts/refund_risk_action.html", context, status=400)
