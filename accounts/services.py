import hashlib
import secrets
from datetime import timedelta

from allauth.socialaccount.models import SocialAccount
from django.db import transaction
from django.utils import timezone

from accounts import wechat
from accounts.models import LoginLink, User


@transaction.atomic
def user_get_or_create(*, email: str, name: str = "") -> tuple[User, bool]:
    """The account for an e-mail address (case-insensitive); new accounts have no password.

    A new user signs in with a code e-mailed to them, or sets a password by resetting it.
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        if name and not user.name:
            user.name = name
            user.save(update_fields=["name"])
        return user, False
    user = User.objects.create_user(email=email, name=name)
    return user, True


def founder_ensure(*, email: str, password: str = "") -> tuple[User, bool, str | None]:
    """The founder's account (the first staff user): (user, created, generated password).

    The password is returned only when it was just generated: it is shown once, never stored.
    """
    founder = User.objects.filter(is_staff=True).order_by("pk").first()
    if founder is not None:
        return founder, False, None
    generated = "" if password else secrets.token_urlsafe(12)
    founder = User.objects.create_superuser(email=email, password=password or generated, name="Founder")
    return founder, True, generated or None


LOGIN_LINK_DAYS = 7


def _login_link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_link_create(*, user: User) -> str:
    """A one-time sign-in link's token for a student (never for staff): valid LOGIN_LINK_DAYS
    days, used once. The token is returned, only its hash is kept."""
    if user.is_staff or user.is_superuser or not user.is_active:
        raise ValueError("Sign-in links are for active students only")
    token = secrets.token_urlsafe(32)
    LoginLink.objects.create(
        user=user,
        token_hash=_login_link_hash(token),
        expires_at=timezone.now() + timedelta(days=LOGIN_LINK_DAYS),
    )
    return token


class LoginLinkRefused(Exception):
    """Why a sign-in link does not sign anyone in: "used", "expired" or "invalid"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def login_link_check(*, token: str) -> LoginLink:
    """The link a token belongs to, if it can still sign in; else LoginLinkRefused."""
    link = LoginLink.objects.select_related("user").filter(token_hash=_login_link_hash(token)).first()
    if link is None or link.revoked_at is not None:
        raise LoginLinkRefused("invalid")
    user = link.user
    if user.is_staff or user.is_superuser or not user.is_active:
        raise LoginLinkRefused("invalid")
    if link.used_at is not None:
        raise LoginLinkRefused("used")
    if link.expires_at <= timezone.now():
        raise LoginLinkRefused("expired")
    return link


@transaction.atomic
def login_link_use(*, token: str) -> User:
    """Spend a sign-in link: the user it signs in, once (a second use raises "used")."""
    link = login_link_check(token=token)
    # Claimed with a conditional update, so two requests racing on one link sign in once.
    claimed = LoginLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
    if not claimed:
        raise LoginLinkRefused("used")
    return link.user


def login_links_revoke(*, user: User) -> int:
    """Cancel a user's unused sign-in links (their password changed, was set or reset)."""
    return LoginLink.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


class WeChatRefused(Exception):
    """Why a WeChat binding cannot be made or undone: "bound", "inactive" or "no-email"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@transaction.atomic
def wechat_join(*, request, sociallogin, email: str) -> User:
    """Bind a WeChat account nobody had to the account of a verified e-mail address (made if
    there is none): one person, one account, whichever way they came in."""
    account = sociallogin.account
    if SocialAccount.objects.filter(provider=account.provider, uid=account.uid).exists():
        raise WeChatRefused("bound")  # bound meanwhile (another tab): sign in with it
    existing = User.objects.filter(email__iexact=email.strip()).first()
    if existing is not None and not existing.is_active:
        raise WeChatRefused("inactive")
    user, _created = user_get_or_create(email=email, name=(account.extra_data.get("nickname") or "")[:100])
    sociallogin.connect(request, user)
    return user


def wechat_unbind(*, user: User) -> int:
    """Unbind WeChat from an account that still signs in by e-mail: every WeChat app's binding."""
    if not user.email or user.email.endswith("@erased.invalid"):
        raise WeChatRefused("no-email")
    deleted, _ = SocialAccount.objects.filter(user=user, provider__in=wechat.PROVIDERS).delete()
    return deleted
