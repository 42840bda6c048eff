"""A receiver for benchmarks, in a process of its own: every POST answers 200 after a delay.

    python -m bench.delayed_receiver --delay-ms 50

It prints `listening on <url>` once ready. The last segment of a target's path is its
index; `POST /slow-targets` with `{"indices": [...], "delayMs": 2000}` makes the targets
of those indices answer after that delay instead, under every prefix, so that the stack
and the comparisons that post directly meet the same slow targets.

`GET /count?prefix=/a` answers how many POSTs arrived under a path prefix (a path without
its last segment), and `GET /wait?prefix=/a&count=N` waits until the N-th has arrived,
then answers when it did (`arrivedAt`, UNIX seconds) and when the slowest answer among
those N went out (`answeredBy`: arrival plus the delay chosen for it), so that times are
taken where deliveries happen rather than by polling.
"""

import argparse
import json
import threading
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from bench.support import ListeningProcess
from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver

WAIT_TIMEOUT_SECONDS = 300.0


class ArrivalLog:
    """When each POST arrived and when it was answered, per path prefix."""

    # Limitation: an answer's time is its arrival plus the delay chosen for it; the few
    # milliseconds the server then takes to write the answer are not counted.

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self.slow_indices: frozenset[str] = frozenset()
        self.slow_delay_seconds = 0.0
        self._arrivals: dict[str, list[float]] = defaultdict(list)
        self._answered_by: dict[str, float] = defaultdict(float)
        self._changed = threading.Condition()

    def answer(self, request: ReceivedRequest, earlier_on_path: int) -> Reply:
        parts = urlsplit(request.path)
        if request.method == "GET" and parts.path in ("/count", "/wait"):
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            return self._report(parts.path, query["prefix"], int(query.get("count", 0)))
        if request.method == "POST" and parts.path == "/slow-targets":
            return self._set_slow_targets(request.json())
        prefix, _, index = parts.path.rpartition("/")
        delay = self.slow_delay_seconds if index in self.slow_indices else self.delay_seconds
        with self._changed:
            self._arrivals[prefix].append(request.received_at)
            answered_at = request.received_at + delay
            self._answered_by[prefix] = max(self._answered_by[prefix], answered_at)
            self._changed.notify_all()
        return Reply(delay_seconds=delay)

    def _set_slow_targets(self, settings: dict[str, Any]) -> Reply:
        self.slow_indices = frozenset(str(index) for index in settings["indices"])
        self.slow_delay_seconds = float(settings["delayMs"]) / 1000
        return Reply(body=b"{}")

    def _report(self, action: str, prefix: str, count: int) -> Reply:
        with self._changed:
            arrivals = self._arrivals[prefix]
            if action == "/wait" and not self._changed.wait_for(
                lambda: len(arrivals) >= count, WAIT_TIMEOUT_SECONDS
            ):
                return Reply(504, body=json.dumps({"count": len(arrivals)}).encode())
            body = {"count": len(arrivals)}
            if action == "/wait":
                body |= {"arrivedAt": arrivals[count - 1], "answeredBy": self._answered_by[prefix]}
        return Reply(body=json.dumps(body).encode())


class DelayedReceiver(ListeningProcess):
    """This module running in a subprocess, and the questions the benchmarks ask it."""

    def __init__(self, delay_ms: float) -> None:
        super().__init__("bench.delayed_receiver", f"--delay-ms={delay_ms}")

    def target_url(self, prefix: str, index: int) -> str:
        return f"{self.url}{prefix}/{index}"

    def count(self, prefix: str) -> int:
        answer = requests.get(f"{self.url}/count", params={"prefix": prefix}, timeout=30)
        return int(answer.json()["count"])

    def answered_by(self, prefix: str, count: int) -> float:
        """When the last of the first `count` POSTs under `prefix` was answered (waits)."""
        answer = requests.get(
            f"{self.url}/wait",
            params={"prefix": prefix, "count": count},
            timeout=WAIT_TIMEOUT_SECONDS + 30,
        )
        answer.raise_for_status()
        return float(answer.json()["answeredBy"])

    def set_slow_targets(self, indices: list[int], delay_ms: float) -> None:
        answer = requests.post(
            f"{self.url}/slow-targets", json={"indices": indices, "delayMs": delay_ms}, timeout=30
        )
        answer.raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay-ms", type=float, default=50)
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    log = ArrivalLog(options.delay_ms / 1000)
    with WebhookReceiver(log.answer, port=options.port) as receiver:
        print(f"listening on {receiver.base_url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
