from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import ProfileForm
from onepco.access import is_student, login_required


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in person's own page: name, language, password, sign out."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {"form": form, "base_template": _layout_for(request.user)},
    )


def _layout_for(user) -> str:
    if user.is_staff:
        return "console/base.html"
    if is_student(user):
        return "learner/base.html"
    return "public/base.html"
