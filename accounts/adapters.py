import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

from accounts.wechat.signin import wechat_pre_login
from onepco.site import site_name

log = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    # The messages of the sign-in pages in the site's own words (allauth's Chinese says 您).
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is switched off."),
        "email_password_mismatch": _("This e-mail address and password do not match."),
        "enter_current_password": _("Enter your current password."),
        "incorrect_code": _("This code is not right."),
        "incorrect_password": _("This password is not right."),
        "invalid_or_expired_key": _("This link is not valid or has expired."),
        "invalid_password_reset": _("This password reset link is not valid or has expired."),
        "too_many_login_attempts": _("Too many failed sign-ins. Try again later."),
        "rate_limited": _("Too many requests. Wait a little and try again."),
        "unknown_email": _("No account uses this e-mail address."),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Students get an account when they pay or when the founder adds them.
        return False

    def format_email_subject(self, subject: str) -> str:
        # The site's name as the founder set it (site settings), not the host or the env only.
        return f"[{site_name()}] {force_str(subject)}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # Our e-mail templates (templates/account/email/) name the site from site settings and
        # link to SITE_URL, never to the Host header of the request that asked for the e-mail.
        context = {"site_name": site_name(), "site_url": settings.SITE_URL, **context}
        super().send_mail(template_prefix, email, context)

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the failed-login limit per account on "<site domain>:<login>", and without
        # django.contrib.sites the domain is the request's Host header, port included, which host
        # validation ignores: "Host: example.com:1", ":2"… each got a fresh count, so a guesser
        # with many addresses was held by nothing. One count per account, whatever the Host.
        login = credentials.get("email", credentials.get("username", ""))
        return f"account:{login.lower()}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """WeChat sign-in (accounts/wechat/): apps from the settings only, and no sign-up form: a
    WeChat account that is nobody's yet is joined to an account by a code e-mailed to it."""

    def list_apps(self, request, provider=None, client_id=None):
        # An app typed into the admin would bypass the settings (and the checks on them).
        return [
            app
            for app in super().list_apps(request, provider=provider, client_id=client_id)
            if app.pk is None
        ]

    def is_open_for_signup(self, request: HttpRequest, sociallogin) -> bool:
        return False

    def pre_social_login(self, request: HttpRequest, sociallogin) -> None:
        wechat_pre_login(request, sociallogin)

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount) -> str:
        return reverse("accounts:account")

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        # The visitor sees "did not work"; the operator needs WeChat's own words (errcode, errmsg).
        log.warning("WeChat sign-in failed (%s): %s %s", provider.id, error, exception or "")
