from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from console.models import BackupSchedule
from onepco.images import image_check
from onepco.models import SiteSettings


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=_("Request"),
        max_length=300,
        help_text=_("How and when the person asked, e.g. “e-mail of 3 May asking to delete my data”."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )


class DataAccessRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        help_text=_("The address you signed up or bought with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class DataAccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        help_text=_("The 6 digits from the e-mail."),
        error_messages={"required": _("Enter the 6 digits from the e-mail.")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "size": 8}
        ),
    )

    def clean_code(self) -> str:
        # As copied from the e-mail: spaces around or between the digits do not matter.
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isascii() or not code.isdigit():
            raise forms.ValidationError(_("Enter the 6 digits from the e-mail."))
        return code


class BackupScheduleForm(forms.ModelForm):
    class Meta:
        model = BackupSchedule
        fields = ["enabled", "at", "keep"]
        widgets = {"at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class BrandForm(forms.ModelForm):
    """Setup step 1: what every page shows of the business."""

    class Meta:
        model = SiteSettings
        fields = ["site_name", "logo", "contact_email"]
        widgets = {"logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"})}
        help_texts = {
            "site_name": _("Shown at the top of every page and in e-mails, e.g. “小林的数据分析课”."),
            "contact_email": _("Where buyers and students write to you; shown on the privacy page."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site_name"].required = True
        self.fields["contact_email"].required = True

    def clean_site_name(self) -> str:
        return self.cleaned_data["site_name"].strip()

    def clean_logo(self):
        image = self.cleaned_data["logo"]
        if isinstance(image, UploadedFile):
            image.name = f"logo.{image_check(image).extension}"
        return image


class PoliciesForm(forms.ModelForm):
    """Setup step 5: the privacy notice and the refund policy buyers read."""

    class Meta:
        model = SiteSettings
        fields = ["privacy_notice", "refund_days", "refund_rules"]
        widgets = {
            "privacy_notice": forms.Textarea(attrs={"rows": 8}),
            "refund_rules": forms.Textarea(attrs={"rows": 4}),
            "refund_days": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "max": 365}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["refund_days"].required = True
        self.fields["refund_days"].max_value = 365
        self.fields["refund_days"].validators.append(MaxValueValidator(365))


class TestEmailForm(forms.Form):
    to = forms.EmailField(label=_("Send to"), max_length=254)
