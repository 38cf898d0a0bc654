from django.core.management.base import BaseCommand

from onepco.outbox import outbox_pending_count, outbox_sweep


class Command(BaseCommand):
    help = "Relay waiting outbox rows to RQ (for hosts that run it from system cron)."

    def handle(self, *args, **options) -> None:
        relayed = outbox_sweep()
        self.stdout.write(f"relayed {relayed}; unfinished {outbox_pending_count()}")
