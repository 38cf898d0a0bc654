"""The WSGI application gunicorn serves, with onepco/gunicorn.py (which preloads it)."""

import gc
import os

from django.apps import apps
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver
from django.utils import translation

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onepco.settings")
# A web process: short timeouts on PostgreSQL and Redis (settings.PROCESS_KIND).
os.environ["ONEPCO_PROCESS"] = "web"

application = get_wsgi_application()

# Import every view, the payment SDKs and the translations now rather than on a worker's first
# request: with --preload this happens once, in gunicorn's master, and a worker (recycled by
# --max-requests or not) is forked ready to answer at full speed. An app with something slow
# to import says so with a `warm_up()` on its AppConfig (billing: `import stripe` is 0.5 s).
get_resolver().url_patterns  # noqa: B018 - the attribute imports the URL modules
for config in apps.get_app_configs():
    if callable(warm_up := getattr(config, "warm_up", None)):
        warm_up()
for language, _name in settings.LANGUAGES:
    translation.activate(language)
translation.deactivate()
# Nothing above should have touched the database; if it did, close the connection so that no
# forked worker inherits (and shares) the master's socket.
connections.close_all()
# Keep the collector away from everything loaded so far: its bookkeeping writes would copy the
# shared pages into every forked worker.
gc.freeze()
