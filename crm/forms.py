"""Input validation of the money loop: the signup form (HTML and API alike) and console forms."""

import re
import unicodedata
from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from crm.models import Channel, Consultation, ContentPiece, ContentSettings, Lead, SignupSettings, TrackedLink
from crm.normalize import email_normalize, phone_normalize
from onepco.images import image_check

HONEYPOT = "website"
CONTACT_FIELDS = ("name", "email", "phone", "wechat", "message", "consent")
ATTRIBUTION_LIMITS = {
    "channel": 50,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_content": 200,
    "landing_page": 500,
    "referrer": 500,
}
REFERRAL_CODE_LENGTH = 16
# Letters of any script (Chinese, Latin…) and the few marks names really use.
NAME_CHARS = re.compile(r"^[\w .'’·\-]+$")
WECHAT_ID = re.compile(r"^[A-Za-z0-9_\-]{3,64}$")


def name_normalize(value: str) -> str:
    """NFKC (full-width letters become normal ones), single spaces, no control characters."""
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"\s+", " ", value).strip()


def name_validate(value: str) -> None:
    if not NAME_CHARS.match(value) or not any(ch.isalpha() for ch in value):
        raise ValidationError(_("Enter your name using letters."), code="invalid_name")


def _privacy_label():
    return format_html(
        '{} <a href="{}" target="_blank">{}</a>',
        _("I agree that my details are kept to contact me about the course, as the"),
        reverse("crm:privacy"),
        _("privacy notice"),
    )


