"""Cells of the CSV files we write for spreadsheets (Excel, WPS, LibreOffice).

A spreadsheet runs a cell as a formula when its first visible character is = + - or @, and
Chinese input methods type the full-width forms ＝ ＋ － ＠, which some spreadsheets take too;
a cell that starts with a tab or a carriage return may be read the same way. Text from the
public (a signup's name, message or utm value) could then run code on the founder's machine
("=cmd|' /C calc'!A0") or leak data. Such text is written with one leading single quote, the
spreadsheet's own "this is text" mark.

Only text is quoted: numbers and dates we write ourselves (an amount of -5.00) stay numbers.
A phone number "+8613800138000" is text and is quoted as well: unquoted, Excel would take it
for a formula or turn it into 8.61E+12.

`spreadsheet_untext` undoes `spreadsheet_text` exactly (a value that itself starts with quotes
before a formula gets one more quote), so a file we exported reads back to the same values.
"""

import unicodedata

FORMULA_STARTS = frozenset("=+-@＝＋－＠")
CONTROL_STARTS = ("\t", "\r")


def _invisible(char: str) -> bool:
    # Spaces, line breaks and format characters (a BOM, a zero-width space) show nothing.
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def _runs_as_formula(text: str) -> bool:
    if text.startswith(CONTROL_STARTS):
        return True
    visible = next((char for char in text if not _invisible(char)), "")
    return visible in FORMULA_STARTS


def _needs_quote(text: str) -> bool:
    return _runs_as_formula(text.lstrip("'"))


def spreadsheet_text(text: str) -> str:
    """The text as a cell a spreadsheet shows and never runs."""
    return "'" + text if _needs_quote(text) else text


def spreadsheet_untext(text: str) -> str:
    """The value `spreadsheet_text` was given, from the cell it wrote."""
    return text[1:] if text.startswith("'") and _needs_quote(text) else text


def spreadsheet_cell(value: object) -> object:
    """A value for csv.writer: text made safe, anything else (numbers, dates) unchanged."""
    return spreadsheet_text(value) if isinstance(value, str) else value
