from datetime import UTC, date, datetime

import pytest

from onepco.weeks import InvalidWeek, Week, week_range
from tests.factories import aware


def test_a_week_runs_from_monday_midnight_in_shanghai():
    week = Week.parse("2026-W47")
    assert week.monday == date(2026, 11, 16) and week.sunday == date(2026, 11, 22)
    assert week.start == aware(2026, 11, 16)
    assert week.end == aware(2026, 11, 23)
    # Monday 00:00 Shanghai is Sunday 16:00 UTC.
    assert week.start.astimezone(UTC) == datetime(2026, 11, 15, 16, tzinfo=UTC)


def test_sunday_2359_and_monday_0000_fall_in_different_weeks():
    assert Week.of(aware(2026, 11, 22, 23, 59)).label == "2026-W47"
    assert Week.of(aware(2026, 11, 23, 0, 0)).label == "2026-W48"
    # 20:00 UTC on Sunday is already Monday in Shanghai.
    assert Week.of(datetime(2026, 11, 22, 20, 0, tzinfo=UTC)).label == "2026-W48"


def test_iso_years_wrap_correctly():
    assert Week.of(date(2026, 12, 31)).label == "2026-W53"
    assert Week.parse("2026-W53").next().label == "2027-W01"
    assert Week.parse("2027-W01").previous().label == "2026-W53"
    assert [w.label for w in week_range(Week.parse("2026-W52"), Week.parse("2027-W02"))] == [
        "2026-W52", "2026-W53", "2027-W01", "2027-W02",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["2026-47", "2026-W7", "W47", "2025-W53", "2026-W00", "", "2026-W47x"])
def test_malformed_weeks_are_refused(text):
    with pytest.raises(InvalidWeek):
        Week.parse(text)
