from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from billing.models import (
    INSTALMENT_PERIODS,
    Coupon,
    EarlyBird,
    InstalmentPlan,
    Order,
    PayeeAccount,
    Provider,
    ReferralSettings,
)
from billing.selectors import cohorts_on_sale
from cohorts.models import Cohort, Course
from crm.forms import HONEYPOT, LeadForm
from onepco.images import image_check


class CheckoutForm(LeadForm):
    """The buyer's details, checked as the signup form checks them: a name, and an e-mail or a
    phone number (either is enough), each error saying which field and what to do."""

    consent = forms.BooleanField(
        label=_("I agree that my details are used to process this order and run the course."),
        error_messages={"required": _("Tick the box to agree, so we can process your order.")},
    )
    coupon = forms.CharField(label=_("Coupon code (optional)"), max_length=32, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, with_attribution=False, **kwargs)
        for name in ("wechat", "message", HONEYPOT):
            del self.fields[name]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].help_text = _("E-mail or phone: either is enough.")
        self.fields["email"].help_text = _("Your enrollment instructions and sign-in codes go here.")
        self.fields["coupon"].widget.attrs.update(autocomplete="off", autocapitalize="characters")
        self.order_fields([name for name in self.fields if name != "consent"] + ["consent"])

    @property
    def is_spam(self) -> bool:
        return False


class WaitlistForm(CheckoutForm):
    """Joining a full cohort's waitlist: the same details as checkout, another consent."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = _("I agree that my details are used to tell me when a seat is free.")
        self.fields["consent"].error_messages["required"] = _(
            "Tick the box to agree, so we can tell you when a seat is free."
        )
        self.fields["email"].help_text = _("The seat offer goes here: without an e-mail we call you.")


class NextCohortForm(forms.Form):
    """The cohort to recommend to a waitlist: another one of the same course, on sale."""

    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(), label=_("Cohort to recommend"), empty_label=None
    )

    def __init__(self, *args, cohort: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["cohort"]
        field.queryset = cohorts_on_sale(drafts=True).filter(course=cohort.course).exclude(pk=cohort.pk)  # type: ignore[attr-defined]
        field.label_from_instance = lambda c: f"{c.name} · {c.starts_on:%Y-%m-%d}"  # type: ignore[attr-defined]


class WaitlistOfferForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class PayMethodForm(forms.Form):
    """How to pay. 花呗分期 are choices of their own, "alipay:3" for 3 periods, offered only
    when the cohort allows them (`instalments`): any other number is refused here."""

    method = forms.ChoiceField(label=_("Payment method"), choices=())

    def __init__(
        self, *args, methods: list[str], instalments: Sequence[int] = (), seller_pays: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, object]] = [(m, Provider(m).label) for m in methods]
        if Provider.ALIPAY in methods:
            label = (
                _("Huabei instalments · %(n)s periods (no fee)")
                if seller_pays
                else _("Huabei instalments · %(n)s periods (fee paid by you)")
            )
            at = methods.index(Provider.ALIPAY) + 1
            choices[at:at] = [(f"{Provider.ALIPAY}:{n}", label % {"n": n}) for n in instalments]
        self.fields["method"].choices = choices  # type: ignore[attr-defined]  # a ChoiceField

    def clean(self):
        data = super().clean()
        provider, _sep, periods = data.get("method", "").partition(":")
        data["provider"], data["instalments"] = provider, int(periods) if periods else None
        return data


class ProofForm(forms.Form):
    # Judged by its content in billing.services.transfer_proof_upload (PNG, JPEG or WebP).
    image = forms.FileField(
        label=_("Screenshot of the transfer"),
        help_text=_("A screenshot from your banking or payment app: PNG, JPEG or WebP."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)


class PayeeAccountForm(forms.ModelForm):
    """The admin's form: the QR code must really be an image, stored under its real type."""

    class Meta:
        model = PayeeAccount
        fields = ["kind", "title", "qr_image", "details", "is_active", "position"]

    def clean_qr_image(self):
        image = self.cleaned_data["qr_image"]
        if isinstance(image, UploadedFile):
            image.name = f"qr.{image_check(image).extension}"
        return image


