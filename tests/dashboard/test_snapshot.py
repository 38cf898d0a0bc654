"""Freezing weeks: idempotent upserts, backfill, the command, the founder's actions."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from dashboard.models import WeeklyMetrics
from dashboard.services import (
    weekly_actions_save,
    weekly_metrics_backfill,
    weekly_metrics_backfill_recent,
    weekly_metrics_snapshot,
)
from onepco.weeks import Week
from tests.dashboard.conftest import W46, W47, W48


def test_snapshot_twice_gives_one_row_with_the_same_numbers_and_a_new_computed_at(business):
    first = weekly_metrics_snapshot(week=W47)
    second = weekly_metrics_snapshot(week=W47)
    assert WeeklyMetrics.objects.count() == 1
    assert second.pk == first.pk and second.computed_at > first.computed_at
    row = WeeklyMetrics.objects.get()
    assert (row.week, row.week_start.isoformat()) == ("2026-W47", "2026-11-16")
    assert (row.leads, row.deals, row.revenue, row.refunded) == (2, 2, Decimal("3000.50"), Decimal("333.33"))
    assert (row.attendance_expected, row.attendance_full, row.attendance_partial) == (6, 2, 2)
    assert (row.pass_graded, row.pass_passed, row.pass_rate) == (3, 2, 2 / 3)
    assert row.effective_revenue == Decimal("666.78") and row.completion_rate == 2 / 6


def test_snapshot_keeps_the_founders_actions(business):
    weekly_actions_save(week=W47, actions=["多发小红书", "", "补课"])
    weekly_metrics_snapshot(week=W47)
    row = WeeklyMetrics.objects.get(week="2026-W47")
    assert row.actions == ["多发小红书", "补课"] and row.leads == 2


def test_a_failure_inside_the_snapshot_leaves_the_previous_row(business, monkeypatch):
    weekly_metrics_snapshot(week=W47)
    before = WeeklyMetrics.objects.get()
    from dashboard import services

    def dies(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services.WeeklyMetrics.objects, "get", dies)
    with pytest.raises(RuntimeError):
        weekly_metrics_snapshot(week=W47)
    after = WeeklyMetrics.objects.filter(pk=before.pk).values("computed_at")[0]["computed_at"]
    assert after == before.computed_at


def test_backfill_writes_every_week_of_the_range_and_reports_progress(business):
    seen = []
    written = weekly_metrics_backfill(
        first=W46.shifted(-30), last=W48, progress=lambda d, t: seen.append((d, t))
    )
    assert written == 33 == WeeklyMetrics.objects.count()
    assert seen[-1] == (33, 33) and len(seen) == 2
    assert WeeklyMetrics.objects.get(week="2026-W46").revenue == Decimal("999.00")
    assert weekly_metrics_backfill(first=W48, last=W46) == 0


def test_backfill_recent_freezes_the_weeks_that_have_ended(db):
    assert weekly_metrics_backfill_recent(weeks=12) == 12
    weeks = list(WeeklyMetrics.objects.order_by("week_start").values_list("week", flat=True))
    assert weeks[-1] == Week.current().previous().label and len(weeks) == 12


def test_the_command_snapshots_last_week_by_default(db, capsys):
    call_command("snapshot_weekly")
    assert WeeklyMetrics.objects.get().week == Week.current().previous().label


def test_the_command_takes_a_week_or_a_range(business, capsys):
    call_command("snapshot_weekly", "--week", "2026-W47")
    call_command("snapshot_weekly", "--from", "2026-W40", "--to", "2026-W48")
    assert WeeklyMetrics.objects.count() == 9
    captured = capsys.readouterr()
    assert "9/9 weeks" in captured.err and "Snapshotted 9 weeks" in captured.out


@pytest.mark.parametrize(
    "args",
    [
        ["--week", "2026-47"],
        ["--week", "2026-W60"],
        ["--from", "2026-W10", "--to", "2026-W01"],
        ["--week", "2026-W01", "--from", "2026-W01"],
    ],
)
def test_the_command_refuses_bad_weeks(db, args):
    with pytest.raises(CommandError):
        call_command("snapshot_weekly", *args)
    assert not WeeklyMetrics.objects.exists()


def test_actions_are_at_most_three_and_snapshot_a_week_without_a_row(business):
    row = weekly_actions_save(week=W47, actions=["一", "二", "三", "四"])
    assert row.actions == ["一", "二", "三"] and row.leads == 2 and row.actions_updated_at


def test_the_command_can_send_the_report_once(business, capsys):
    from django.core import mail

    call_command("snapshot_weekly", "--week", "2026-W47", "--report")
    call_command("snapshot_weekly", "--week", "2026-W47", "--report")
    assert len(mail.outbox) == 1
    out = capsys.readouterr().out
    assert "sent." in out and "already sent." in out


def test_the_demo_comes_with_twelve_frozen_weeks(db):
    from console.demo import demo_load

    demo_load()
    rows = WeeklyMetrics.objects.order_by("week_start")
    assert rows.count() == 12 and rows.last().week == Week.current().previous().label
    assert sum(row.deals for row in rows) > 0 and any(row.effective_revenue for row in rows)
