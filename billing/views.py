"""Billing's pages: checkout and payment (public, by unguessable order number), provider
notifications (open, only signed payloads change anything), and the founder's console."""

import contextlib
import re
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.requests import AuthenticatedRequest
from billing import forms, services
from billing.models import (
    Coupon,
    Order,
    PayeeAccount,
    PaymentEvent,
    Provider,
    ReferralReward,
    TransferProof,
)
from billing.providers import ProviderError, StartKind, enabled_providers, get_provider
from billing.providers.simulated import simulated_notification
from billing.selectors import (
    cohort_on_sale,
    cohort_seats_left,
    cohorts_on_sale,
    cohorts_with_unpaid_holds,
    cohorts_with_waitlist,
    coupon_preview,
    coupons_with_stats,
    course_offer,
    instalment_choices,
    instalments_available,
)
from billing.selectors import order_list as orders_filtered
from cohorts.models import Cohort
from cohorts.selectors import cohort_enrolment_refusal, course_showcase, course_syllabus
from crm.attribution import attribution_capture, attribution_from_request
from crm.models import Lead
from crm.services import lead_capture
from crm.signup import signup_contact, signup_page
from onepco.access import provider_signed, public, staff_required
from onepco.images import image_file_response
from onepco.network import client_ip
from onepco.qr import qr_svg
from onepco.ratelimit import rate_limited
from onepco.site import site_name

QUERY_THROTTLE_SECONDS = 15


def _is_phone(request: HttpRequest) -> bool:
    agent = request.headers.get("User-Agent", "")
    return any(word in agent for word in ("Mobile", "Android", "iPhone", "MicroMessenger"))


def _payable(order: Order) -> bool:
    # An order made in admin without an expiry stays payable until someone closes it.
    expiry = order.expires_at
    return order.status == Order.Status.PENDING and (expiry is None or expiry > timezone.now())


# --- buying ----------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def course_index(request: HttpRequest) -> HttpResponse:
    cohorts = list(cohorts_on_sale())
    titles = list(dict.fromkeys(cohort.course.title for cohort in cohorts))
    cover = next((c.course for c in cohorts if c.course.cover_image), None)
    share = _share_tags(
        title=_("Courses open for signup") + " · " + site_name(),
        description="、".join(titles)
        if titles
        else _("Leave your details and we will tell you when the next cohort opens."),
        path=reverse("billing:course_index"),
        image=reverse("cohorts:course_image", args=[cover.slug, "cover"]) if cover else "",
    )
    return signup_page(request, "billing/course_index.html", {"cohorts": cohorts, "share": share})


@public
@require_http_methods(["GET", "POST"])
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """One page per course: its cohorts on sale (dates, price, seats left) and the form.

    The slug is a course's, or a cohort's on sale (billing's buy links name cohorts): the latter
    shows the same page with that cohort marked.
    """
    course, cohorts = course_offer(slug, preview=request.user.is_staff)
    # A link-builder link may carry a coupon: its price is shown and the buy links keep it.
    code = request.GET.get("coupon", "").strip()[:32]
    for cohort in cohorts:
        cohort.coupon_preview = coupon_preview(code=code, cohort=cohort) if code else None  # type: ignore[attr-defined]
    chosen = slug if slug != course.slug else ""
    buyable = [c for c in cohorts if c.enrolment_open and c.seats_left]  # type: ignore[attr-defined]
    featured = next((c for c in cohorts if c.slug == chosen), None) or (cohorts[0] if cohorts else None)
    buy = featured if featured in buyable else (buyable[0] if buyable else None)
    if buy is not None:
        buy_refusal = ""
    elif not cohorts:
        buy_refusal = _("No cohort on sale right now")
    elif featured is not None and not featured.enrolment_open:
        buy_refusal = featured.enrolment_refusal()
    else:
        buy_refusal = _("Sold out")
    context = {
        "course": course,
        "cohorts": cohorts,
        "chosen": chosen,
        "syllabus": course_syllabus(course, cohorts[0] if cohorts else None),
        "showcase": course_showcase(course),
        "faqs": list(course.faqs.all()),
        "buy_cohort": buy,
        "buy_refusal": buy_refusal,
        "waitlist_cohort": featured if buy is None else None,  # full or closed: 加入候补
        "instalments_on": instalments_available(),
        "coupon_code": code.upper(),
        "coupon_query": urlencode({"coupon": code}) if any(c.coupon_preview for c in cohorts) else "",  # type: ignore[attr-defined]
        "share": _share_tags(
            title=course.title,
            description=course.tagline or course.description,
            path=reverse("billing:course_detail", args=[course.slug]),
            image=reverse("cohorts:course_image", args=[course.slug, "cover"]) if course.cover_image else "",
        ),
    }
    return signup_page(request, "billing/course_detail.html", context)


