from allauth.socialaccount.models import SocialAccount

from accounts import wechat
from accounts.models import User


def wechat_accounts_of(*, user: User) -> list[SocialAccount]:
    """The WeChat accounts bound to a user (one per WeChat app they signed in through)."""
    return list(SocialAccount.objects.filter(user=user, provider__in=wechat.PROVIDERS).order_by("pk"))


def wechat_account_by_unionid(*, unionid: str) -> SocialAccount | None:
    """The account bound to the same person through another WeChat app of the same Open Platform."""
    if not unionid:
        return None
    return (
        SocialAccount.objects.select_related("user")
        .filter(provider__in=wechat.PROVIDERS, extra_data__unionid=unionid)
        .order_by("pk")
        .first()
    )


def user_by_wechat_openid(*, openid: str) -> User | None:
    """The active account a WeChat openid is bound to (WeChat Pay tells the payer's openid)."""
    if not openid:
        return None
    account = (
        SocialAccount.objects.select_related("user")
        .filter(provider__in=wechat.PROVIDERS, uid=openid, user__is_active=True)
        .first()
    )
    return account.user if account is not None else None