class OrderCreateForm(forms.Form):
    cohort = forms.ModelChoiceField(queryset=Cohort.objects.none(), label=_("Cohort"))
    buyer_name = forms.CharField(label=_("Name"), max_length=100)
    buyer_email = forms.EmailField(label=_("E-mail"))
    buyer_phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    amount = forms.DecimalField(
        label=_("Price"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"),
        help_text=_("Leave empty for the cohort's price."), required=False,
    )  # fmt: skip
    coupon = forms.CharField(label=_("Coupon code"), max_length=32, required=False)
    discount = forms.DecimalField(
        label=_("Discount"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), required=False,
        help_text=_("An amount off the price, instead of a coupon."),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def clean(self):
        data = super().clean()
        if data.get("coupon") and data.get("discount"):
            self.add_error("discount", _("Apply a coupon or a discount, not both."))
        cohort = data.get("cohort")
        price = data.get("amount") or (cohort.price if cohort else None)
        if price is not None and data.get("discount") and data["discount"] >= price:
            self.add_error("discount", _("The discount must be less than the price."))
        return data

    def __init__(self, *args, cohorts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cohort"].queryset = cohorts


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class BuyerEmailForm(forms.Form):
    email = forms.EmailField(label=_("The buyer's e-mail"))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class OrderFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    provider = forms.ChoiceField(label=_("Payment method"), required=False)
    cohort = forms.ModelChoiceField(
        queryset=Cohort.objects.none(), label=_("Cohort"), required=False, empty_label=_("All")
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    # The console home's "see all": the orders behind one of its lines.
    waiting = forms.ChoiceField(
        label=_("Waiting"),
        required=False,
        choices=[
            ("", _("All")),
            ("proof", _("Transfer to confirm")),
            ("expiring", _("Expires within 24 hours")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *Order.Status.choices]
        self.fields["provider"].choices = [("", _("All")), *Provider.choices]
        self.fields["cohort"].queryset = Cohort.objects.select_related("course")


class CouponForm(forms.ModelForm):
    class Meta:
        model = Coupon
        fields = [
            "code", "kind", "value", "course", "cohort", "valid_from", "valid_until",
            "max_uses", "once_per_person", "is_active",
        ]  # fmt: skip
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.order_by("title")
        self.fields["cohort"].queryset = Cohort.objects.select_related("course").order_by("-starts_on")
        self.fields["code"].help_text = _("Letters and digits; buyers may type it in any case.")

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isascii() or not code.replace("-", "").replace("_", "").isalnum():
            raise forms.ValidationError(_("Use only letters, digits, - and _."))
        taken = Coupon.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another coupon already has this code."))
        return code

    def clean(self):
        data = super().clean()
        if data.get("value") is not None and data["value"] <= 0:
            self.add_error("value", _("Enter a value above 0."))
        elif data.get("kind") == Coupon.Kind.PERCENT and data.get("value") and data["value"] > 100:
            self.add_error("value", _("A percentage is at most 100."))
        if data.get("course") and data.get("cohort"):
            self.add_error("cohort", _("Choose a course or a cohort, not both."))
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("The end must come after the start."))
        return data


class EarlyBirdForm(forms.ModelForm):
    """An early-bird window; the price and overlap rules are the service's (billing.services.
    early_bird_save), their errors shown next to the fields."""

    class Meta:
        model = EarlyBird
        fields = ["price", "first_day", "last_day"]
        widgets = {
            "first_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "last_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price"].min_value = Decimal("0.01")
        self.fields["price"].validators.append(MinValueValidator(Decimal("0.01")))
        self.fields["last_day"].label = _("Last day")

    def clean(self):
        data = super().clean()
        if data.get("first_day") and data.get("last_day") and data["last_day"] < data["first_day"]:
            self.add_error("last_day", _("The last day cannot come before the first day."))
        return data


class InstalmentPlanForm(forms.Form):
    periods = forms.TypedMultipleChoiceField(
        label=_("Huabei instalments the buyer may choose"),
        choices=[(n, str(n)) for n in INSTALMENT_PERIODS],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: buyers pay at once."),
    )
    fee_payer = forms.ChoiceField(
        label=_("Who pays the instalment fee"),
        choices=InstalmentPlan.FeePayer.choices,
        initial=InstalmentPlan.FeePayer.BUYER,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["periods"].choices = [(n, _("%(n)s periods") % {"n": n}) for n in INSTALMENT_PERIODS]


class ReferralSettingsForm(forms.ModelForm):
    """The founder's choice of what a referrer gets when a friend they brought pays."""

    class Meta:
        model = ReferralSettings
        fields = ["reward", "coupon_kind", "coupon_value", "coupon_valid_days", "cash_amount"]
        widgets = {"reward": forms.RadioSelect}


class ReferralRewardPaidForm(forms.Form):
    note = forms.CharField(
        label=_("How it was paid"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. WeChat transfer")}),
    )
