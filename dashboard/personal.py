"""The dashboard holds numbers only: no row names a person (see onepco/personal.py)."""

from dashboard.models import WeeklyMetrics

DESCRIBED = ()
NOT_PERSONAL = (WeeklyMetrics,)
