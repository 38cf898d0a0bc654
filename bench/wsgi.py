"""gunicorn bench.wsgi: onepco with the benchmark's reference views."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from onepco.wsgi import application  # noqa: F401 - after the settings module is chosen
