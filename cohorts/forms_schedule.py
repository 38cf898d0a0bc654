"""Input of the schedule generator and of the copy from a previous cohort."""

import re
from datetime import date, time

from django import forms
from django.utils.translation import gettext_lazy as _

from cohorts.models import Cohort
from cohorts.scheduling import WEEKDAYS, ScheduleRow, copy_candidates

MAX_ROWS = 4
MAX_WEEKS = 52


class ScheduleForm(forms.Form):
    first_day = forms.DateField(
        label=_("Week 1 starts on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The cohort's start date. Week 2 starts seven days later, and so on."),
    )
    weeks = forms.IntegerField(
        label=_("Number of weeks"),
        min_value=1,
        max_value=MAX_WEEKS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "min_value": _("At least one week."),
            "max_value": _("At most %(limit_value)s weeks."),
        },
    )
    skip_dates = forms.CharField(
        label=_("Skip dates"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2027-01-01, 2027-02-17"}),
        help_text=_(
            "Holidays: no lesson on these days. One date per line or separated by commas, as 2027-01-01."
        ),
    )

    def clean_skip_dates(self) -> set[date]:
        days = set()
        bad = []
        for word in re.split(r"[\s,，、;；]+", self.cleaned_data["skip_dates"].strip()):
            if not word:
                continue
            try:
                days.add(date.fromisoformat(word))
            except ValueError:
                bad.append(word)
        if bad:
            raise forms.ValidationError(
                _("Not a date: %(words)s. Write dates as 2027-01-01."), params={"words": "、".join(bad[:5])}
            )
        return days


class ScheduleRowForm(forms.Form):
    """One line of the pattern, e.g. 每周二、周四 20:00 直播 90 分钟."""

    title = forms.CharField(
        label=_("Title"),
        max_length=180,
        widget=forms.TextInput(attrs={"placeholder": _("Live class {n}")}),
        help_text=_("{n} becomes the lesson's number in this row, {week} the week's number."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "weekday-box"}),
        error_messages={"required": _("Choose at least one weekday.")},
    )
    clock = forms.TimeField(
        label=_("Time"),
        initial=time(20, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=5,
        max_value=600,
        initial=90,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def row(self) -> ScheduleRow:
        data = self.cleaned_data
        return ScheduleRow(
            title=data["title"],
            weekdays=tuple(sorted(data["weekdays"])),
            clock=data["clock"],
            duration_minutes=data["duration_minutes"],
        )


class BaseScheduleRowFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        if not self.rows():
            raise forms.ValidationError(_("Fill in at least one row: a title, weekdays and a time."))

    def rows(self) -> list[ScheduleRow]:
        return [form.row() for form in self.filled_forms()]

    def filled_forms(self) -> list[ScheduleRowForm]:
        return [form for form in self.forms if form.has_changed() and form.cleaned_data]


ScheduleRowFormSet = forms.formset_factory(
    ScheduleRowForm, formset=BaseScheduleRowFormSet, extra=MAX_ROWS, max_num=MAX_ROWS, validate_max=True
)


class CohortChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Cohort) -> str:
        return f"{obj.name} · {obj.starts_on:%Y-%m-%d}"


class CopyFromForm(forms.Form):
    source = CohortChoiceField(label=_("Copy from"), queryset=Cohort.objects.none(), empty_label=None)

    def __init__(self, *args, target: Cohort, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["source"]
        assert isinstance(field, CohortChoiceField)
        field.queryset = copy_candidates(target)
