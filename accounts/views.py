import logging
import smtplib
from urllib.parse import urlencode

from allauth.socialaccount.helpers import complete_social_login
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services, wechat
from accounts.forms import ProfileForm, WeChatCodeForm, WeChatEmailForm
from accounts.requests import AuthenticatedRequest
from accounts.wechat import signin
from onepco import notify
from onepco.access import is_student, login_required, public
from onepco.network import client_ip
from onepco.ratelimit import rate_limited

log = logging.getLogger(__name__)


@login_required
def account(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in person's own page: name, language, password, sign out."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {
            "form": form,
            "base_template": _layout_for(request.user),
            "wechat": _wechat_block(request),
            "messages_block": _messages_block(request.user),
        },
    )


def _messages_block(user) -> dict:
    """The account page's message preferences: per kind, by e-mail and by WeChat."""
    choices = notify.preferences_of(user)
    return {
        "choices": choices,
        "wechat_column": any(c.wechat_offered for c in choices),
        "wechat_bound": bool(notify.wechat_openid(user)),
        # Offers and news: one switch, the marketing opt-out list (staff get none of it).
        "marketing": None
        if user.is_staff or not user.email
        else not notify.marketing_opted_out(email=user.email),
    }


@login_required
@require_POST
def message_preferences(request: AuthenticatedRequest) -> HttpResponse:
    """Save which kinds of message the person wants by e-mail and by WeChat. An unticked box is
    an "off"; a kind that must be e-mailed (payment, enrollment) stays on whatever is posted."""
    user = request.user
    ticked = {name for name, value in request.POST.items() if value == "on"}
    notify.preferences_save(
        user=user,
        email_on={name.removeprefix("email-") for name in ticked if name.startswith("email-")},
        wechat_on={name.removeprefix("wechat-") for name in ticked if name.startswith("wechat-")},
    )
    if not user.is_staff and user.email:
        if request.POST.get("marketing") == "on":
            notify.marketing_opt_in(email=user.email)
        else:
            notify.marketing_opt_out(email=user.email)
    messages.success(request, _("Your message preferences are saved."))
    return redirect(reverse("accounts:account") + "#messages")


def _wechat_block(request: AuthenticatedRequest) -> dict | None:
    """The account page's WeChat block: shown when a WeChat app is configured or one is bound."""
    bound = selectors.wechat_accounts_of(user=request.user)
    if not bound and not wechat.any_configured():
        return None
    names = [a.extra_data.get("nickname") for a in bound if a.extra_data.get("nickname")]
    return {
        "bound": bool(bound),
        "nickname": names[0] if names else "",
        "provider": wechat.provider_for(request),
        "in_wechat": wechat.in_wechat(request),
    }


@login_required
@require_POST
def wechat_unbind(request: AuthenticatedRequest) -> HttpResponse:
    try:
        removed = services.wechat_unbind(user=request.user)
    except services.WeChatRefused:
        messages.error(request, _("Your account has no e-mail address to sign in with: WeChat stays bound."))
    else:
        if removed:
            messages.success(request, _("WeChat is unbound. You sign in with your e-mail address."))
    return redirect("accounts:account")


@public
def wechat_connections(request: HttpRequest) -> HttpResponse:
    """allauth's list of connected accounts: WeChat is bound and unbound on the account page."""
    return redirect("accounts:account")


@public
def wechat_finish(request: HttpRequest) -> HttpResponse:
    """A WeChat nobody has bound yet: the visitor names their e-mail address, receives a code,
    enters it; their WeChat then joins the account of that address (made if there is none)."""
    sociallogin = signin.pending_login(request)
    if sociallogin is None:
        messages.error(request, _("The WeChat sign-in has expired. Sign in with WeChat again."))
        return redirect("account_login")
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if step == "cancel":
        signin.pending_clear(request)
        return redirect("account_login")
    email_form = WeChatEmailForm(request.POST if step == "email" else None)
    code_form = WeChatCodeForm(request.POST if step == "code" else None)
    answer: HttpResponse | int = 200
    if step == "email":
        answer = _finish_send_code(request, email_form)
    elif step == "code":
        answer = _finish_check_code(request, sociallogin, code_form)
    if isinstance(answer, HttpResponse):
        return answer
    context = {
        "nickname": sociallogin.account.extra_data.get("nickname", ""),
        "email_form": email_form,
        "code_form": code_form,
        "code_email": signin.code_email(request),
    }
    return render(request, "accounts/wechat_finish.html", context, status=answer)


def _finish_send_code(request: HttpRequest, form: WeChatEmailForm) -> HttpResponse | int:
    """The code to the address given: the page that asks for it, or the status of the refusal."""
    if not form.is_valid():
        return 400
    email = form.cleaned_data["email"]
    if rate_limited(
        ("wechat_code", client_ip(request), settings.WECHAT_CODE_RATE_LIMIT),
        ("wechat_code_email", email, settings.WECHAT_CODE_EMAIL_RATE_LIMIT),
    ):
        form.add_error("email", _("Too many requests. Wait a little and try again."))
        return 429
    try:
        signin.code_send(request, email=email)
    except (smtplib.SMTPException, OSError):
        log.warning("WeChat sign-in: the code e-mail could not be sent", exc_info=True)
        form.add_error("email", _("The e-mail could not be sent. Try again in a few minutes."))
        return 503
    return redirect("accounts:wechat_finish")


def _finish_check_code(request: HttpRequest, sociallogin, form: WeChatCodeForm) -> HttpResponse | int:
    """The right code signs in (joining the WeChat); a wrong one is told next to the field."""
    if not form.is_valid():
        return 400
    try:
        email = signin.code_check(request, code=form.cleaned_data["code"])
    except signin.CodeRefused as refused:
        if refused.reason == "wrong":
            form.add_error("code", _("This code is not right."))
            return 400
        messages.error(request, _("This code has expired. Ask for a new one."))
        return redirect("accounts:wechat_finish")
    return _wechat_join(request, sociallogin, email)


def _wechat_join(request: HttpRequest, sociallogin, email: str) -> HttpResponse:
    try:
        services.wechat_join(request=request, sociallogin=sociallogin, email=email)
    except services.WeChatRefused as refused:
        if refused.reason == "inactive":
            signin.pending_clear(request)
            messages.error(request, _("This account is switched off."))
            return redirect("account_login")
        # "bound": this WeChat joined an account meanwhile; signing in below uses it.
    pending = signin.pending_login(request)
    signin.pending_clear(request)
    if pending is None:
        return redirect("account_login")
    # The same sign-in again, now that the WeChat account is bound: allauth signs it in.
    return complete_social_login(request, pending)


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
