"""First-run setup (设置向导): the five steps a founder goes through before selling, whether
each is done, and the test e-mail. The console home shows the unfinished ones; the 设置 page
lists them all, each re-openable."""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.providers import enabled_providers
from console.health import email_backend_name
from crm.models import SignupSettings
from crm.selectors import signup_is_live
from onepco.site import site_name, site_settings, site_settings_fresh, site_settings_save

STEPS = {
    "brand": gettext_lazy("Brand: name, logo, contact e-mail"),
    "next-step": gettext_lazy("The thank-you page's next step"),
    "money": gettext_lazy("Payment methods"),
    "email": gettext_lazy("E-mail: send a test message"),
    "policies": gettext_lazy("Privacy notice and refund policy"),
}


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    url: str


def setup_steps(signup: SignupSettings | None = None) -> list[Step]:
    """The five steps in order, each done or not. Two queries (the signup row and whether an
    active payee account exists); the site row comes from the cache."""
    row = site_settings()
    real_methods = [p for p in enabled_providers() if p.name != "simulated"]
    done = {
        "brand": row.brand_saved_at is not None,
        "next-step": signup_is_live(signup),
        "money": bool(real_methods),
        "email": row.email_tested_at is not None,
        "policies": row.policies_saved_at is not None,
    }
    return [
        Step(key=key, title=str(title), done=done[key], url=reverse("setup_step", args=[key]))
        for key, title in STEPS.items()
    ]


def setup_test_email_send(*, to: str) -> str:
    """Send a test message now (not through the queue: the founder waits for the answer).
    Returns "" when the mail server took it, else the error as the server or the network gave it."""
    subject = _("[%(site)s] Test message") % {"site": site_name()}
    body = _(
        "This is a test message from your course site. If you read it, e-mails to buyers and students will arrive too."
    )
    try:
        send_mail(subject, body, None, [to], fail_silently=False)
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    site_settings_save(site_settings_fresh(), step="email")
    return ""


def email_backend_summary() -> str:
    """Where e-mail goes now, without the password."""
    backend = email_backend_name()
    if backend == "smtp":
        return f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return backend
