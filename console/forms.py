from datetime import timedelta

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cohorts.models import Cohort, Course
from console.models import BackupSchedule, Broadcast
from crm.models import Lead
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


LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"})
SUBJECT_MAX = 150
BODY_MAX = 20_000


class BroadcastForm(forms.Form):
    """The composer: the message, who gets it (a segment and its filters), and when."""

    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    body = forms.CharField(
        label=pgettext_lazy("broadcast", "Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("Markdown: **bold**, lists, links; the preview follows as you type."),
    )
    segment = forms.ChoiceField(
        label=_("Send to"), choices=Broadcast.Segment.choices, widget=forms.RadioSelect, initial="leads"
    )
    lead_status = forms.ChoiceField(label=_("Status"), required=False)
    lead_channel = forms.ChoiceField(label=_("Channel"), required=False)
    lead_campaign = forms.CharField(label=_("Campaign"), required=False, max_length=200)
    lead_course = forms.ChoiceField(label=_("Interested in course"), required=False)
    lead_from = forms.DateField(label=_("Signed up from"), required=False, widget=DATE)
    lead_to = forms.DateField(label=_("Signed up until"), required=False, widget=DATE)
    cohort = forms.ModelChoiceField(label=_("Cohort"), queryset=Cohort.objects.none(), required=False)
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.none(), required=False)
    when = forms.ChoiceField(
        label=_("When"),
        choices=[("now", _("Send now")), ("later", _("At a time"))],
        widget=forms.RadioSelect,
        initial="now",
    )
    send_at = forms.DateTimeField(label=_("Send at"), required=False, widget=LOCAL_DATETIME)

    def __init__(self, *args, channels: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_status"].choices = [("", _("All statuses")), *Lead.Status.choices]  # type: ignore[attr-defined]
        self.fields["lead_channel"].choices = [("", _("All channels")), *(channels or [])]  # type: ignore[attr-defined]
        courses = Course.objects.order_by("title")
        self.fields["lead_course"].choices = [  # type: ignore[attr-defined]
            ("", _("Any course")),
            *((course.slug, course.title) for course in courses),
        ]
        self.fields["course"].queryset = courses  # type: ignore[attr-defined]
        cohorts = Cohort.objects.select_related("course").order_by("-starts_on", "name")
        self.fields["cohort"].queryset = cohorts  # type: ignore[attr-defined]

    def clean(self) -> dict:
        data = super().clean() or {}
        segment = data.get("segment")
        needs = {
            Broadcast.Segment.COHORT_STUDENTS: ("cohort", _("Choose the cohort.")),
            Broadcast.Segment.WAITLIST: ("cohort", _("Choose the cohort.")),
            Broadcast.Segment.GRADUATES: ("course", _("Choose the course.")),
        }
        if segment in needs:
            name, message = needs[segment]
            if not data.get(name):
                self.add_error(name, message)
        first, last = data.get("lead_from"), data.get("lead_to")
        if segment == Broadcast.Segment.LEADS and first and last and first > last:
            self.add_error("lead_to", _("The end is before the start."))
        if data.get("when") == "later":
            send_at = data.get("send_at")
            if send_at is None:
                self.add_error("send_at", _("Choose when to send it."))
            elif send_at <= timezone.now():
                self.add_error("send_at", _("Choose a time in the future."))
            elif send_at > timezone.now() + timedelta(days=365):
                self.add_error("send_at", _("Choose a time within a year."))
        return data

    def chosen_send_at(self):
        """When to send: a time chosen, or None for now."""
        return self.cleaned_data.get("send_at") if self.cleaned_data.get("when") == "later" else None

    def segment_filters(self) -> dict:
        """The segment's filters as stored on the broadcast (plain JSON)."""
        data = self.cleaned_data
        segment = data["segment"]
        if segment == Broadcast.Segment.LEADS:
            chosen = {
                "status": data.get("lead_status") or "",
                "channel": data.get("lead_channel") or "",
                "campaign": (data.get("lead_campaign") or "").strip(),
                "course": data.get("lead_course") or "",
                "date_from": data["lead_from"].isoformat() if data.get("lead_from") else "",
                "date_to": data["lead_to"].isoformat() if data.get("lead_to") else "",
            }
            return {key: value for key, value in chosen.items() if value}
        if segment == Broadcast.Segment.GRADUATES:
            return {"course": data["course"].pk}
        return {"cohort": data["cohort"].pk}

    def segment_label(self) -> str:
        """The segment in words, for the broadcast's list ("Leads · Status: New · …")."""
        data = self.cleaned_data
        segment = data["segment"]
        parts = [str(Broadcast.Segment(segment).label)]
        if segment == Broadcast.Segment.LEADS:
            for name in (
                "lead_status",
                "lead_channel",
                "lead_campaign",
                "lead_course",
                "lead_from",
                "lead_to",
            ):
                value = data.get(name)
                if value:
                    field = self.fields[name]
                    shown = dict(getattr(field, "choices", [])).get(value, value)
                    parts.append(f"{field.label}: {shown}")
        elif segment == Broadcast.Segment.GRADUATES:
            parts.append(str(data["course"]))
        else:
            parts.append(str(data["cohort"]))
        return " · ".join(parts)
