"""Input validation of the delivery loop. The HTML pages and the API share these forms."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cohorts.models import (
    Assessment,
    Assignment,
    Attendance,
    Cohort,
    Course,
    CourseFAQ,
    FeedbackTemplate,
    Lesson,
    RefundRiskAction,
)
from onepco.images import image_check
from onepco.templatetags.onepco import render_markdown

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SCORE: dict[str, Any] = {
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
    "max_digits": 5,
    "decimal_places": 2,
}


IMAGE_INPUT = forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"})
MARKDOWN_HELP = _("Markdown: **bold**, lists, links; the preview follows as you type.")


class MarkdownTextarea(forms.Textarea):
    """A Markdown textarea with its rendered preview under it: htmx posts the text (only that
    field) to the console's preview view as the founder types; the first preview is rendered
    with the page. No script of our own, nothing inline."""

    template_name = "cohorts/widgets/markdown.html"

    def __init__(self, attrs: dict | None = None):
        super().__init__({"rows": 6, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        preview_id = f"{context['widget']['attrs'].get('id', name)}-preview"
        context["widget"]["attrs"].update(
            {
                "hx-post": reverse("cohorts:markdown_preview") + f"?field={name}",
                "hx-trigger": "input changed delay:500ms",
                "hx-target": f"#{preview_id}",
                "hx-params": name,
                "hx-swap": "innerHTML",
            }
        )
        context["preview_id"] = preview_id
        context["preview"] = render_markdown(value or "")
        return context


def _checked_image(upload, stem: str):
    """An uploaded image checked by its bytes (onepco.images) and named by its real type."""
    if isinstance(upload, UploadedFile):
        upload.name = f"{stem}.{image_check(upload).extension}"
    return upload


class CourseForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "tagline",
            "status",
            "cover_image",
            "audience",
            "outcomes",
            "description",
            "graduation_standard",
            "teacher_name",
            "teacher_photo",
            "teacher_bio",
            "refund_policy",
        ]
        widgets = {
            "cover_image": IMAGE_INPUT,
            "teacher_photo": IMAGE_INPUT,
            "audience": MarkdownTextarea(),
            "outcomes": MarkdownTextarea(),
            "description": MarkdownTextarea({"rows": 10}),
            "graduation_standard": MarkdownTextarea(),
            "teacher_bio": MarkdownTextarea({"rows": 4}),
            "refund_policy": MarkdownTextarea({"rows": 4}),
            "status": forms.RadioSelect,
        }
        labels = {
            "audience": _("Who it is for"),
            "outcomes": _("What you get"),
            "description": _("About the course"),
            "graduation_standard": _("Graduation standard"),
            "teacher_bio": _("Teacher's bio"),
            "refund_policy": _("Refund policy"),
        }
        help_texts = {
            "slug": _(
                "The end of the course's address, e.g. ai-coding for /courses/ai-coding/. Letters, digits and hyphens."
            ),
            "status": _("A draft is seen only by you (as a preview); published, anyone can buy."),
            "cover_image": _("PNG, JPEG or WebP; 1200 × 630 shows well when shared."),
            "audience": MARKDOWN_HELP,
            "refund_policy": _("Leave blank to use the site's refund policy."),
        }

    def clean_cover_image(self):
        return _checked_image(self.cleaned_data["cover_image"], "cover")

    def clean_teacher_photo(self):
        return _checked_image(self.cleaned_data["teacher_photo"], "teacher")


class CourseFAQForm(forms.ModelForm):
    class Meta:
        model = CourseFAQ
        fields = ["question", "answer", "position"]
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}
        labels = {"answer": _("Answer"), "position": _("Display order")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False

    def clean_position(self):
        return self.cleaned_data["position"] or 0


CourseFAQFormSet = forms.inlineformset_factory(
    Course, CourseFAQ, form=CourseFAQForm, extra=2, can_delete=True, max_num=30, validate_max=True
)


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = [
            "name",
            "slug",
            "starts_on",
            "ends_on",
            "capacity",
            "price",
            "sale_open",
            "enrolment_opens_at",
            "enrolment_closes_at",
            "meeting_url",
            "entry_assessment_at",
            "enrollment_instructions",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "enrolment_opens_at": LOCAL_DATETIME,
            "enrolment_closes_at": LOCAL_DATETIME,
            "entry_assessment_at": LOCAL_DATETIME,
            "price": forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            "capacity": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "enrollment_instructions": MarkdownTextarea({"rows": 8}),
        }
        labels = {"name": _("Cohort name"), "enrollment_instructions": _("Enrollment instructions e-mail")}
        help_texts = {
            "slug": _("Blank: made from the course's, e.g. ai-coding-3. Buy links use it."),
            "name": _("e.g. 第 3 期"),
            "sale_open": _(
                "Listed on the course page and sold at checkout, within the enrolment window below."
            ),
            "enrollment_instructions": _(
                "Sent to every new student when they pay (Markdown): the group QR, the first lesson, what to prepare."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["price"].widget.attrs["min"] = "0"
        self.fields["capacity"].widget.attrs["min"] = "1"

    def clean_price(self):
        price = self.cleaned_data["price"]
        if price is not None and price < 0:
            raise forms.ValidationError(_("The price cannot be negative."))
        return price

    def clean_capacity(self):
        capacity = self.cleaned_data["capacity"]
        if capacity is not None and capacity < 1:
            raise forms.ValidationError(_("A cohort has at least one seat."))
        return capacity

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The cohort ends on or after the day it starts."))
        opens, closes = data.get("enrolment_opens_at"), data.get("enrolment_closes_at")
        if opens and closes and closes <= opens:
            self.add_error("enrolment_closes_at", _("Enrolment closes after it opens."))
        return data


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "starts_at", "duration_minutes", "meeting_url", "recording_url", "notes"]
        widgets = {"starts_at": LOCAL_DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"meeting_url": _("Blank: the cohort's join link for live classes.")}
        labels = {"recording_url": _("Replay link")}


class LessonMaterialForm(forms.Form):
    """A file or a link added to a lesson, usually after the class (slides, code, reading)."""

    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=200,
        help_text=_("Blank: the file's name or the link."),
    )
    url = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False)

    def clean(self):
        data = super().clean()
        if not self.errors and bool(data.get("url")) == bool(data.get("file")):
            self.add_error("url", _("Give either a link or a file."))
        return data


class AssignmentForm(forms.ModelForm):
    class Meta:
        model = Assignment
        fields = [
            "title",
            "instructions",
            "standard",
            "due_at",
            "pass_mark",
            "is_graduation_project",
            "accepts_late",
        ]
        widgets = {
            "due_at": LOCAL_DATETIME,
            "instructions": forms.Textarea(attrs={"rows": 8}),
            "standard": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "instructions": _("Markdown: **bold**, lists, links, code blocks."),
            "standard": _("What a passing submission must do. Students see it above the submit form."),
        }


class FeedbackTemplateForm(forms.ModelForm):
    class Meta:
        model = FeedbackTemplate
        fields = ["title", "body", "position", "is_active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 4})}


class SubmissionForm(forms.Form):
    """What a student hands in: at least one of text, link and file (the service checks that)."""

    assignment = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Text"), required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 6})
    )
    link = forms.URLField(label=_("Link"), required=False, max_length=500, assume_scheme="https")
    file = forms.FileField(label=_("File"), required=False)


class ApiSubmissionForm(SubmissionForm):
    assignment = forms.IntegerField(min_value=1)


class GradeForm(forms.Form):
    score = forms.DecimalField(label=_("Score"), **SCORE)
    passed = forms.TypedChoiceField(
        label=_("Verdict"),
        choices=[("", _("By the pass mark")), ("yes", _("Passed")), ("no", _("Not passed"))],
        required=False,
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
    )
    feedback = forms.CharField(
        label=_("Feedback"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000
    )
    is_showcase = forms.BooleanField(
        label=_("Showcase case (shown on the graduation report)"), required=False
    )


class AttendanceForm(forms.Form):
    """One radio group per expected student, built from the lesson's sheet."""

    def __init__(self, *args, sheet: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for enrollment, status in sheet:
            name = f"s{enrollment.student_id}"
            self.fields[name] = forms.ChoiceField(
                label=str(enrollment.student),
                choices=Attendance.Status.choices,
                initial=status or Attendance.Status.ABSENT,
                widget=forms.RadioSelect,
            )
            self.rows.append((enrollment, self[name]))

    def statuses(self) -> dict[int, str]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


class AssessmentRoundForm(forms.Form):
    """One assessment round for the whole cohort: kind, date, pass mark and a score per student."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Assessment.Kind.choices)
    taken_at = forms.DateTimeField(label=_("Taken at"), widget=LOCAL_DATETIME)
    pass_mark = forms.DecimalField(
        label=_("Pass mark"),
        initial=Decimal("60"),
        required=False,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("A score at or above it passes. Graduation needs a passed graduation assessment."),
    )

    def __init__(self, *args, enrollments: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.score_fields = []
        for enrollment in enrollments:
            name = f"score_{enrollment.student_id}"
            self.fields[name] = forms.DecimalField(
                label=str(enrollment.student),
                required=False,
                widget=forms.NumberInput(attrs={"step": "0.5", "class": "score-input"}),
                **SCORE,
            )
            self.score_fields.append((enrollment, self[name]))

    def clean(self):
        data = super().clean()
        if not self.scores():
            raise forms.ValidationError(_("Enter at least one score."))
        return data

    def scores(self) -> dict[int, Decimal]:
        return {
            int(name.removeprefix("score_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("score_") and value is not None
        }


class ClosingFeedbackForm(forms.Form):
    closing_feedback = forms.CharField(
        label=_("Closing feedback"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the student's graduation report if they publish it."),
    )


class AttendanceUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Participant export (CSV or XLSX)"),
        help_text=_(
            "腾讯会议: 会议详情 → 参会成员明细 → 导出. Zoom: Reports → Usage → Participants → Export."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


class AttendancePreviewForm(forms.Form):
    """The thresholds, and a student for each participant the export could not match."""

    full_percent = forms.IntegerField(
        label=_("Full from (percent of the lesson)"), min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip
    partial_percent = forms.IntegerField(
        label=_("Partial from (percent of the lesson)"), min_value=0, max_value=100,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )  # fmt: skip

    def __init__(self, *args, unmatched: list, students: list, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Not a student"))] + [(str(e.student_id), str(e.student)) for e in students]
        self.unmatched = []
        for index, person in unmatched:
            name = f"match_{index}"
            self.fields[name] = forms.ChoiceField(label=person.name, choices=choices, required=False)
            self.unmatched.append((person, self[name]))

    def clean(self):
        data = super().clean()
        full, partial = data.get("full_percent"), data.get("partial_percent")
        if full is not None and partial is not None and partial > full:
            self.add_error("partial_percent", _("Partial must not be above full."))
        return data

    def manual(self) -> dict[int, int]:
        """{participant index: student id} of the matches chosen here."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return {
            int(k.removeprefix("match_")): int(v) for k, v in data.items() if k.startswith("match_") and v
        }


class RefundRiskActionForm(forms.Form):
    kind = forms.ChoiceField(choices=RefundRiskAction.Kind.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
