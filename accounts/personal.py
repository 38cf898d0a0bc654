"""What accounts holds about a person, described once (see onepco/personal.py)."""

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount

from accounts.models import LoginLink, User
from onepco.personal import PersonalData, erased_rows_add

USER = PersonalData(
    User,
    erased={"email": lambda user: f"erased-user-{user.pk}@erased.invalid", "name": ""},
    kept=("id", "date_joined", "last_login", "is_active"),
    internal=("password", "is_superuser", "is_staff"),
)
# One-time sign-in links: when they were made and used; the token itself is never stored.
LOGIN_LINK = PersonalData(
    LoginLink,
    kept=("created_at", "expires_at", "used_at", "revoked_at"),
    internal=("id", "user", "token_hash"),
)
DESCRIBED = (USER, LOGIN_LINK)
NOT_PERSONAL = ()


def user_personal_data(*, user: User) -> dict:
    data = USER.rows(User.objects.filter(pk=user.pk))[0]
    # WeChat bindings (allauth's SocialAccount): the openid / unionid and the profile WeChat gave.
    data["wechat"] = [
        {
            "provider": account.provider,
            "uid": account.uid,
            "profile": account.extra_data,
            "bound_at": account.date_joined.isoformat(),
            "last_sign_in": account.last_login.isoformat() if account.last_login else None,
        }
        for account in SocialAccount.objects.filter(user=user).order_by("pk")
    ]
    return data


def user_anonymise(*, user: User) -> None:
    """Erase a person's account: no name, a placeholder e-mail, no way to sign in again.

    The row stays so that orders and enrollments keep pointing at someone; nobody can tell who.
    """
    addresses = EmailAddress.objects.filter(user=user)
    erased_rows_add(EmailAddress, addresses.values_list("pk", flat=True))
    addresses.delete()
    wechat = SocialAccount.objects.filter(user=user)
    erased_rows_add(SocialAccount, wechat.values_list("pk", flat=True))
    wechat.delete()
    LoginLink.objects.filter(user=user).delete()
    USER.anonymise([user])
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["is_active", "password"])
