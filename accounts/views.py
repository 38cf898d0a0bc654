from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import services
from accounts.forms import ProfileForm
from onepco.access import is_student, login_required, public


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


@public
def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ takes no password: it sends the visitor to the site's sign-in, and back.

    The admin's own form had none of allauth's limits (per address, read through
    TRUSTED_PROXY_COUNT, and per account), so it was the door to guess the founder's password
    at. One sign-in page for everyone, with its limits, e-mailed codes and logging.
    """
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(target)
        # Signed in without the role: the site's login would send them back here, in circles.
        raise PermissionDenied
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


@public
def login_link(request: HttpRequest, token: str) -> HttpResponse:
    """A one-time sign-in link from the enrollment e-mail. The GET only asks to confirm (mail
    scanners open links; they must not spend it), the POST signs in and opens /learn/."""
    try:
        if request.method == "POST":
            user = services.login_link_use(token=token)
        else:
            services.login_link_check(token=token)
            return render(request, "account/login_link.html", {"token": token})
    except services.LoginLinkRefused as refused:
        context = {"reason": refused.reason, "request_code_url": reverse("account_request_login_code")}
        return render(request, "account/login_link_refused.html", context, status=410)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("cohorts:learn_home")
