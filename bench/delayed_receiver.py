"""A receiver for benchmarks, in a process of its own: every POST answers 200 after a delay.

    python -m bench.delayed_receiver --delay-ms 50

It prints `listening on <url>` once ready. `GET /count?prefix=/a` answers how many POSTs
arrived under a path prefix (a path without its last segment), and
`GET /wait?prefix=/a&count=N` waits until the N-th has arrived and answers when it did
(UNIX seconds), so that the time of the last delivery is taken where it happens rather
than by polling.
"""

import argparse
import json
import threading
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver

WAIT_TIMEOUT_SECONDS = 900.0


class ArrivalLog:
    """When each POST arrived, per path prefix (the path without its last segment)."""

    def __init__(self, delay_seconds: float) -> None:
        self.delay_seconds = delay_seconds
        self._arrivals: dict[str, list[float]] = defaultdict(list)
        self._changed = threading.Condition()

    def answer(self, request: ReceivedRequest, earlier_on_path: int) -> Reply:
        parts = urlsplit(request.path)
        if request.method == "GET" and parts.path in ("/count", "/wait"):
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            return self._report(parts.path, query["prefix"], int(query.get("count", 0)))
        with self._changed:
            self._arrivals[_prefix(parts.path)].append(request.received_at)
            self._changed.notify_all()
        return Reply(delay_seconds=self.delay_seconds)

    def _report(self, action: str, prefix: str, count: int) -> Reply:
        with self._changed:
            arrivals = self._arrivals[prefix]
            if action == "/wait" and not self._changed.wait_for(
                lambda: len(arrivals) >= count, WAIT_TIMEOUT_SECONDS
            ):
                return Reply(504, body=json.dumps({"count": len(arrivals)}).encode())
            arrived_at = arrivals[count - 1] if action == "/wait" else None
            body = {"count": len(arrivals), "arrivedAt": arrived_at}
        return Reply(body=json.dumps(body).encode())


def _prefix(path: str) -> str:
    return path.rsplit("/", 1)[0]


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
