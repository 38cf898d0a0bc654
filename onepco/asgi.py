import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onepco.settings")
os.environ["ONEPCO_PROCESS"] = "web"  # short timeouts on PostgreSQL and Redis

application = get_asgi_application()
