"""E-mails of billing: the buyer's enrollment instructions and the founder's alerts."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import LOGIN_LINK_DAYS, login_link_create
from billing.models import Order, Provider
from crm.models import SignupSettings
from onepco.models import MessageKind
from onepco.notify import Message, notify, notify_founder
from onepco.site import site_name


def _order_facts(order: Order, **more) -> dict:
    """What every alert names about an order, for its message's placeholders."""
    return {"number": order.number, "buyer": order.buyer_name, "cohort": order.cohort, **more}


def _founder_alert_send(*, order: Order, subject: str, lines: list[str]) -> None:
    """An e-mail to the founder about an order, ending with the link to its page."""
    link = settings.SITE_URL + reverse("billing:order_detail", args=[order.number])
    message = Message(
        subject=subject, body="\n".join([*lines, "", link]), url=link, wechat=[order.number, subject]
    )
    # One alert per order and subject: a second notification of the same event says nothing new.
    notify_founder(kind=MessageKind.ORDER_ALERT, key=f"order_alert:{order.number}:{subject}", message=message)


def order_second_payment_alert_send(*, order: Order, provider: str, trade_no: str, amount: str) -> None:
    """Tell the founder that a paid order was paid again, and which payment to refund."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid twice: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "Order %(number)s (%(buyer)s, %(cohort)s) was already paid, and another payment of "
                "%(amount)s arrived through %(provider)s (transaction %(trade_no)s)."
            )
            % _order_facts(order, amount=amount, provider=Provider(provider).label, trade_no=trade_no or "—"),
            _("onepco kept the first payment. Refund the second one in the provider's dashboard."),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_seat_wait_alert_send(*, order: Order) -> None:
    """Tell the founder that money came for an order whose seat had gone, and the choices."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid, but no seat left: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "%(buyer)s (%(email)s) paid %(amount)s for order %(number)s (%(cohort)s) through "
                "%(provider)s after the order had expired or been cancelled, and the cohort has no "
                "seat left."
            )
            % _order_facts(
                order,
                email=order.buyer_email or order.buyer_phone or "—",
                amount=f"{order.amount} {order.currency}",
                provider=Provider(order.provider).label,
            ),
            _("onepco recorded the payment but did not enroll the buyer. On the order's page, choose:"),
            _("- refund the payment, or"),
            _("- raise the cohort's capacity by one and enroll the buyer."),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_needs_email_alert_send(*, order: Order) -> None:
    """Tell the founder that a buyer who gave only a phone number paid, and what to do."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid, the buyer's e-mail is missing: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "%(buyer)s (%(email)s) paid %(amount)s for order %(number)s (%(cohort)s) and gave "
                "only a phone number at checkout."
            )
            % _order_facts(order, email=order.buyer_phone or "—", amount=f"{order.amount} {order.currency}"),
            _(
                "The seat is theirs. Ask them for an e-mail address (sign-in codes and the "
                "enrollment instructions go there) and add it on the order's page: that enrolls them."
            ),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_already_enrolled_alert_send(*, order: Order) -> None:
    """Tell the founder that a buyer who is enrolled paid again through an older order."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Paid twice for one seat: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "%(buyer)s (%(email)s) paid %(amount)s for order %(number)s (%(cohort)s) through "
                "%(provider)s, but is already enrolled in that cohort through another order."
            )
            % _order_facts(
                order,
                email=order.buyer_email or order.buyer_phone or "—",
                amount=f"{order.amount} {order.currency}",
                provider=Provider(order.provider).label,
            ),
            _("onepco recorded the payment; it takes no second seat. Refund it on the order's page."),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_amount_mismatch_alert_send(
    *, order: Order, provider: str, trade_no: str, amount: str, currency: str
) -> None:
    """Tell the founder that a payment was refused because its amount is not the order's."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Payment refused, wrong amount: order %(number)s") % {"number": order.number}
        lines = [
            _(
                "A payment of %(amount)s arrived through %(provider)s (transaction %(trade_no)s) for "
                "order %(number)s (%(buyer)s, %(cohort)s), which costs %(expected)s."
            )
            % _order_facts(
                order,
                amount=f"{amount} {currency}",
                provider=Provider(provider).label,
                trade_no=trade_no or "—",
                expected=f"{order.amount} {order.currency}",
            ),
            _(
                "onepco did not take this payment for the order. The money is at the provider: refund "
                "it there, and send the buyer the payment link again if the order is still to be paid."
            ),
        ]
    _founder_alert_send(order=order, subject=subject, lines=lines)


def order_enrollment_email_send(*, order: Order) -> None:
    """The enrollment instructions: the cohort's text, its schedule and how to sign in."""
    cohort = order.cohort
    user = order.user
    link_url = ""
    if user is not None and user.is_active and not (user.is_staff or user.is_superuser):
        token = login_link_create(user=user)
        link_url = settings.SITE_URL + reverse("accounts:login_link", args=[token])
    signup = SignupSettings.current()
    context = {
        "order": order,
        "cohort": cohort,
        "lessons": cohort.lessons.order_by("starts_at")[:50],
        "login_link_url": link_url,
        "login_link_days": LOGIN_LINK_DAYS,
        "login_url": settings.SITE_URL + reverse("account_login"),
        "learn_url": settings.SITE_URL + reverse("cohorts:learn_home"),
        "wechat_id": signup.wechat_id.strip(),
        "wechat_qr_url": settings.SITE_URL + reverse("crm:wechat_qr") if signup.wechat_qr else "",
        "SITE_NAME": site_name(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are enrolled: %(cohort)s") % {"cohort": cohort}
        body = render_to_string("billing/email/enrollment.txt", context)
        first = next(iter(context["lessons"]), None)
        starts = f"{timezone.localtime(first.starts_at):%Y-%m-%d %H:%M}" if first else "—"
    message = Message(
        subject=subject, body=body, url=context["learn_url"], wechat=[str(cohort), starts, order.number]
    )
    notify(
        kind=MessageKind.ENROLLMENT,
        key=f"enrollment:{order.number}",
        user=user,
        email=order.buyer_email,
        message=message,
    )
