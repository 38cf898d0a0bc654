from decimal import Decimal

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from billing.models import Order, PayeeAccount, Provider
from cohorts.models import Cohort
from crm.forms import HONEYPOT, LeadForm
from onepco.images import image_check


class CheckoutForm(LeadForm):
    """The buyer's details, checked as the signup form checks them: a name, and an e-mail or a
    phone number (either is enough), each error saying which field and what to do."""

    consent = forms.BooleanField(
        label=_("I agree that my details are used to process this order and run the course."),
        error_messages={"required": _("Tick the box to agree, so we can process your order.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, with_attribution=False, **kwargs)
        for name in ("wechat", "message", HONEYPOT):
            del self.fields[name]
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].help_text = _("E-mail or phone: either is enough.")
        self.fields["email"].help_text = _("Your enrollment instructions and sign-in codes go here.")

    @property
    def is_spam(self) -> bool:
        return False


class PayMethodForm(forms.Form):
    method = forms.ChoiceField(label=_("Payment method"), choices=())

    def __init__(self, *args, methods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(m, Provider(m).label) for m in methods]  # type: ignore[attr-defined]  # a ChoiceField


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
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

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
