from django.core.management.base import BaseCommand

from billing.services import payments_reconcile


class Command(BaseCommand):
    help = "Ask the providers about pending orders, apply what they say, expire stale orders."

    def handle(self, *args, **options) -> None:
        result = payments_reconcile()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
