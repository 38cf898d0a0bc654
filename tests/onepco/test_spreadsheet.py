"""The one rule for spreadsheet cells: text that would run as a formula is kept as text."""

from datetime import date
from decimal import Decimal

import pytest

from onepco.spreadsheet import spreadsheet_cell, spreadsheet_text, spreadsheet_untext
from tests.crm.formulas import FORMULAS, a_spreadsheet_would_run

ORDINARY = [
    "",
    "张三",
    "a=b",
    "hello - world",
    "'quoted'",
    "2026-spring",
    "x@example.com",
    "100%",
    " 前有空格",
]


@pytest.mark.parametrize("formula", FORMULAS, ids=repr)
def test_a_formula_gets_one_leading_quote(formula):
    assert spreadsheet_text(formula) == "'" + formula
    assert not a_spreadsheet_would_run(spreadsheet_text(formula))


@pytest.mark.parametrize("text", ORDINARY, ids=repr)
def test_ordinary_text_is_left_alone(text):
    assert spreadsheet_text(text) == text


@pytest.mark.parametrize("text", [*FORMULAS, *ORDINARY, "'=1", "''=1", "'\t", "'", "'+86 138"], ids=repr)
def test_reading_back_undoes_exactly_what_writing_did(text):
    assert spreadsheet_untext(spreadsheet_text(text)) == text


def test_numbers_and_dates_we_write_stay_what_they_are():
    for value in (Decimal("-5.00"), -3, 1.5, date(2026, 1, 1), None, True):
        assert spreadsheet_cell(value) is value
    assert spreadsheet_cell("-5.00") == "'-5.00"  # as text it could be anything a visitor typed
