import sys

from django.core.management.base import BaseCommand

from console.archive import export_archive


def progress_printer(stream):
    def show(label: str, index: int, total: int) -> None:
        width = 30
        done = int(width * index / total)
        stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {index}/{total} {label:<28}")
        stream.flush()

    return show


class Command(BaseCommand):
    help = "Export the whole business to a portable zip archive (CSV per table, JSON, files, manifest)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("output", help="Path of the zip file to write, e.g. onepco-2026-11-22.zip")

    def handle(self, *args, output: str, **options) -> None:
        show = progress_printer(sys.stderr) if options["verbosity"] > 0 else None
        report = export_archive(output, progress=show)
        if show:
            sys.stderr.write("\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {report.total_rows} rows in {len(report.rows)} tables and {report.files} files to {output}"
            )
        )
