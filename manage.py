#!/usr/bin/env python
"""onepco's command-line entry point (Django's manage.py)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onepco.settings")
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
