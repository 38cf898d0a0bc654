"""Latency at a fixed offered load: N clients, each posting after a random think time.

wrk measures throughput well, but its latency figures are only right while connections stay
open; a client that waits between requests outlives the server's keep-alive, and wrk then
counts the wait as latency. Here every client is a thread that sleeps an exponential think
time (mean 1/rate), opens a fresh connection (as a new visitor's browser does), posts and
times the answer from the request to the last byte. The machine stays far from saturation
at the loads used, so the figures are the work's, not a queue's.
"""

import http.client
import random
import statistics
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit


def paced(
    url: str,
    path: str,
    request: Callable[[int, int], tuple[bytes, dict[str, str]]],
    *,
    clients: int,
    rate_per_client: float,
    seconds: float,
) -> dict:
    """POST `request(client, n)` → (body, headers) to url+path; status counts, p50/p99 (ms),
    answered requests per second and the offered rate."""
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    samples: list[tuple[int, float]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        chance = random.Random(number)
        n = 0
        while True:
            time.sleep(chance.expovariate(rate_per_client))
            if time.monotonic() >= deadline:
                return
            n += 1
            body, headers = request(number, n)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except OSError:
                status = 0  # no answer at all: counted, never hidden
            finally:
                connection.close()
            with lock:
                samples.append((status, time.perf_counter() - began))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    codes: dict[str, int] = {}
    for status, _seconds in samples:
        codes[str(status)] = codes.get(str(status), 0) + 1
    latencies = [seconds for _status, seconds in samples]
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "codes": codes,
        "p50_ms": round(cuts[49] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "rps": round(len(samples) / elapsed, 1),
        "offered_rps": clients * rate_per_client,
    }
