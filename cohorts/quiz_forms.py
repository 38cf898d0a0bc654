"""Input validation of the online tests: the founder's builder, the student's answers, grading."""

from decimal import Decimal

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from cohorts.forms import LOCAL_DATETIME, MarkdownTextarea
from cohorts.models import Quiz, QuizAnswer, QuizQuestion
from cohorts.quiz_services import AnswerInput, ChoiceInput, GradeInput

CHOICE_ROWS = 6


class QuizForm(forms.ModelForm):
    class Meta:
        model = Quiz
        fields = [
            "title",
            "kind",
            "instructions",
            "layout",
            "time_limit_minutes",
            "opens_at",
            "closes_at",
            "attempts_allowed",
            "pass_mark",
            "is_published",
        ]
        widgets = {
            "opens_at": LOCAL_DATETIME,
            "closes_at": LOCAL_DATETIME,
            "instructions": MarkdownTextarea({"rows": 4}),
            "layout": forms.RadioSelect,
            "time_limit_minutes": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
            "attempts_allowed": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
            "pass_mark": forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        }
        labels = {"kind": _("Which assessment it measures")}
        help_texts = {
            "kind": _("The score becomes the student's entry, stage or graduation assessment."),
            "title": _("e.g. 入学测评"),
        }

    def __init__(self, *args, locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.locked = locked
        if locked:
            for name in ("kind", "time_limit_minutes", "pass_mark"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Students have started the test: this no longer changes.")

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The test closes after it opens."))
        return data


class QuestionForm(forms.ModelForm):
    """A question with, for multiple choice, up to six choices (text + correct)."""

    correct_true = forms.TypedChoiceField(
        label=_("The statement is"),
        choices=[("true", _("True")), ("false", _("False"))],
        coerce=lambda v: v == "true",
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = QuizQuestion
        fields = ["prompt", "points", "correct_true", "guidance"]
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 4}),
            "guidance": forms.Textarea(attrs={"rows": 3}),
            "points": forms.NumberInput(attrs={"inputmode": "numeric", "min": "1"}),
        }
        help_texts = {"prompt": _("Markdown: **bold**, lists, `code`, code blocks.")}

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        existing = list(self.instance.choices.all()) if self.instance.pk else []
        self.choice_rows = []
        for i in range(CHOICE_ROWS):
            old = existing[i] if i < len(existing) else None
            self.fields[f"choice_{i}"] = forms.CharField(
                label=_("Choice %(n)s") % {"n": i + 1},
                required=False,
                max_length=500,
                initial=old.text if old else "",
            )
            self.fields[f"correct_{i}"] = forms.BooleanField(
                label=_("correct"), required=False, initial=bool(old and old.is_correct)
            )
            self.choice_rows.append((self[f"choice_{i}"], self[f"correct_{i}"]))
        if kind != QuizQuestion.Kind.TRUE_FALSE:
            del self.fields["correct_true"]
        elif self.instance.pk and self.instance.correct_true is not None:
            self.initial["correct_true"] = "true" if self.instance.correct_true else "false"
        if kind in QuizQuestion.AUTO_SCORED:
            self.fields["guidance"].label = _("Explanation")
            self.fields["guidance"].help_text = _("Shown to the student with the result (optional).")

    def choices(self) -> list[ChoiceInput]:
        return [
            ChoiceInput(self.cleaned_data[f"choice_{i}"], self.cleaned_data[f"correct_{i}"])
            for i in range(CHOICE_ROWS)
        ]


def answer_from_post(question: QuizQuestion, data: QueryDict) -> AnswerInput:
    """A student's answer to one question as the taking screen posts it: `q<id>` holds the
    chosen choice ids, "true" / "false", or the text. Raises ValidationError on junk."""
    name = f"q{question.pk}"
    if question.has_choices:
        try:
            selected = tuple(int(value) for value in data.getlist(name) if value != "")
        except ValueError:
            raise forms.ValidationError(_("That choice is not one of this question's.")) from None
        return AnswerInput(selected=selected)
    if question.kind == QuizQuestion.Kind.TRUE_FALSE:
        value = data.get(name, "")
        if value not in ("", "true", "false"):
            raise forms.ValidationError(_("Answer true or false."))
        return AnswerInput(truth=None if value == "" else value == "true")
    return AnswerInput(text=data.get(name, ""))


class AttemptGradeForm(forms.Form):
    """Points and feedback for each hand-graded answer of an attempt."""

    def __init__(self, *args, answers: list[QuizAnswer], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for answer in answers:
            points = forms.DecimalField(
                label=_("Points (of %(n)s)") % {"n": answer.question.points},
                min_value=Decimal("0"),
                max_value=Decimal(answer.question.points),
                max_digits=7,
                decimal_places=2,
                initial=answer.points,
                widget=forms.NumberInput(
                    attrs={"step": "0.5", "inputmode": "decimal", "class": "score-input"}
                ),
            )
            feedback = forms.CharField(
                label=_("Feedback"),
                required=False,
                max_length=20_000,
                initial=answer.feedback,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            self.fields[f"points_{answer.pk}"] = points
            self.fields[f"feedback_{answer.pk}"] = feedback
            self.rows.append((answer, self[f"points_{answer.pk}"], self[f"feedback_{answer.pk}"]))

    def grades(self) -> dict[int, GradeInput]:
        return {
            answer.pk: GradeInput(
                points=self.cleaned_data[f"points_{answer.pk}"],
                feedback=self.cleaned_data[f"feedback_{answer.pk}"],
            )
            for answer, _points, _feedback in self.rows
        }