def _share_tags(*, title: str, description: str, path: str, image: str = "") -> dict[str, str]:
    """What a link shared in WeChat or elsewhere previews: Open Graph title, description, image
    and address, absolute from SITE_URL (the crawler does not know the address the founder uses)."""
    text = " ".join(strip_tags(description).replace("#", " ").replace("*", "").split())
    return {
        "title": title,
        "description": Truncator(text).chars(120),
        "url": settings.SITE_URL + path,
        "image": settings.SITE_URL + image if image else "",
    }


@public
def checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """A prospect buys a seat in the cohort of a course page: their details → a pending order
    → the payment page."""
    cohort = cohort_on_sale(slug)
    if cohort is None:
        raise Http404
    attribution_capture(request)  # a buy link shared in a post is a landing too
    if cohort.seats_left <= 0:  # type: ignore[attr-defined]  # annotated by cohort_on_sale
        return render(request, "billing/checkout.html", {"cohort": cohort, "sold_out": True})
    refusal = cohort_enrolment_refusal(cohort)
    if refusal:
        context = {"cohort": cohort, "not_open": refusal}
        return render(
            request, "billing/checkout.html", context, status=403 if request.method == "POST" else 200
        )
    # Filled in from the signup this visitor just made (their own session only).
    # or from the personal link of a next-cohort e-mail to the waitlist (signed).
    initial = {
        **signup_contact(request),
        **services.waitlist_next_cohort_contact(request.GET.get("from", "")[:300]),
        "coupon": request.GET.get("coupon", "")[:32],
    }
    form = forms.CheckoutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _checkout_limited(request, email=data["email"], phone=data["phone"]):
            form.add_error(
                None,
                _("Too many orders from your network or with these contact details. Please try again later."),
            )
            return render(request, "billing/checkout.html", {"form": form, "cohort": cohort}, status=429)
        touch = lead_capture(
            name=data["name"], email=data["email"], phone=data["phone"], kind="checkout",
            consent_at=timezone.now(), attribution=attribution_from_request(request),
        )  # fmt: skip
        try:
            order = services.order_place(
                cohort=cohort, buyer_name=data["name"], buyer_email=data["email"],
                buyer_phone=data["phone"], lead=touch.lead, coupon_code=data["coupon"],
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error("coupon" if exc.code == "coupon" else None, exc)
        else:
            _order_placed_here(request, order)
            if order.amount == 0:  # a 100 %-off coupon: enrolled now, no provider asked
                services.order_free_complete(order=order)
            return redirect("billing:pay", number=order.number)
    status = 400 if form.errors else 200
    code = form["coupon"].value() or ""
    context = {
        "form": form,
        "cohort": cohort,
        "preview": coupon_preview(code=code, cohort=cohort) if code else None,
        "instalments_on": instalments_available(),
    }
    return render(request, "billing/checkout.html", context, status=status)


def _checkout_limited(request: HttpRequest, *, email: str, phone: str) -> bool:
    """Counts a checkout against the visitor's address (the proxy-aware one: a forged
    X-Forwarded-For does not escape it), the e-mail and the phone; True past any limit."""
    counters = [
        ("checkout", client_ip(request), settings.CHECKOUT_RATE_LIMIT),
        ("checkout-email", email.strip().lower(), settings.CHECKOUT_CONTACT_RATE_LIMIT),
    ]
    digits = re.sub(r"\D", "", phone)[-11:]  # "+86 139…" and "139…" are one phone
    if digits:
        counters.append(("checkout-phone", digits, settings.CHECKOUT_CONTACT_RATE_LIMIT))
    return rate_limited(*counters)


@public
@never_cache
def pay(request: HttpRequest, number: str) -> HttpResponse:
    """The payment page: choose a method, then scan, follow or transfer."""
    order = get_object_or_404(Order.objects.select_related("cohort__course"), number=number)
    if order.is_paid and request.method == "GET":
        # Paid while this page waited (a scanned QR code): the success page, which signs in
        # the buyer of this browser.
        return redirect("billing:pay_return", number=number)
    form = _pay_method_form(order, request.POST or None)
    if request.method == "POST" and _payable(order) and form.is_valid():
        method = form.cleaned_data["provider"]
        try:
            start = services.order_payment_start(
                order=order, provider_name=method, request=request, phone=_is_phone(request),
                instalments=form.cleaned_data["instalments"],
            )  # fmt: skip
        except (ValidationError, ProviderError) as exc:
            messages.error(
                request, _("This payment method failed, please try another one. (%(e)s)") % {"e": exc}
            )
            return redirect("billing:pay", number=number)
        if start.kind == StartKind.REDIRECT:
            return redirect(start.url)
        cache.set(f"billing:start:{number}", {"method": method, "qr": start.qr_text}, 60 * 60 * 24)
        return redirect("billing:pay", number=number)
    status = 400 if form.errors else 200  # a method or 花呗 periods not offered
    return _pay_page(request, order, form=form, proof_form=forms.ProofForm(), status=status)


def _pay_method_form(order: Order, data=None) -> forms.PayMethodForm:
    periods, seller_pays = instalment_choices(order.cohort)
    return forms.PayMethodForm(
        data, methods=[p.name for p in enabled_providers()], instalments=periods, seller_pays=seller_pays
    )


def _pay_page(
    request: HttpRequest, order: Order, *, form: forms.PayMethodForm, proof_form: forms.ProofForm, status=200
) -> HttpResponse:
    started = cache.get(f"billing:start:{order.number}") if _payable(order) else None
    manual = bool(started and started["method"] == Provider.MANUAL)
    proofs = list(order.proofs.all())
    context = {
        "order": order,
        "form": form,
        "payable": _payable(order),
        "started": started,
        "qr_svg": qr_svg(started["qr"]) if started and started["qr"] else "",
        "payees": PayeeAccount.objects.filter(is_active=True) if manual else [],
        # A refused proof shows its form again with the reason, whatever was chosen before.
        "show_proof_form": manual or proof_form.is_bound,
        "proof_form": proof_form,
        "proofs": proofs,
        "proof_pending": any(proof.status == TransferProof.Status.PENDING for proof in proofs),
    }
    return render(request, "billing/pay.html", context, status=status)


def _query_throttled(order: Order) -> None:
    """Ask the provider about a pending order, at most every few seconds per order."""
    if order.status != Order.Status.PENDING or not order.provider:
        return
    if not cache.add(f"billing:query:{order.number}", 1, QUERY_THROTTLE_SECONDS):
        return
    # A provider that cannot be reached now: the notification or the reconcile job will tell.
    with contextlib.suppress(ProviderError):
        services.order_query(order=order)


@public
@never_cache
def pay_status(request: HttpRequest, number: str) -> HttpResponse:
    """Polled by the payment page; reloads the page once the order is no longer pending."""
    order = get_object_or_404(Order, number=number)
    if timezone.now() - order.created_at > timedelta(seconds=20):
        _query_throttled(order)
        order.refresh_from_db()
    response = render(request, "billing/_pay_status.html", {"order": order})
    if order.status != Order.Status.PENDING:
        response["HX-Refresh"] = "true"
    return response


@public
@never_cache
def pay_return(request: HttpRequest, number: str) -> HttpResponse:
    """Where the provider sends the browser back. It never marks anything paid: it shows
    "processing" and asks the provider when no notification has arrived yet."""
    order = get_object_or_404(Order.objects.select_related("cohort__course"), number=number)
    _query_throttled(order)
    order.refresh_from_db()
    if _buyer_sign_in(request, order):
        messages.success(request, _("Paid — welcome aboard! You are signed in to your learning space."))
        return redirect("cohorts:learn_home")
    return render(request, "billing/return.html", {"order": order})


# The orders this browser placed (its session), so that the success page signs in the buyer who
# paid here, and nobody else who has the order's number or link.
PLACED_ORDERS_SESSION_KEY = "billing:placed_orders"
PLACED_ORDERS_KEPT = 5
SIGN_IN_AFTER_PAYMENT = timedelta(minutes=30)


def _order_placed_here(request: HttpRequest, order: Order) -> None:
    placed = [n for n in request.session.get(PLACED_ORDERS_SESSION_KEY, []) if n != order.number]
    request.session[PLACED_ORDERS_SESSION_KEY] = [*placed, order.number][-PLACED_ORDERS_KEPT:]


def _buyer_sign_in(request: HttpRequest, order: Order) -> bool:
    """Sign in the buyer of a just-paid order in the browser that placed it, once: never a
    staff account, never an order paid more than SIGN_IN_AFTER_PAYMENT ago, never over another
    signed-in person, never an account that existed before the order. Elsewhere the enrollment
    e-mail's one-time link signs them in."""
    placed = request.session.get(PLACED_ORDERS_SESSION_KEY, [])
    user = order.user
    if order.number not in placed or not order.is_paid or user is None or order.paid_at is None:
        return False
    if user.is_staff or user.is_superuser or not user.is_active:
        return False
    if timezone.now() - order.paid_at > SIGN_IN_AFTER_PAYMENT:
        return False
    if request.user.is_authenticated:
        return request.user.pk == user.pk  # already theirs; never over another person
    # Anyone can check out with someone else's e-mail and pay: only an account this order
    # created, never signed in since, is opened here; an existing one signs in by code or link.
    if user.date_joined < order.created_at or user.last_login is not None:
        return False
    request.session[PLACED_ORDERS_SESSION_KEY] = [n for n in placed if n != order.number]
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return True


@public
@require_POST
def proof_upload(request: HttpRequest, number: str) -> HttpResponse:
    """The buyer's screenshot of a manual transfer; a refusal shows the page again with the
    reason next to the field (400)."""
    order = get_object_or_404(Order.objects.select_related("cohort__course"), number=number)
    form = forms.ProofForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.transfer_proof_upload(
                order=order, image=form.cleaned_data["image"], note=form.cleaned_data["note"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Thank you. We will confirm your transfer shortly and e-mail you."))
            return redirect("billing:pay", number=number)
    return _pay_page(request, order, form=_pay_method_form(order), proof_form=form, status=400)


@public
def payee_qr(request: HttpRequest, pk: int) -> HttpResponseBase:
    account = get_object_or_404(PayeeAccount, pk=pk, is_active=True)
    if not account.qr_image:
        raise Http404
    return image_file_response(account.qr_image)


@public
def simulated_pay(request: HttpRequest, number: str) -> HttpResponse:
    """The simulated provider's payment page (development only): "Pay" sends a signed
    notification through the same path as a real provider's."""
    if get_provider(Provider.SIMULATED) is None:
        raise Http404
    order = get_object_or_404(Order.objects.select_related("cohort__course"), number=number)
    if request.method == "POST" and _payable(order):
        headers, body = simulated_notification(order, status=request.POST.get("outcome", "paid"))
        services.payment_notification_receive(provider_name=Provider.SIMULATED, headers=headers, body=body)
        return redirect("billing:pay_return", number=number)
    return render(request, "billing/simulated.html", {"order": order, "payable": _payable(order)})


# --- notifications -------------------------------------------------------------------------


def _notification(request: HttpRequest, provider_name: str) -> HttpResponse:
    provider = get_provider(provider_name)
    if provider is None:
        raise Http404
    body, length = _notification_body(request)
    if body is None:
        services.payment_notification_oversized(
            provider_name=provider_name, headers=dict(request.headers), length=length
        )
        return provider.answer_error("body too large", status=413)
    event = services.payment_notification_receive(
        provider_name=provider_name, headers=dict(request.headers), body=body
    )
    if event.outcome == PaymentEvent.Outcome.REJECTED:
        return provider.answer_error(event.error or "rejected")
    if event.outcome == PaymentEvent.Outcome.ERROR:
        return provider.answer_error("error", status=500)
    return provider.answer_ok()


def _notification_body(request: HttpRequest) -> tuple[bytes | None, int]:
    """The raw body and its length; None for the body when it is over PAYMENT_NOTIFY_MAX_BYTES,
    which is never read further than the limit (a declared length over it is not read at all)."""
    limit = settings.PAYMENT_NOTIFY_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None, declared
    body = request.read(limit + 1)
    if len(body) > limit:
        return None, max(declared, len(body))
    return body, len(body)


@provider_signed
@csrf_exempt
@require_POST
def notify_alipay(request: HttpRequest) -> HttpResponse:
    return _notification(request, Provider.ALIPAY)


@provider_signed
@csrf_exempt
@require_POST
def notify_wechat(request: HttpRequest) -> HttpResponse:
    return _notification(request, Provider.WECHAT)


@provider_signed
@csrf_exempt
@require_POST
def webhook_stripe(request: HttpRequest) -> HttpResponse:
    return _notification(request, Provider.STRIPE)


# --- console -------------------------------------------------------------------------------


@staff_required
def order_list(request: HttpRequest) -> HttpResponse:
    filters = forms.OrderFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    page = Paginator(orders_filtered(data), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "page_obj": page,
        "query_string": query.urlencode(),
        "unpaid_holds": cohorts_with_unpaid_holds(),
        "waitlists": cohorts_with_waitlist(),
    }
    return render(request, "billing/order_list.html", context)


def _order_for_staff(number: str) -> Order:
    orders = Order.objects.select_related(
        "cohort__course", "lead", "user", "enrollment", "coupon"
    ).prefetch_related(
        Prefetch("events", queryset=PaymentEvent.objects.order_by("-received_at", "-id")), "refunds", "proofs"
    )
    return get_object_or_404(orders, number=number)


@staff_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _order_for_staff(number)
    reserved = sum(r.amount for r in order.refunds.all() if r.status != "failed")
    context = {
        "order": order,
        "pay_url": settings.SITE_URL + reverse("billing:pay", args=[order.number]),
        "refund_form": forms.RefundForm(initial={"amount": order.amount - reserved}),
        "reject_form": forms.RejectForm(),
        "email_form": forms.BuyerEmailForm(),
        "can_query": bool(order.provider and (p := get_provider(order.provider)) and p.can_query),
        "seats_left": cohort_seats_left(order.cohort) if order.waits_for_seat else None,
        "enrolled_elsewhere": services.order_buyer_enrollment(order) if order.waits_for_seat else None,
        "held_by_proof": order.status == Order.Status.PENDING
        and any(proof.status == TransferProof.Status.PENDING for proof in order.proofs.all()),
        # The student who referred this buyer was credited for it: refunding it flags the reward.
        "referral_reward": ReferralReward.objects.select_related("referrer__user")
        .filter(order=order)
        .first(),
    }
    return render(request, "billing/order_detail.html", context)


@staff_required
def order_create(request: AuthenticatedRequest) -> HttpResponse:
    """The founder sells a seat to a lead (at an adjusted price if they like) and copies the link."""
    given = request.GET.get("lead", "")
    lead = Lead.objects.filter(pk=int(given)).first() if given.isascii() and given.isdigit() else None
    cohorts = Cohort.objects.filter(ends_on__gte=timezone.localdate()).select_related("course")
    initial = {"buyer_name": lead.name, "buyer_email": lead.email, "buyer_phone": lead.phone} if lead else {}
    form = forms.OrderCreateForm(request.POST or None, cohorts=cohorts, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_place(
                cohort=data["cohort"], buyer_name=data["buyer_name"], buyer_email=data["buyer_email"],
                buyer_phone=data["buyer_phone"], lead=lead, amount=data["amount"],
                created_by=request.user, note=data["note"], coupon_code=data["coupon"], discount=data["discount"],
                expires_at=timezone.now() + timedelta(hours=settings.ORDER_LINK_EXPIRY_HOURS),
            )  # fmt: skip
        except ValidationError as exc:
            form.add_error(exc.code if exc.code in ("coupon", "discount") else None, exc)
        else:
            if order.amount == 0:  # a 100 %-off coupon: the buyer is enrolled now
                services.order_free_complete(order=order)
            messages.success(request, _("Order created. Copy the payment link and send it to the buyer."))
            return redirect("billing:order_detail", number=order.number)
    context = {"form": form, "lead": lead, "hours": settings.ORDER_LINK_EXPIRY_HOURS}
    return render(request, "billing/order_create.html", context)


def _console_action(request: HttpRequest, number: str, action) -> HttpResponse:
    order = get_object_or_404(Order, number=number)
    try:
        action(order)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ProviderError as exc:
        messages.error(request, _("The provider could not be reached: %(e)s") % {"e": exc})
    return redirect("billing:order_detail", number=number)


@staff_required
@require_POST
def order_refund(request: AuthenticatedRequest, number: str) -> HttpResponse:
    form = forms.RefundForm(request.POST)
    if not form.is_valid():
        get_object_or_404(Order, number=number)
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return redirect("billing:order_detail", number=number)

    def refund(order: Order) -> None:
        services.refund_issue(order=order, by=request.user, **form.cleaned_data)
        messages.success(request, _("Refund recorded."))

    return _console_action(request, number, refund)


@staff_required
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    return _console_action(request, number, lambda order: services.order_cancel(order=order))


@staff_required
@require_POST
def order_release(request: AuthenticatedRequest, number: str) -> HttpResponse:
    def release(order: Order) -> None:
        services.order_hold_release(order=order, by=request.user)
        messages.success(request, _("The seat is released: the order has expired."))

    return _console_action(request, number, release)


@staff_required
@require_POST
def order_query(request: HttpRequest, number: str) -> HttpResponse:
    return _console_action(request, number, lambda order: services.order_query(order=order))


@staff_required
@require_POST
def order_confirm_transfer(request: AuthenticatedRequest, number: str) -> HttpResponse:
    proof_pk = request.POST.get("proof", "")

    def confirm(order: Order) -> None:
        proof = (
            get_object_or_404(TransferProof, pk=proof_pk, order=order)
            if proof_pk.isascii() and proof_pk.isdigit()
            else None
        )
        services.transfer_confirm(order=order, proof=proof, by=request.user)
        messages.success(request, _("Payment confirmed: the buyer is enrolled."))

    return _console_action(request, number, confirm)


@staff_required
@require_POST
def order_seat_grant(request: AuthenticatedRequest, number: str) -> HttpResponse:
    """Paid without a seat: enroll the buyer, raising the cohort's capacity if it must."""

    def grant(order: Order) -> None:
        services.order_seat_grant(order=order, by=request.user)
        messages.success(request, _("The buyer is enrolled; the enrollment e-mail is on its way."))

    return _console_action(request, number, grant)


@staff_required
@require_POST
def order_buyer_email(request: HttpRequest, number: str) -> HttpResponse:
    """Paid with only a phone number: the founder adds the buyer's e-mail, which enrolls them."""
    form = forms.BuyerEmailForm(request.POST)

    def add(order: Order) -> None:
        if not form.is_valid():
            raise ValidationError(list(form.errors["email"]))
        services.order_buyer_email_add(order=order, email=form.cleaned_data["email"])
        messages.success(request, _("The buyer is enrolled; the enrollment e-mail is on its way."))

    return _console_action(request, number, add)


@staff_required
@require_POST
def proof_reject(request: AuthenticatedRequest, number: str, pk: int) -> HttpResponse:
    proof = get_object_or_404(TransferProof, pk=pk, order__number=number)
    form = forms.RejectForm(request.POST)
    if form.is_valid():
        try:
            services.transfer_proof_reject(proof=proof, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Give a reason for the rejection."))
    return redirect("billing:order_detail", number=number)


@staff_required
def proof_image(request: HttpRequest, number: str, pk: int) -> HttpResponseBase:
    proof = get_object_or_404(TransferProof, pk=pk, order__number=number)
    return image_file_response(proof.image, private=True)


@staff_required
def coupon_list(request: HttpRequest) -> HttpResponse:
    return render(request, "billing/coupon_list.html", {"coupons": coupons_with_stats()})


@staff_required
def coupon_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create a coupon, or edit one (pausing is unticking 'active')."""
    coupon = get_object_or_404(Coupon, pk=pk) if pk is not None else Coupon()
    form = forms.CouponForm(request.POST or None, instance=coupon)
    if request.method == "POST" and form.is_valid():
        try:
            services.coupon_save(coupon=form.instance)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Coupon saved."))
            return redirect("billing:coupon_list")
    status = 400 if form.errors else 200
    link = ""
    if coupon.pk and coupon.cohort is not None:  # a buy link that carries the code
        link = (
            settings.SITE_URL
            + reverse("billing:checkout", args=[coupon.cohort.slug])
            + f"?coupon={coupon.code}"
        )
    context = {"form": form, "coupon": coupon, "link": link}
    return render(request, "billing/coupon_form.html", context, status=status)


@staff_required
@require_POST
def coupon_pause(request: HttpRequest, pk: int) -> HttpResponse:
    coupon = get_object_or_404(Coupon, pk=pk)
    coupon.is_active = not coupon.is_active
    services.coupon_save(coupon=coupon)
    messages.success(request, _("Coupon resumed.") if coupon.is_active else _("Coupon paused."))
    return redirect("billing:coupon_list")
