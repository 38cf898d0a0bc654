"""Input validation of the delivery loop. The HTML pages and the API share these forms."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from cohorts.models import Assessment, Assignment, Attendance, FeedbackTemplate, Lesson

LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SCORE: dict[str, Any] = {
    "min_value": Decimal("0"),
    "max_value": Decimal("100"),
    "max_digits": 5,
    "decimal_places": 2,
}


class LessonForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["title", "starts_at", "duration_minutes", "meeting_url", "recording_url", "notes"]
        widgets = {"starts_at": LOCAL_DATETIME, "notes": forms.Textarea(attrs={"rows": 3})}


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
