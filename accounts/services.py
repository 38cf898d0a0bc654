import secrets

from django.db import transaction

from accounts.models import User


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
