"""What happens around allauth's WeChat login: a known WeChat account signs in; the same person
through the other WeChat app (same unionid) is joined to their account; anyone else is asked
for an e-mail address and the code sent to it before their WeChat joins (or makes) an account.

Never by an unverified address: a WeChat profile carries no e-mail at all.
"""

import hashlib
import hmac
import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base import AuthProcess
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from accounts import wechat
from accounts.selectors import wechat_account_by_unionid

PENDING_KEY = "wechat_pending_login"
CODE_KEY = "wechat_pending_code"


def wechat_pre_login(request: HttpRequest, sociallogin: SocialLogin) -> None:
    """allauth's pre_social_login hook, for the WeChat providers."""
    if sociallogin.account.provider not in wechat.PROVIDERS:
        return
    if sociallogin.is_existing:
        return  # a bound WeChat: it signs in (or, when connecting, allauth tells whose it is)
    process = sociallogin.state.get("process")
    linked = wechat_account_by_unionid(unionid=str(sociallogin.account.extra_data.get("unionid") or ""))
    if process == AuthProcess.CONNECT:
        if linked is not None and linked.user_id != request.user.pk:
            # The same person's WeChat is bound to another account through the other app.
            messages.error(request, _("This WeChat is already bound to another account."))
            raise ImmediateHttpResponse(redirect("accounts:account"))
        return
    if linked is not None:
        # Signed in before through the other WeChat app: the unionid says it is them.
        sociallogin.connect(request, linked.user)
        return
    request.session.pop(CODE_KEY, None)
    request.session[PENDING_KEY] = sociallogin.serialize()
    raise ImmediateHttpResponse(redirect("accounts:wechat_finish"))


def pending_login(request: HttpRequest) -> SocialLogin | None:
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    try:
        return SocialLogin.deserialize(data)
    except Exception:  # an app removed from the settings since, a session of an older version
        pending_clear(request)
        return None


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(CODE_KEY, None)


def _digest(code: str) -> str:
    normal = "".join(ch for ch in code.upper() if ch.isalnum())  # "abcd efgh", "ABCD-EFGH" are one code
    return hmac.new(settings.SECRET_KEY.encode(), normal.encode(), hashlib.sha256).hexdigest()


def code_send(request: HttpRequest, *, email: str) -> None:
    """E-mail a sign-in code to the address (the login code's own e-mail); the session keeps
    its digest, the address, the time and the attempts left."""
    adapter = get_account_adapter(request)
    code = adapter.generate_login_code()
    adapter.send_mail("account/email/login_code", email, {"request": request, "code": code})
    request.session[CODE_KEY] = {
        "email": email,
        "digest": _digest(code),
        "sent_at": time.time(),
        "attempts": account_settings.LOGIN_BY_CODE_MAX_ATTEMPTS,
    }


def code_email(request: HttpRequest) -> str:
    return (request.session.get(CODE_KEY) or {}).get("email", "")


class CodeRefused(Exception):
    """ "wrong" (attempts left), "spent" (none left, or expired): ask for a new code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def code_check(request: HttpRequest, *, code: str) -> str:
    """The verified e-mail address, or CodeRefused."""
    state = request.session.get(CODE_KEY)
    if not state:
        raise CodeRefused("spent")
    if time.time() - state["sent_at"] > account_settings.LOGIN_BY_CODE_TIMEOUT or state["attempts"] <= 0:
        request.session.pop(CODE_KEY, None)
        raise CodeRefused("spent")
    if not hmac.compare_digest(state["digest"], _digest(code)):
        state["attempts"] -= 1
        request.session[CODE_KEY] = state
        if state["attempts"] <= 0:
            request.session.pop(CODE_KEY, None)
            raise CodeRefused("spent")
        raise CodeRefused("wrong")
    request.session.pop(CODE_KEY, None)
    return state["email"]
