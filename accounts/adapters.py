from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Students get an account when they pay or when the founder adds them.
        return False

    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the failed-login limit per account on "<site domain>:<login>", and without
        # django.contrib.sites the domain is the request's Host header, port included, which host
        # validation ignores: "Host: example.com:1", ":2"… each got a fresh count, so a guesser
        # with many addresses was held by nothing. One count per account, whatever the Host.
        login = credentials.get("email", credentials.get("username", ""))
        return f"account:{login.lower()}"
