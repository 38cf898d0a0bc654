"""The bench's rare 500 under load (bench/NOTES.md), reproduced: a web worker's threads using
Redis for the first time at once. Each built its own client; the clients that lost the race were
garbage-collected while their pipelines were still reading, and a client made by `from_url`
closes its pool when it goes (`OSError: Bad file descriptor`, `ValueError: I/O operation on
closed file`, or a parser buffer that is gone). One client per process, built under a lock."""

import threading
from collections.abc import Callable

from onepco import outbox
from onepco.ratelimit import rate_limited

THREADS = 8
ROUNDS = 40
CALLS = 3


def at_once(work: Callable[[], None]) -> None:
    """`work` in THREADS threads released together, as a fresh worker's first requests."""
    barrier = threading.Barrier(THREADS)

    def run() -> None:
        barrier.wait()
        work()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_threads_first_using_redis_at_once_lose_no_command():
    errors: list[BaseException] = []
    key = "onepco:test:first-use"
    outbox.redis_connection().delete(key)

    def hit() -> None:
        for _ in range(CALLS):
            try:
                outbox.redis_connection().pipeline(transaction=False).incr(key).execute()
            except Exception as exc:
                errors.append(exc)

    for _round in range(ROUNDS):
        outbox.redis_connection.cache_clear()  # as in a freshly forked worker
        at_once(hit)
    assert errors == []
    assert int(outbox.redis_connection().get(key)) == ROUNDS * THREADS * CALLS
    outbox.redis_connection().delete(key)


def test_the_rate_limit_counts_every_hit_of_threads_starting_at_once(caplog):
    for round_ in range(ROUNDS):
        outbox.redis_connection.cache_clear()
        counter = ("first-use", f"203.0.113.{round_}", f"{THREADS}/h")
        answers: list[bool] = []
        at_once(lambda counter=counter, answers=answers: answers.append(rate_limited(counter)))
        # Every hit counted (none lost to a closed socket, which logs "not enforced"): the
        # next one is over the limit.
        assert answers == [False] * THREADS
        assert rate_limited(counter) is True
    assert "not enforced" not in caplog.text
