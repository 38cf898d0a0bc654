"""A password changed, set or reset through allauth cancels the user's unused sign-in links."""

from allauth.account.signals import password_changed, password_reset, password_set
from django.dispatch import receiver

from accounts.services import login_links_revoke


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _login_links_revoke(sender, request, user, **kwargs) -> None:
    login_links_revoke(user=user)
