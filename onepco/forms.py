from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _


class FormRenderer(TemplatesSetting):
    """Every form renders its fields the same way: label, input, help, errors beside it."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


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
