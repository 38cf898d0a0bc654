from django.core.management.base import BaseCommand, CommandError, CommandParser

from dashboard.services import weekly_metrics_backfill, weekly_metrics_snapshot, weekly_report_send
from onepco.weeks import InvalidWeek, Week

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Freeze the weekly numbers: the week that just ended by default, --week 2026-W47 for one "
        "week, --from 2026-W01 --to 2026-W47 for a range. Safe to run again: it overwrites."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", help="One ISO week, e.g. 2026-W47.")
        parser.add_argument("--from", dest="first", help="First ISO week of a range.")
        parser.add_argument("--to", dest="last", help="Last ISO week of a range (default: last week).")
        parser.add_argument(
            "--report", action="store_true", help="Then e-mail the founder the report (once per week)."
        )

    def handle(self, *args, **options) -> None:
        if options["week"] and (options["first"] or options["last"]):
            raise CommandError("Give either --week or --from/--to, not both.")
        if options["first"] or options["last"]:
            first = self.week(options["first"] or options["last"])
            last = self.week(options["last"]) if options["last"] else Week.current().previous()
            if last < first:
                raise CommandError(f"--to {last} comes before --from {first}.")
            written = weekly_metrics_backfill(first=first, last=last, progress=self.progress)
            self.stdout.write(self.style.SUCCESS(f"Snapshotted {written} weeks, {first} to {last}."))
            weeks = [last]
        else:
            week = self.week(options["week"]) if options["week"] else Week.current().previous()
            row = weekly_metrics_snapshot(week=week)
            self.stdout.write(
                self.style.SUCCESS(f"Snapshotted {row.week}: {row.leads} leads, {row.deals} deals.")
            )
            weeks = [week]
        if options["report"]:
            sent = weekly_report_send(week=weeks[-1])
            self.stdout.write(f"Weekly report for {weeks[-1]}: " + ("sent." if sent else "already sent."))

    def week(self, text: str) -> Week:
        try:
            return Week.parse(text)
        except InvalidWeek as exc:
            raise CommandError(str(exc)) from None

    def progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total
        self.stderr.write(f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {done}/{total} weeks", ending="")
        if done == total:
            self.stderr.write("")
