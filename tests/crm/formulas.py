"""Cells a spreadsheet would run as formulas, shared by the lead export and archive tests."""

# What a spreadsheet runs as a formula: = + - @ (also full width, as Chinese input methods type
# them) as the first visible character, or a cell starting with a tab or carriage return.
FORMULAS = [
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1",
    "\n=1",
    " =1",
    " \t =HYPERLINK(1)",
    "+1",
    "-1+2",
    "@SUM(1)",
    "＝1",
    "＋1",
    "－1",
    "＠SUM(1)",
    "\ufeff=1",
]


def a_spreadsheet_would_run(cell: str) -> bool:
    """Judged independently of the code under test."""
    visible = cell.lstrip(" \t\r\n\ufeff")
    return cell[:1] in ("\t", "\r") or visible[:1] in tuple("=+-@＝＋－＠")
