"""How contact details are compared: e-mail case-insensitively, phone by digits (+86 default)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CHINA_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def email_normalize(value: str) -> str:
    return (value or "").strip().lower()


def phone_normalize(value: str) -> str:
    """'138 0013-8000', '+86 13800138000', '0086…' → '+8613800138000'; '' stays ''.

    Raises ValidationError for something that cannot be a phone number.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    if re.search(r"[^\d\s()+\-.]", raw):
        raise ValidationError(_("Enter a phone number using digits only."), code="invalid_phone")
    digits = re.sub(r"\D", "", raw)
    if raw.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif CHINA_MOBILE.match(digits):
        international = "86" + digits
    else:
        raise ValidationError(
            _("Enter a mainland mobile number (11 digits) or an international number starting with +."),
            code="invalid_phone",
        )
    if international.startswith("86") and not CHINA_MOBILE.match(international[2:]):
        raise ValidationError(
            _("A mainland mobile number has 11 digits and starts with 1."), code="invalid_phone"
        )
    if not 8 <= len(international) <= 15:
        raise ValidationError(_("This phone number is too short or too long."), code="invalid_phone")
    return "+" + international


def phone_display(value: str) -> str:
    """How a stored number is shown back to the person who typed it: a mainland mobile without
    its +86 (as it was typed), any other number as stored."""
    if value.startswith("+86") and CHINA_MOBILE.match(value[3:]):
        return value[3:]
    return value
