from django import forms
from django.utils.translation import gettext_lazy as _

from onepco.weeks import InvalidWeek, Week


class ActionsForm(forms.Form):
    """The founder's three improvement actions for next week (复盘): at most three."""

    action_1 = forms.CharField(label=_("Action 1"), max_length=300, required=False)
    action_2 = forms.CharField(label=_("Action 2"), max_length=300, required=False)
    action_3 = forms.CharField(label=_("Action 3"), max_length=300, required=False)

    @property
    def actions(self) -> list[str]:
        return [self.cleaned_data[f"action_{i}"] for i in (1, 2, 3)]


class SuggestionAcceptForm(forms.Form):
    """One tap on a suggestion: the rule it came from (the server recomputes its text)."""

    rule = forms.CharField(max_length=100)


class ActionMarkForm(forms.Form):
    """Last week's action: done, not done, or back to unmarked."""

    done = forms.ChoiceField(choices=[("yes", _("Done")), ("no", _("Not done")), ("clear", _("Unmarked"))])

    @property
    def value(self) -> bool | None:
        return {"yes": True, "no": False, "clear": None}[self.cleaned_data["done"]]


class WeekForm(forms.Form):
    week = forms.CharField(label=_("Week"), required=False)

    def clean_week(self) -> Week:
        text = (self.cleaned_data.get("week") or "").strip()
        if not text:
            return Week.current()
        try:
            return Week.parse(text)
        except InvalidWeek:
            raise forms.ValidationError(_("Give an ISO week like 2026-W47.")) from None


class DashboardForm(WeekForm):
    """The page's query: a week (default the last complete one) and the funnel's span."""

    funnel = forms.ChoiceField(
        label=_("Funnel span"), choices=[("4", _("4 weeks")), ("12", _("12 weeks"))], required=False
    )

    dropouts = forms.ChoiceField(
        label=_("Falling behind"), choices=[("", _("The first ones")), ("all", _("All"))], required=False
    )

    def clean_funnel(self) -> int:
        return int(self.cleaned_data.get("funnel") or 4)

    def clean_week(self) -> Week:
        if not (self.cleaned_data.get("week") or "").strip():
            return Week.current().previous()
        return super().clean_week()


class RoiSpanForm(forms.Form):
    """The pieces page's span: the last 4 or 12 weeks up to this one."""

    weeks = forms.ChoiceField(
        label=_("Span"), choices=[("4", _("4 weeks")), ("12", _("12 weeks"))], required=False
    )
    # Also the older pieces that brought nothing in the span (hidden by default).
    all = forms.BooleanField(label=_("Every piece"), required=False)

    def clean_weeks(self) -> int:
        return int(self.cleaned_data.get("weeks") or 4)
