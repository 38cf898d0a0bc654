"""A statement that runs too long cannot hold a web thread: the site answers 503 and goes on.

gunicorn (production's settings file) runs on the test database with a one-second limit; the
test holds a lock on the tables the requests need, so their statements wait on it, the way a
long migration, a backup's lock or a runaway query would make them wait.
"""

import json
import time

import pytest
from django.db import connection, transaction

from cohorts.models import Cohort
from crm.models import Lead
from tests.reliability.conftest import Gunicorn, child_env, http_call

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("processes")]


@pytest.fixture
def web(settings, tmp_path):
    web = Gunicorn(
        child_env(
            settings.REDIS_URL,
            DATABASE_STATEMENT_TIMEOUT="1",
            LEAD_RATE_LIMIT="1000/m",
            MEDIA_ROOT=str(tmp_path / "media"),
        )
    )
    yield web.url
    web.stop()


def timed_call(url: str, body: dict | None = None) -> tuple[int, str, dict, float]:
    started = time.monotonic()
    # The client gives up well after the limit: a request still waiting then has hung.
    status, text, headers = http_call(url, body, timeout=8)
    return status, text, headers, time.monotonic() - started


def test_a_statement_past_the_limit_answers_503_instead_of_hanging_the_request(web):
    lead = {"name": "张三", "email": "zhang@example.com", "consent": True}
    with transaction.atomic(), connection.cursor() as cursor:
        tables = f"{Lead._meta.db_table}, {Cohort._meta.db_table}"
        cursor.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        api = timed_call(f"{web}/api/leads", lead)
        page = timed_call(f"{web}/courses/")

    status, text, headers, seconds = api
    assert status == 503 and seconds < 5, (status, seconds)
    assert json.loads(text)["detail"] and headers.get("Retry-After")
    status, text, headers, seconds = page
    assert status == 503 and seconds < 5, (status, seconds)
    assert "<html" in text.lower() and headers.get("Retry-After")

    # The lock is gone: the same threads and connections serve the next requests normally.
    assert http_call(f"{web}/api/leads", lead)[0] == 201
    assert http_call(f"{web}/courses/")[0] == 200