class LeadForm(forms.Form):
    """The signup form. The HTML page shows the contact fields; the API also takes attribution.

    A filled honeypot does not make the form invalid: the signup is stored flagged as spam and
    answered like any other, so a bot learns nothing.
    """

    name = forms.CharField(
        label=_("Name"), max_length=100, error_messages={"required": _("Enter your name.")}
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("E-mail or phone: at least one, so we can reach you."),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    wechat = forms.CharField(label=_("WeChat ID"), max_length=64, required=False)
    message = forms.CharField(
        label=_("Message"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What would you like to learn?")}),
    )
    consent = forms.BooleanField(
        # Built when a page renders it (it needs the active language and a URL), not for
        # every API call that validates with this form.
        label=lazy(_privacy_label, SafeString)(),
        error_messages={"required": _("Please agree to the privacy notice so we can contact you.")},
    )
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    channel = forms.CharField(max_length=50, required=False, widget=forms.HiddenInput)
    utm_source = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    utm_medium = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    utm_campaign = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    utm_content = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)
    landing_page = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    referrer = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    # A student's referral code (their link's ?ref=), for a landing page that posts it itself.
    ref = forms.CharField(max_length=REFERRAL_CODE_LENGTH, required=False, widget=forms.HiddenInput)

    api_fields = (*CONTACT_FIELDS, HONEYPOT, *ATTRIBUTION_LIMITS, "ref")

    def __init__(self, *args, with_attribution: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_attribution:
            for field in (*ATTRIBUTION_LIMITS, "ref"):
                del self.fields[field]

    @property
    def is_spam(self) -> bool:
        return bool((self.data.get(HONEYPOT) or "").strip())

    def clean_name(self) -> str:
        name = name_normalize(self.cleaned_data["name"])
        if not name:
            raise ValidationError(_("Enter your name."), code="required")
        name_validate(name)
        return name

    def clean_email(self) -> str:
        email = email_normalize(self.cleaned_data["email"])
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise ValidationError(
                    _("Enter a valid e-mail address, like name@example.com."), code="invalid"
                ) from None
        return email

    def clean_phone(self) -> str:
        return phone_normalize(self.cleaned_data["phone"])

    def clean_wechat(self) -> str:
        wechat = self.cleaned_data["wechat"].strip()
        if wechat and not WECHAT_ID.match(wechat):
            raise ValidationError(
                _("A WeChat ID uses only letters, digits, underscores and hyphens."), code="invalid_wechat"
            )
        return wechat

    def clean_message(self) -> str:
        return self.cleaned_data["message"].strip()

    def clean(self) -> dict:
        data = super().clean() or {}
        contact_errors = self.has_error("email") or self.has_error("phone")
        if not contact_errors and not data.get("email") and not data.get("phone"):
            self.add_error("phone", _("Give an e-mail address or a phone number (or both)."))
        return data

    def attribution(self) -> dict[str, str]:
        return {field: self.cleaned_data.get(field, "") for field in ATTRIBUTION_LIMITS}

    def clean_ref(self) -> str:
        return self.cleaned_data["ref"].strip().lower()

    def spam_values(self) -> dict:
        """What a honeypot hit is stored with: whatever can be kept without failing."""
        raw = {key: str(self.data.get(key) or "") for key in ("name", "email", "phone", "wechat", "message")}
        try:
            phone = phone_normalize(raw["phone"][:32])
        except ValidationError:
            phone = ""
        email = email_normalize(raw["email"])[:254]
        try:
            validate_email(email)
        except ValidationError:
            email = ""
        return {
            "name": name_normalize(raw["name"])[:100] or "?",
            "email": email,
            "phone": phone,
            "wechat": raw["wechat"][:64],
            "message": raw["message"][:2000],
            "attribution": {
                field: str(self.data.get(field) or "")[:limit] for field, limit in ATTRIBUTION_LIMITS.items()
            },
        }


class LeadFilterForm(forms.Form):
    """The lead list's filters; all optional, bad values are ignored rather than refused."""

    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    # What the console home's "see all" links open: the whole list behind one of its lines.
    todo = forms.ChoiceField(
        label=_("To do today"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("follow_up", _("Follow-up due")),
            ("consultation", _("Consultation today or tomorrow")),
        ],
    )
    # Any code filters (a bookmarked list of a channel since renamed); the menu offers the
    # registry's names and the codes in use it does not name.
    channel = forms.CharField(label=_("Channel"), required=False, max_length=50, widget=forms.Select)
    campaign = forms.CharField(label=_("Campaign"), required=False, max_length=200)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    spam = forms.BooleanField(label=_("Spam only"), required=False)

    def __init__(self, *args, channels: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses")), *Lead.Status.choices]  # type: ignore[attr-defined]
        choices = [("", _("All channels")), *(channels or [])]
        chosen = (self.data.get("channel") or "").strip()
        if chosen and chosen.lower() not in {code.lower() for code, _label in choices}:
            choices.append((chosen, chosen))
        self.fields["channel"].widget.choices = choices

    def filters(self) -> dict:
        if not self.is_valid():
            return {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return self.cleaned_data


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Lead.Status.choices)
    reason = forms.CharField(label=_("Reason (when lost)"), max_length=200, required=False)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("status") == Lead.Status.LOST and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the lead was lost."))
        return data


class LeadFollowUpForm(forms.Form):
    """When to contact the lead next: a quick pick (tomorrow, in 3 days, next week), a date of
    the founder's choosing, or none (clear)."""

    QUICK = {"tomorrow": 1, "in_3_days": 3, "next_week": 7}
    pick = forms.ChoiceField(
        required=False,
        choices=[
            ("tomorrow", _("Tomorrow")),
            ("in_3_days", _("In 3 days")),
            ("next_week", _("Next week")),
            ("date", _("On the date")),
            ("clear", _("Clear")),
        ],
    )
    follow_up_on = forms.DateField(
        label=_("Another day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    @classmethod
    def quick_dates(cls, today: date) -> list[tuple[str, str, date]]:
        """(pick, label, date) of the quick picks as of `today`, for the buttons."""
        labels = dict(cls.base_fields["pick"].choices)  # type: ignore[attr-defined]
        return [(pick, labels[pick], today + timedelta(days=days)) for pick, days in cls.QUICK.items()]

    def clean(self) -> dict:
        data = super().clean() or {}
        pick = data.get("pick") or "date"
        today = timezone.localdate()
        if pick == "clear":
            data["follow_up_on"] = None
        elif pick in self.QUICK:
            data["follow_up_on"] = today + timedelta(days=self.QUICK[pick])
        elif "follow_up_on" not in self.errors:
            if data.get("follow_up_on") is None:
                self.add_error("follow_up_on", _("Choose the day to follow up."))
            elif data["follow_up_on"] < today:
                self.add_error("follow_up_on", _("Choose today or a later day."))
        return data


class LeadNoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class ConsultationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Consultation.Kind.choices)
    scheduled_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    meeting_url = forms.URLField(
        label=_("Meeting link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("Where you meet (a Tencent Meeting or Zoom link). Optional."),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConsultationUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (s, label) for s, label in Consultation.Status.choices if s != Consultation.Status.SCHEDULED
        ],
    )
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False)


class LinkBuilderForm(forms.Form):
    """A tagged link: which page, which channel of the registry, which campaign and piece of
    content (both optional), and a label the founder recognises it by."""

    page = forms.ChoiceField(label=_("Page"))
    channel = forms.ChoiceField(label=_("Channel"), help_text=_("Missing one? Add it under Channels."))
    campaign = forms.CharField(
        label=_("Campaign"),
        max_length=200,
        required=False,
        help_text=_("Optional, e.g. 双11 or spring-cohort"),
    )
    content = forms.CharField(
        label=_("Content piece"),
        max_length=200,
        required=False,
        help_text=_("Optional: the post's title or date, to tell posts of one channel apart"),
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=200,
        required=False,
        help_text=_("Optional: how the link is listed and printed under its QR code"),
    )
    piece = forms.ModelChoiceField(
        label=_("Piece"),
        queryset=ContentPiece.objects.none(),
        required=False,
        empty_label=_("No piece (attach one later)"),
        help_text=_("Optional: the logged piece of content the link is for; its leads count for it."),
    )

    def __init__(self, *args, pages: list[tuple[str, str]], channels: list[Channel], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].choices = pages  # type: ignore[attr-defined]  # a ChoiceField
        self.fields["channel"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose a channel")),
            *((channel.code, channel.label()) for channel in channels),
        ]
        piece = self.fields["piece"]
        piece.queryset = ContentPiece.objects.order_by("-published_on", "-id")  # type: ignore[attr-defined]
        piece.label_from_instance = piece_label  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        piece, channel = data.get("piece"), data.get("channel")
        if piece is not None and channel and piece.channel != channel:
            self.add_error("piece", _("This piece is for another channel than the link."))
        return data

    # Full-width letters made normal and spaces single, so "双11 " and "双１１" are one link.
    def clean_campaign(self) -> str:
        return name_normalize(self.cleaned_data["campaign"])

    def clean_content(self) -> str:
        return name_normalize(self.cleaned_data["content"])

    def clean_label(self) -> str:
        return name_normalize(self.cleaned_data["label"])


class ChannelForm(forms.ModelForm):
    """A new channel of the registry: its code (what links carry) and its names."""

    class Meta:
        model = Channel
        fields = ["code", "name_zh_hans", "name_en"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().lower()
        if Channel.objects.filter(code=code).exists():
            raise ValidationError(_("There is a channel with this code already."), code="unique")
        return code

    def clean(self) -> dict:
        data = super().clean() or {}
        if not (data.get("name_zh_hans", "").strip() or data.get("name_en", "").strip()):
            self.add_error("name_zh_hans", _("Give the channel a name, in Chinese or in English."))
        return data


class ChannelEditForm(forms.ModelForm):
    """Renaming or hiding a channel. Its code stays: leads and links already carry it."""

    class Meta:
        model = Channel
        fields = ["name_zh_hans", "name_en", "is_hidden"]
        help_texts = {"is_hidden": ""}  # said once, above the list


class LeadImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: name, email, phone, wechat, message, channel, utm_campaign, created_at "
            "(Chinese headers work too). UTF-8 or GBK (Excel)."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError(_("Upload a .csv file."), code="invalid_extension")
        if upload.size > 10 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
        return upload


class LeadImportRowForm(LeadForm):
    """One row of an imported file: the signup form's rules, without consent or honeypot."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["consent"]
        del self.fields[HONEYPOT]


class SignupSettingsForm(forms.ModelForm):
    """The thank-you page's next step, edited in the console's 设置 (the QR code checked as an
    image and stored under its real type). At least one of QR, WeChat ID or booking link."""

    class Meta:
        model = SignupSettings
        fields = ["wechat_id", "wechat_qr", "trial_booking_url", "next_step"]
        widgets = {
            "next_step": forms.Textarea(attrs={"rows": 3}),
            "wechat_qr": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
            "trial_booking_url": forms.URLInput(attrs={"placeholder": "https://"}),
        }
        help_texts = {
            "trial_booking_url": _("Where a new lead books a trial class: a calendar or form link."),
            "wechat_id": _("Shown on the thank-you page, with a button that copies it."),
        }

    def clean_wechat_id(self) -> str:
        value = self.cleaned_data["wechat_id"].strip()
        if value and not WECHAT_ID.match(value):
            raise ValidationError(_("A WeChat ID has 3 to 64 letters, digits, “_” or “-”."), code="wechat_id")
        return value

    def clean_wechat_qr(self):
        image = self.cleaned_data["wechat_qr"]
        if isinstance(image, UploadedFile):
            image.name = f"qr.{image_check(image).extension}"
        return image

    def clean(self) -> dict:
        data = super().clean() or {}
        if not self.errors and not (
            data.get("wechat_qr") or data.get("wechat_id") or data.get("trial_booking_url")
        ):
            raise ValidationError(
                _(
                    "Give at least one next step: a WeChat QR code, a WeChat ID or a trial class booking link."
                ),
                code="no_next_step",
            )
        return data


def piece_label(piece: ContentPiece) -> str:
    return f"{piece.published_on:%Y-%m-%d} · {piece.title}"


class ContentPieceForm(forms.ModelForm):
    """A piece of content as the founder logs it: a channel of the registry, what it is, and
    what it cost (neither may be negative)."""

    channel = forms.ChoiceField(label=_("Channel"), help_text=_("Missing one? Add it under Channels."))

    class Meta:
        model = ContentPiece
        fields = ["channel", "campaign", "title", "url", "published_on", "cost_money", "cost_hours"]
        widgets = {
            "published_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "url": forms.URLInput(attrs={"placeholder": "https://"}),
            "cost_money": forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
            "cost_hours": forms.NumberInput(attrs={"min": "0", "step": "0.25", "inputmode": "decimal"}),
        }
        help_texts = {"published_on": _("The day it went out, e.g. 2026-11-20.")}
        error_messages = {"published_on": {"invalid": _("Give a date like 2026-11-20.")}}

    def __init__(self, *args, channels: list[Channel], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(channel.code, channel.label()) for channel in channels]
        current = self.instance.channel if self.instance.pk else ""
        if current and current not in dict(choices):
            choices.append((current, current))  # a hidden channel stays the piece's own
        self.fields["channel"].choices = [("", _("Choose a channel")), *choices]  # type: ignore[attr-defined]
        self.fields["published_on"].input_formats = ["%Y-%m-%d"]  # type: ignore[attr-defined]

    def clean_title(self) -> str:
        return name_normalize(self.cleaned_data["title"])

    def clean_campaign(self) -> str:
        return name_normalize(self.cleaned_data["campaign"])


class ContentSettingsForm(forms.ModelForm):
    class Meta:
        model = ContentSettings
        fields = ["hour_value"]
        widgets = {"hour_value": forms.NumberInput(attrs={"min": "0", "step": "1", "inputmode": "decimal"})}


class PieceLinkForm(forms.Form):
    """Attach one of the links not attached yet, of the piece's channel."""

    link = forms.ModelChoiceField(label=_("Link"), queryset=TrackedLink.objects.none(), empty_label=None)

    def __init__(self, *args, piece: ContentPiece, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link"].queryset = TrackedLink.objects.filter(  # type: ignore[attr-defined]
            piece__isnull=True, channel=piece.channel
        ).order_by("-created_at", "-id")
        self.fields["link"].label_from_instance = lambda link: f"{link} → {link.page}"  # type: ignore[attr-defined]
