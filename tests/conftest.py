"""The standing cast every view is tested against, and the plumbing tests share.

- `founder`: staff; `student`: enrolled in cohort A; `other_student`: enrolled in cohort B;
  `outsider`: signed in with a learner profile but no enrollment; and the anonymous client.
- `run_jobs()`: relays the outbox and runs queued RQ jobs with a real (burst) worker.
- `browser` / `phone_page` / `desktop_page`: Playwright on Debian's Chromium.
"""

import os
from pathlib import Path

import pytest
from django.db import connections
from django.test import Client
from django.utils import translation

from crm.models import SignupSettings
from onepco import outbox
from onepco.models import OutboxMessage
from onepco.worker import Worker as OnepcoWorker
from tests import factories as f

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests ran" must never look like success, whatever wraps pytest.
    if session.testscollected == 0 and not session.config.option.collectonly:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED


# --- isolation ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    """Uploads in a temporary folder, an empty Redis database, a fresh connection cache, and
    the site's default language (a request in an earlier test must not leave another active)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RQ_WORKER_NICE = 0  # workers run inside the test process: keep its priority
    outbox.redis_connection.cache_clear()
    outbox.redis_connection().flushdb()
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    outbox.redis_connection.cache_clear()


# --- the standing cast -------------------------------------------------------------------


@pytest.fixture
def signup_ready(db):
    """The thank-you page has a next step, so the signup form is live (#15: without one the
    course pages show "报名暂未开放" and refuse the form)."""
    return SignupSettings.objects.create(wechat_id="founder_wx")


@pytest.fixture
def cohort_a(db):
    return f.make_cohort(slug="cohort-a", name="A 期")


@pytest.fixture
def cohort_b(db):
    return f.make_cohort(slug="cohort-b", name="B 期")


@pytest.fixture
def founder(db):
    return f.make_user(email="founder@example.com", name="创始人", is_staff=True, is_superuser=True)


@pytest.fixture
def student(cohort_a):
    learner = f.make_student(f.make_user(email="student@example.com", name="学员甲"))
    f.make_enrollment(learner, cohort_a)
    return learner


@pytest.fixture
def other_student(cohort_b):
    learner = f.make_student(f.make_user(email="other@example.com", name="学员乙"))
    f.make_enrollment(learner, cohort_b)
    return learner


@pytest.fixture
def outsider(db):
    return f.make_student(f.make_user(email="outsider@example.com", name="路人"))


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def founder_client(founder) -> Client:
    return _client_for(founder)


@pytest.fixture
def student_client(student) -> Client:
    return _client_for(student.user)


@pytest.fixture
def other_client(other_student) -> Client:
    return _client_for(other_student.user)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider.user)


# --- background jobs ---------------------------------------------------------------------


@pytest.fixture
def run_jobs(db):
    """Relay every waiting outbox row, then run the queue dry with RQ's in-process worker,
    again while the jobs themselves queued follow-ups (through the outbox or RQ).

    Returns the number of jobs the worker ran, counted in RQ's finished and failed registries
    (a failed job waiting for its Retry sits in the scheduled registry): the worker's own
    counters live only in Redis. Tests inside a transaction never commit, so the after-commit
    fast path does not fire by itself: rows that RQ has not seen are relayed here.
    """

    def run() -> int:
        queue = outbox.get_queue()
        ran = 0
        for _round in range(10):
            for message in OutboxMessage.objects.filter(completed_at__isnull=True):
                if not outbox.outbox_job_alive(message):
                    outbox.outbox_relay_one(message.pk)
            if queue.count == 0:
                break
            before = _ended(queue)
            OnepcoWorker([queue], connection=queue.connection).work(burst=True, with_scheduler=False)
            ran += _ended(queue) - before
        return ran

    return run


def _ended(queue) -> int:
    return (
        queue.finished_job_registry.count
        + queue.failed_job_registry.count
        + queue.scheduled_job_registry.count
    )


# --- the browser -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop; Django must not mistake the tests for async code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # Test code that ran while Playwright's event loop was up used its own database
        # connections (Django keeps them per context); close them, or the test database
        # cannot be dropped at the end of the run ("being accessed by other users").
        connections.close_all()


def _page(browser, **options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Whatever the Content-Security-Policy refused, in any browser test, fails that test.
    page.csp_refusals = []
    page.on(
        "console",
        lambda message: (
            page.csp_refusals.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return context, page


def _close(context, page) -> None:
    context.close()
    assert page.csp_refusals == []


@pytest.fixture
def phone_page(browser):
    context, page = _page(
        browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield page
    _close(context, page)


@pytest.fixture
def desktop_page(browser):
    context, page = _page(browser, viewport={"width": 1280, "height": 900})
    yield page
    _close(context, page)


@pytest.fixture
def founder_pages(live_server, desktop_page, phone_page, founder, login_browser):
    """founder_pages(path): the founder signed in on a desktop and on a phone, each at that path,
    as ("desktop", page), ("phone", page)."""

    def visit(path: str):
        for name, page in (("desktop", desktop_page), ("phone", phone_page)):
            login_browser(page, founder)
            page.goto(f"{live_server.url}{path}")
            yield name, page

    return visit


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves artifacts/screenshots/<test>-<name>.png (full page)."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = folder / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login_browser(live_server):
    """Sign a Playwright page in as a user by handing it a real session cookie."""

    def sign_in(page, user) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies["sessionid"]
        page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])

    return sign_in


def pytest_collection_modifyitems(items):
    # Browser tests share one Chromium per worker: keep them in one xdist group.
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))
