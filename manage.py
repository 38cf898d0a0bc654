#!/usr/bin/env python
"""onepco's command-line entry point (Django's manage.py)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onepco.settings")
    # runserver answers requests; every other command (the worker, the scheduler, backups,
    # imports) may rightly run long, and gets the longer timeouts (settings.PROCESS_KIND).
    os.environ["ONEPCO_PROCESS"] = "web" if sys.argv[1:2] == ["runserver"] else "command"
    from onepco.bootstrap import StartupError, apply_data_dir_option

    apply_data_dir_option(sys.argv)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except StartupError as exc:
        # A newcomer needs the reason, not a traceback.
        sys.stderr.write(f"onepco: {exc}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
