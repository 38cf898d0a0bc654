import sys

from django.core.management.base import BaseCommand, CommandError

from console.archive import ArchiveError, import_archive
from console.management.commands.export_all import progress_printer


class Command(BaseCommand):
    help = "Restore an archive made by export_all into this (empty) instance; checksums are verified first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="The zip file written by export_all")
        parser.add_argument(
            "--replace", action="store_true", help="Wipe this instance's business data before restoring."
        )

    def handle(self, *args, archive: str, replace: bool, **options) -> None:
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
