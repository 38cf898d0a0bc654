from django.core.management.base import BaseCommand, CommandError

from console.backups import restore_drill


class Command(BaseCommand):
    help = (
        "Prove a backup restores: verify its checksums, restore it into a scratch database with "
        "import_all (in a process of its own), compare every week's numbers, drop the scratch database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("archive", help="A zip written by export_all or the daily backup")

    def handle(self, *args, archive: str, **options) -> None:
        passed, steps = restore_drill(archive)
        for step in steps:
            mark = self.style.SUCCESS("ok  ") if step["ok"] else self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {step['step']}" + (f": {step['detail']}" if step["detail"] else ""))
        if not passed:
            raise CommandError("the backup did not restore as it should")
        self.stdout.write(self.style.SUCCESS(f"{archive} restores."))
