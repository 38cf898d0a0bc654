"""`manage.py translations`: refresh the catalogues, compile them, list what is untranslated.

One command so that nobody has to remember makemessages' ignore list. English is the source
language (its catalogue stays empty on purpose); Simplified Chinese must be complete.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

IGNORE = [".venv/*", "var/*", "staticfiles/*", "artifacts/*", "tests/*", "bench/*", "node_modules/*"]
LOCALES = ["zh_Hans", "en"]


def catalogue(locale: str) -> Path:
    return Path(settings.BASE_DIR) / "locale" / locale / "LC_MESSAGES" / "django.po"


def untranslated(locale: str = "zh_Hans") -> list[polib.POEntry]:
    po = polib.pofile(str(catalogue(locale)))
    return [e for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]


class Command(BaseCommand):
    help = "Refresh and compile the translation catalogues; list untranslated Chinese strings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Fail if anything is untranslated.")
        parser.add_argument("--no-refresh", action="store_true", help="Only compile and check.")

    def handle(self, *args, **options) -> None:
        if not options["no_refresh"]:
            call_command(
                "makemessages", locale=LOCALES, ignore_patterns=IGNORE, no_obsolete=True, verbosity=0
            )
        missing = untranslated()
        for entry in missing:
            self.stdout.write(f"untranslated: {entry.msgid!r}")
        call_command("compilemessages", locale=LOCALES, ignore_patterns=IGNORE, verbosity=0)
        self.stdout.write(f"{len(missing)} untranslated Chinese strings")
        if missing and options["check"]:
            raise CommandError("translate them in locale/zh_Hans/LC_MESSAGES/django.po")
