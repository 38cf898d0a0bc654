"""Reads of the billing app."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import (
    INSTALMENT_PERIODS,
    Coupon,
    EarlyBird,
    InstalmentPlan,
    Order,
    Provider,
    ReferralReward,
    TransferProof,
    WaitlistEntry,
)
from billing.providers import get_provider
from cohorts.models import Cohort, Course, Student


def seat_holding(now: datetime | None = None, prefix: str = "") -> Q:
    """Orders that hold a seat: paid (a full refund frees it) or pending and not yet expired.
    A paid order waiting for a seat (paid after its own had gone) holds none.

    `prefix` applies the same condition through a relation, e.g. "orders__" from Cohort.
    """
    now = now or timezone.now()
    paid = [Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED]
    return Q(**{f"{prefix}status__in": paid, f"{prefix}seat_wait_since__isnull": True}) | Q(
        **{f"{prefix}status": Order.Status.PENDING, f"{prefix}expires_at__gt": now}
    )


def cohorts_with_seats_left(
    cohorts: QuerySet[Cohort] | None = None, now: datetime | None = None
) -> QuerySet[Cohort]:
    """Cohorts annotated with `seats_left` = capacity − seat-holding orders − seats held by a
    waitlist offer (never below 0)."""
    taken = Count("orders", filter=seat_holding(now, prefix="orders__"))
    offers = (
        waitlist_offers_holding(now)
        .filter(cohort=OuterRef("pk"))
        .order_by()
        .values("cohort")
        .annotate(n=Count("pk"))
        .values("n")
    )
    held = Coalesce(Subquery(offers, output_field=IntegerField()), Value(0))
    queryset = cohorts if cohorts is not None else Cohort.objects.all()
    return queryset.annotate(
        seats_left=Greatest(Value(0), F("capacity") - taken - held, output_field=IntegerField())
    )


def waitlist_offers_holding(now: datetime | None = None) -> QuerySet[WaitlistEntry]:
    """Waitlist offers holding a seat right now: offered, not yet lapsed, no order placed."""
    now = now or timezone.now()
    return WaitlistEntry.objects.filter(status=WaitlistEntry.Status.OFFERED, offer_expires_at__gt=now)


def cohort_seats_left(cohort: Cohort, now: datetime | None = None) -> int:
    """Seats free for a new order: capacity − seat-holding orders − held waitlist offers."""
    taken = Order.objects.filter(seat_holding(now), cohort=cohort).count()
    held = waitlist_offers_holding(now).filter(cohort=cohort).count()
    return max(cohort.capacity - taken - held, 0)


def cohorts_with_waitlist() -> QuerySet[Cohort]:
    """Cohorts with people waiting or offered a seat: `waiting` counts them. For the founder."""
    active = Q(waitlist__status__in=[WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED])
    return (
        Cohort.objects.annotate(waiting=Count("waitlist", filter=active))
        .filter(waiting__gt=0)
        .select_related("course")
        .order_by("starts_on", "id")
    )


def cohort_waitlist(cohort: Cohort) -> QuerySet[WaitlistEntry]:
    """The founder's view of a cohort's waitlist: everyone still in line or offered, in order."""
    active = [WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]
    return WaitlistEntry.objects.filter(cohort=cohort, status__in=active).select_related("lead")


def _early_birds_live(today) -> QuerySet[EarlyBird]:
    return EarlyBird.objects.filter(
        Q(first_day__isnull=True) | Q(first_day__lte=today), last_day__gte=today
    ).order_by("last_day", "id")


def cohorts_with_price_now(cohorts: QuerySet[Cohort], now: datetime | None = None) -> QuerySet[Cohort]:
    """Cohorts with `price_now` (the price of the early-bird window open on the site's date,
    else the regular price) and `early_until` (that window's last day, or None)."""
    live = _early_birds_live(timezone.localdate(now or timezone.now())).filter(cohort=OuterRef("pk"))
    return cohorts.annotate(
        price_now=Coalesce(Subquery(live.values("price")[:1]), F("price"), output_field=DecimalField()),
        early_until=Subquery(live.values("last_day")[:1], output_field=DateField()),
    )


def cohort_price_at(cohort: Cohort, now: datetime | None = None) -> Decimal:
    """What a seat in the cohort costs at this moment (what checkout charges)."""
    early = _early_birds_live(timezone.localdate(now or timezone.now())).filter(cohort=cohort).first()
    return early.price if early is not None else cohort.price


def cohort_early_birds(cohort: Cohort) -> list[EarlyBird]:
    """A cohort's early-bird windows in date order, each with `is_live` (open today)."""
    today = timezone.localdate()
    windows = list(EarlyBird.objects.filter(cohort=cohort).order_by("last_day", "id"))
    for window in windows:
        window.is_live = (window.first_day is None or window.first_day <= today) and window.last_day >= today  # type: ignore[attr-defined]
    return windows


def cohorts_for_pricing() -> QuerySet[Cohort]:
    """Every cohort that has not ended, for the founder's price page: `price_now`,
    `early_until`, `windows` (early-bird windows) and `instalment_periods`."""
    plan = InstalmentPlan.objects.filter(cohort=OuterRef("pk")).values("periods")[:1]
    cohorts = (
        Cohort.objects.filter(ends_on__gte=timezone.localdate())
        .select_related("course")
        .annotate(
            windows=Count("early_birds", distinct=True),
            instalment_periods=Subquery(plan, output_field=ArrayField(IntegerField())),
        )
    )
    return cohorts_with_price_now(cohorts).order_by("starts_on", "id")


def instalments_available() -> bool:
    """花呗分期 needs Alipay page / wap pay: 当面付 (a QR code, precreate) cannot offer it."""
    return settings.ALIPAY_PRODUCT == "page" and get_provider(Provider.ALIPAY) is not None


def instalment_choices(cohort: Cohort) -> tuple[list[int], bool]:
    """The periods a buyer of this cohort may choose now (empty when instalments are off or
    cannot be offered) and whether the seller pays the fee."""
    if not instalments_available():
        return [], False
    plan = InstalmentPlan.objects.filter(cohort=cohort).first()
    if plan is None:
        return [], False
    periods = sorted(n for n in plan.periods if n in INSTALMENT_PERIODS)
    return periods, plan.fee_payer == InstalmentPlan.FeePayer.SELLER


def cohorts_on_sale(*, drafts: bool = False) -> QuerySet[Cohort]:
    """Every cohort open for sale that has not ended, soonest first, with `seats_left`: what
    crm's course pages list and what checkout may sell. Each may still be outside its
    enrolment window (`Cohort.enrolment_refusal`). `drafts`: also those of draft courses (the
    founder's preview)."""
    cohorts = Cohort.objects.filter(sale_open=True, ends_on__gte=timezone.localdate())
    if not drafts:
        cohorts = cohorts.filter(course__status=Course.Status.PUBLISHED)
    plan = InstalmentPlan.objects.filter(cohort=OuterRef("pk")).values("periods")[:1]
    cohorts = cohorts.select_related("course").annotate(
        instalment_periods=Subquery(plan, output_field=ArrayField(IntegerField()))
    )
    return cohorts_with_price_now(cohorts_with_seats_left(cohorts)).order_by("starts_on", "id")


def cohort_on_sale(slug: str) -> Cohort | None:
    """The cohort checkout sells, by the cohort's slug, with `seats_left`; None when not on sale."""
    return cohorts_on_sale().filter(slug=slug).first()


def cohorts_with_unpaid_holds(now: datetime | None = None) -> QuerySet[Cohort]:
    """Cohorts where unpaid orders hold seats right now: `unpaid_holds` (pending, not expired)
    and `proof_holds` (of those, held by a transfer proof under review). For the founder."""
    now = now or timezone.now()
    holding = Q(orders__status=Order.Status.PENDING, orders__expires_at__gt=now)
    by_proof = holding & Q(orders__proofs__status=TransferProof.Status.PENDING)
    return (
        Cohort.objects.annotate(
            unpaid_holds=Count("orders", filter=holding, distinct=True),
            proof_holds=Count("orders", filter=by_proof, distinct=True),
        )
        .filter(unpaid_holds__gt=0)
        .select_related("course")
        .order_by("starts_on", "id")
    )


def order_list(filters: dict) -> QuerySet[Order]:
    """The console's order list: filtered by status, provider, cohort, creation date, text."""
    orders = Order.objects.select_related("cohort__course", "lead")
    if filters.get("status"):
        orders = orders.filter(status=filters["status"])
    if filters.get("provider"):
        orders = orders.filter(provider=filters["provider"])
    if filters.get("cohort"):
        orders = orders.filter(cohort=filters["cohort"])
    if filters.get("since"):
        orders = orders.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        orders = orders.filter(created_at__date__lte=filters["until"])
    if filters.get("q"):
        q = filters["q"].strip()
        orders = orders.filter(
            Q(number__icontains=q)
            | Q(buyer_name__icontains=q)
            | Q(buyer_email__icontains=q)
            | Q(buyer_phone=q)
        )
    waiting = Count("proofs", filter=Q(proofs__status="pending"))
    if filters.get("waiting") == "proof":
        orders = orders.filter(Exists(transfers_to_confirm().filter(order=OuterRef("pk"))))
    elif filters.get("waiting") == "expiring":
        expiring = orders.filter(pk__in=orders_expiring().values("pk"))
        return expiring.annotate(proofs_waiting=waiting).order_by("expires_at", "pk")  # the soonest first
    return orders.annotate(proofs_waiting=waiting).order_by("-created_at", "-id")


def transfers_to_confirm() -> QuerySet[TransferProof]:
    """Transfer proofs waiting for the founder's confirmation, the longest waiting first."""
    return TransferProof.objects.filter(status=TransferProof.Status.PENDING).order_by("uploaded_at", "pk")


def orders_expiring(
    now: datetime | None = None, *, within: timedelta = timedelta(hours=24)
) -> QuerySet[Order]:
    """Orders still waiting for payment whose hold ends within `within`, the soonest first; those
    with a transfer proof to confirm are the other list's."""
    now = now or timezone.now()
    return (
        Order.objects.filter(status=Order.Status.PENDING, expires_at__gt=now, expires_at__lte=now + within)
        .exclude(Exists(transfers_to_confirm().filter(order=OuterRef("pk"))))
        .order_by("expires_at", "pk")
    )


def course_offer(slug: str, *, preview: bool = False) -> tuple[Course, list[Cohort]]:
    """A published course (by its slug, or the slug of one of its cohorts on sale) and its
    cohorts for sale: perhaps none, the page still takes signups. `preview` (staff): a draft
    course too, so that the founder sees its page before publishing it."""
    courses = Course.objects.all() if preview else Course.objects.filter(status=Course.Status.PUBLISHED)
    course = courses.filter(slug=slug).first()
    if course is None:
        cohort = cohorts_on_sale(drafts=preview).filter(slug=slug).first()
        if cohort is None:
            raise Http404
        course = cohort.course
    return course, list(cohorts_on_sale(drafts=preview).filter(course=course))


def coupon_refusal(
    coupon: Coupon | None, *, cohort: Cohort, email: str = "", phone: str = "", now: datetime | None = None
) -> str:
    """Why this coupon cannot be used on this cohort by this buyer now; "" when it can. Its
    uses are the orders that hold it: paid, or pending and not expired (as seats are held)."""
    now = now or timezone.now()
    if coupon is None:
        return _("There is no coupon with this code.")
    if not coupon.is_active:
        return _("This coupon is paused.")
    if coupon.valid_from and now < coupon.valid_from:
        return _("This coupon is not valid yet.")
    if coupon.valid_until and now >= coupon.valid_until:
        return _("This coupon has expired.")
    if (coupon.cohort_id and coupon.cohort_id != cohort.pk) or (
        coupon.course_id and coupon.course_id != cohort.course_id
    ):
        return _("This coupon does not apply to this course.")
    uses = Order.objects.filter(seat_holding(now), coupon=coupon)
    if coupon.max_uses is not None and uses.count() >= coupon.max_uses:
        return _("This coupon has been used up.")
    if coupon.once_per_person and (email or phone):
        buyer = Q(pk__in=[])
        if email:
            buyer |= Q(buyer_email__iexact=email)
        if phone:
            buyer |= Q(buyer_phone=phone)
        if uses.filter(buyer).exists():
            return _("You have already used this coupon.")
    return ""


def coupon_preview(*, code: str, cohort: Cohort) -> dict[str, Decimal] | None:
    """The price before and after a code on the checkout page; None when the code cannot be used."""
    coupon = Coupon.objects.filter(code__iexact=code.strip()).first()
    if coupon is None or coupon_refusal(coupon, cohort=cohort):
        return None
    price = cohort_price_at(cohort)
    discount = coupon.discount_on(price)
    return {"list_price": price, "discount": discount, "amount": price - discount}


def coupons_with_stats(now: datetime | None = None) -> QuerySet[Coupon]:
    """Every coupon for the founder with `uses` (orders holding it now: paid or pending),
    `deals` (paid orders) and `revenue` (what those orders paid, the discount already off)."""
    now = now or timezone.now()
    paid = Q(orders__status__in=Order.PAID_STATUSES)
    return Coupon.objects.select_related("course", "cohort__course").annotate(
        uses=Count("orders", filter=seat_holding(now, prefix="orders__")),
        deals=Count("orders", filter=paid),
        revenue=Sum("orders__amount", filter=paid, default=Decimal("0.00")),
    )


def referrers_with_stats() -> QuerySet[Student]:
    """Students who brought someone (a referred lead, or a reward), for the founder: `referred`
    (their referred leads, spam left out), `deals` (those leads' paid orders), `revenue` (what
    those orders paid) and their rewards (`rewards`, newest first, each with `coupon_used`).
    Three queries however many rows: the students, their rewards, the pages' count."""
    real = Q(referred_leads__is_spam=False)
    paid = real & Q(referred_leads__orders__status__in=Order.PAID_STATUSES)
    coupon_used = Exists(Order.objects.filter(coupon=OuterRef("coupon"), status__in=Order.PAID_STATUSES))
    rewards = (
        ReferralReward.objects.select_related("order__cohort__course", "coupon", "paid_by")
        .annotate(coupon_used=coupon_used)
        .order_by("-created_at", "-id")
    )
    has_reward = Exists(ReferralReward.objects.filter(referrer=OuterRef("pk")))
    return (
        Student.objects.select_related("user")
        .annotate(
            referred=Count("referred_leads", filter=real, distinct=True),
            deals=Count("referred_leads__orders", filter=paid, distinct=True),
            revenue=Sum("referred_leads__orders__amount", filter=paid, default=Decimal("0.00")),
        )
        .filter(Q(referred__gt=0) | has_reward)
        .prefetch_related(Prefetch("referral_rewards", queryset=rewards, to_attr="rewards"))
        .order_by("-deals", "-referred", "pk")
    )


def referral_rewards_owed() -> dict:
    """Cash rewards still to pay: how many and how much in all."""
    owed = ReferralReward.objects.filter(status=ReferralReward.Status.OWED)
    return owed.aggregate(count=Count("pk"), total=Sum("amount", default=Decimal("0.00")))
