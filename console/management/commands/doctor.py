from django.core.management.base import BaseCommand

from console.health import FAIL, OK, run_checks


class Command(BaseCommand):
    help = (
        "Check the database, Redis, worker, scheduler, jobs, e-mail, disk and snapshots; exit 1 on a problem."
    )

    def handle(self, *args, **options) -> None:
        checks = run_checks()
        width = max(len(str(c.name)) for c in checks)
        for check in checks:
            style = {OK: self.style.SUCCESS, FAIL: self.style.ERROR}.get(check.status, self.style.WARNING)
            verdict = style(f"{check.status.upper():<5}")
            self.stdout.write(f"{verdict} {check.name!s:<{width}}  {check.detail}")
        if any(check.status == FAIL for check in checks):
            raise SystemExit(1)
