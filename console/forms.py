from django import forms
from django.utils.translation import gettext_lazy as _

from console.models import BackupSchedule


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
