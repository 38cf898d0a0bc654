from django.core.management.base import BaseCommand

from console.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo business (two courses, three cohorts, twelve weeks of activity). Safe to run twice."

    def handle(self, *args, **options) -> None:
        summary = demo_load()
        if summary is None:
            self.stdout.write("The demo business is already loaded; nothing changed.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {summary.leads} leads, {summary.students} students, "
                f"{summary.orders} orders, {summary.lessons} lessons, "
                f"{summary.submissions} submissions, {summary.assessments} assessments."
            )
        )
