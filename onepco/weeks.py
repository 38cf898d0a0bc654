"""ISO weeks in the site time zone: the one place week boundaries come from.

A week runs from Monday 00:00 to the next Monday 00:00 in settings.TIME_ZONE and is named by
its ISO week, e.g. "2026-W47".
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


class InvalidWeek(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Week":
        match = WEEK_RE.match(text or "")
        if not match:
            raise InvalidWeek(f"'{text}' is not an ISO week like 2026-W47")
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError as exc:
            raise InvalidWeek(f"{year} has no week {number}") from exc
        return cls(year, number)

    @classmethod
    def of(cls, moment: datetime | date) -> "Week":
        """The week containing a moment (converted to the site time zone) or a date."""
        if isinstance(moment, datetime):
            moment = timezone.localtime(moment, timezone.get_default_timezone()).date()
        year, number, _ = moment.isocalendar()
        return cls(year, number)

    @classmethod
    def current(cls) -> "Week":
        return cls.of(timezone.now())

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def __str__(self) -> str:
        return self.label

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def start(self) -> datetime:
        """Monday 00:00 in the site time zone (aware)."""
        return datetime.combine(self.monday, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def end(self) -> datetime:
        """The next Monday 00:00: the end is exclusive."""
        return self.next().start

    def next(self) -> "Week":
        return Week.of(self.monday + timedelta(days=7))

    def previous(self) -> "Week":
        return Week.of(self.monday - timedelta(days=7))

    def shifted(self, weeks: int) -> "Week":
        return Week.of(self.monday + timedelta(days=7 * weeks))


def week_range(first: Week, last: Week) -> list[Week]:
    """Every week from first to last, both included."""
    weeks = []
    week = first
    while week <= last:
        weeks.append(week)
        week = week.next()
    return weeks
