"""Trend charts drawn on the server as inline SVG: no script, readable without hovering
(every bar carries its value)."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from dashboard.selectors.numbers import WeeklyNumbers
from dashboard.selectors.pages import metric_display

WIDTH, HEIGHT = 360, 150
TOP, BOTTOM, SIDE = 18, 20, 4
TRENDS = [
    ("leads", _("Leads"), "count"),
    ("deals", _("Deals"), "count"),
    ("revenue", _("Revenue"), "money"),
    ("effective_revenue", _("Effective revenue"), "money"),
    ("attendance_rate", _("Attendance rate"), "rate"),
    ("submission_rate", _("Submission rate"), "rate"),
    ("pass_rate", _("Pass rate"), "rate"),
    ("improvement_rate", _("Improvement rate"), "rate"),
]


@dataclass
class Bar:
    x: float
    cx: float
    y: float
    width: float
    height: float
    label: str
    week: str
    short: str
    value_label: str
    undefined: bool
    partial: bool = False  # the running week: what has happened so far


def _short(kind: str, value) -> str:
    """A value small enough to sit above a bar: 12, 3.3k, 87%."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.0f}%"
    number = float(value)
    if number >= 10_000:
        return f"{number / 1000:.0f}k"
    if number >= 1000:
        return f"{number / 1000:.1f}k"
    return f"{number:.0f}"


def trend_charts(history: list[WeeklyNumbers]) -> list[dict]:
    charts = []
    slot = (WIDTH - 2 * SIDE) / max(len(history), 1)
    plot = HEIGHT - TOP - BOTTOM
    for key, title, kind in TRENDS:
        values = [getattr(n, key) for n in history]
        defined = [Decimal(str(v)) for v in values if v is not None]
        ceiling = max(defined, default=Decimal(0)) or Decimal(1)
        if kind == "rate":
            ceiling = max(ceiling, Decimal(1))
        bars = []
        for index, (numbers, value) in enumerate(zip(history, values, strict=True)):
            height = 0.0 if value is None else float(Decimal(str(value)) / ceiling) * plot
            bars.append(
                Bar(
                    x=round(SIDE + index * slot + slot * 0.15, 1),
                    cx=round(SIDE + index * slot + slot / 2, 1),
                    y=round(TOP + plot - height, 1),
                    width=round(slot * 0.7, 1),
                    height=round(height, 1),
                    label=metric_display(kind, value),
                    week=numbers.week.label,
                    short=_short(kind, value),
                    value_label=f"W{numbers.week.number:02d}",
                    undefined=value is None,
                    partial=numbers.partial,
                )
            )
        charts.append(
            {
                "key": key,
                "title": title,
                "latest": metric_display(kind, values[-1]) if values else "—",
                "bars": bars,
                "width": WIDTH,
                "height": HEIGHT,
                "baseline": TOP + plot,
            }
        )
    return charts
