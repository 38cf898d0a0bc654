"""Stand-in follow-up jobs slow enough to be killed in the middle."""

import time
from pathlib import Path

from django.core import mail


def slow_mail(to: str, started_flag: str, seconds: float = 3.0) -> None:
    """Marks that it started, takes its time, then sends one e-mail."""
    Path(started_flag).touch()
    time.sleep(seconds)
    mail.send_mail("课程提醒", "body", None, [to])


def niceness() -> int:
    """The CPU priority (nice value) of the process running the job."""
    import os

    return os.nice(0)


def cron_tick(key: str) -> int:
    """A cron job: counts its runs in Redis and says which process ran it."""
    import os

    from onepco import outbox

    outbox.redis_connection().rpush(key, os.getpid())
    return os.getpid()
