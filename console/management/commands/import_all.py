import json
import sys
import zipfile

from django.core.management.base import BaseCommand, CommandError

from console.archive import ArchiveError, import_archive, read_manifest, weekly_numbers_of
from console.management.commands.export_all import progress_printer
from onepco.weeks import Week


class Command(BaseCommand):
    help = "Restore an archive made by export_all into this (empty) instance; checksums are verified first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="The zip file written by export_all")
        parser.add_argument(
            "--replace", action="store_true", help="Wipe this instance's business data before restoring."
        )
        parser.add_argument(
            "--numbers",
            action="store_true",
            help="After restoring, print the weekly numbers of the weeks the archive recorded, as JSON "
            "(the restore drill compares them).",
        )

    def handle(self, *args, archive: str, replace: bool, numbers: bool = False, **options) -> None:
        show = progress_printer(sys.stderr) if options["verbosity"] > 0 else None
        try:
            report = import_archive(archive, replace=replace, progress=show)
        except ArchiveError as exc:
            raise CommandError(str(exc)) from None
        if show:
            sys.stderr.write("\n")
        for label, count in sorted(report.rows.items()):
            self.stdout.write(f"  {label:<28} {count:>8}")
        self.stdout.write(
            self.style.SUCCESS(f"Restored {report.total_rows} rows and {report.files} files from {archive}")
        )
        if numbers:
            with zipfile.ZipFile(archive) as restored:
                weeks = sorted(read_manifest(restored).get("weekly_numbers", {}), key=Week.parse)
            found = weekly_numbers_of(Week.parse(weeks[0]), Week.parse(weeks[-1])) if weeks else {}
            self.stdout.write(json.dumps({week: found.get(week) for week in weeks}))
