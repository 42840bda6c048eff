"""A webhook receiver on loopback that records what it receives and fails on request.

The first segment of the request path says how to answer, so that one receiver can play
many targets at once and a black-box test can script it through the URLs it registers:

    /ok/...                 200
    /status-<code>/...      always <code>, for example /status-500/a or /status-410/b
    /fail-<n>/...           500 for the first n requests to this exact path, then 200
    /retry-after-<s>/...    429 with `Retry-After: <s>` the first time, then 200
    /redirect/...           302 to /redirect-target/... (which records, and answers 200)
    /delay-<ms>/...         200 after <ms> milliseconds
    /hang/...               never answers (until the receiver stops)
    /reset/...              drops the connection with a TCP reset, sending nothing

Any other path answers 200. Counters are per exact path, so give each target its own.

Run `python -m local_stack.receiver` (or `make receiver`) to watch deliveries arrive.
"""

import argparse
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float
    finished_at: float | None = None

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"received":true}'
    delay_seconds: float = 0.0
    hang: bool = False
    reset: bool = False


Script = Callable[[ReceivedRequest, int], Reply]
"""Decides the reply to a request, given how many earlier requests had the same path."""


def scripted_by_path(request: ReceivedRequest, earlier_on_path: int) -> Reply:
    """The default script: the first path segment says how to answer (see the module doc)."""
    head, _, rest = request.path.lstrip("/").partition("/")
    head = head.split("?", 1)[0]
    if head == "hang":
        return Reply(hang=True)
    if head == "reset":
        return Reply(reset=True)
    if head == "redirect":
        return Reply(302, {"Location": f"/redirect-target/{rest}"}, b"")
    if match := re.fullmatch(r"status-(\d{3})", head):
        return Reply(int(match.group(1)))
    if match := re.fullmatch(r"fail-(\d+)", head):
        return Reply(500) if earlier_on_path < int(match.group(1)) else Reply()
    if match := re.fullmatch(r"retry-after-(\d+)", head):
        if earlier_on_path == 0:
            return Reply(429, {"Retry-After": match.group(1)})
        return Reply()
    if match := re.fullmatch(r"delay-(\d+)", head):
        return Reply(delay_seconds=int(match.group(1)) / 1000)
    return Reply()


class WebhookReceiver:
    """A threaded HTTP/1.1 server on loopback; use as a context manager or start/stop."""

    def __init__(
        self,
        script: Script = scripted_by_path,
        host: str = "127.0.0.1",
        port: int = 0,
        on_request: Callable[[ReceivedRequest], None] | None = None,
        hang_limit_seconds: float = 300.0,
    ) -> None:
        self.script = script
        self.on_request = on_request
        self.hang_limit_seconds = hang_limit_seconds
        self._lock = threading.Condition()
        self._requests: list[ReceivedRequest] = []
        self._per_path: Counter[str] = Counter()
        self._in_flight = 0
        self.max_in_flight = 0
        self._stopping = threading.Event()
        self._server = _Server((host, port), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def start(self) -> "WebhookReceiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "WebhookReceiver":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.path == path]

    def wait_for(
        self, predicate: Callable[[list[ReceivedRequest]], bool], timeout: float
    ) -> list[ReceivedRequest]:
        """Block until `predicate(requests)` holds; raise TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate(self._requests):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self._requests)} requests after {timeout} s")
                self._lock.wait(min(remaining, 0.5))
            return list(self._requests)

    def wait_for_count(self, count: int, timeout: float) -> list[ReceivedRequest]:
        return self.wait_for(lambda requests: len(requests) >= count, timeout)

    def _record(self, request: ReceivedRequest) -> tuple[int, int]:
        with self._lock:
            earlier = self._per_path[request.path]
            self._per_path[request.path] += 1
            self._requests.append(request)
            index = len(self._requests) - 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._lock.notify_all()
        if self.on_request is not None:
            self.on_request(request)
        return earlier, index

    def _finish(self, index: int) -> None:
        with self._lock:
            self._in_flight -= 1
            request = self._requests[index]
            self._requests[index] = ReceivedRequest(
                request.method,
                request.path,
                request.headers,
                request.body,
                request.received_at,
                time.time(),
            )
            self._lock.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Senders open up to a hundred connections at once; the default backlog of 5 would
    # make the kernel drop SYNs and add a second of retransmission to some of them.
    request_queue_size = 1024


def _handler_class(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle's algorithm on, the second
        # waits for the client's delayed ACK, adding ~40 ms to every answer on a kept-alive
        # connection, which real servers do not.
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = ReceivedRequest(
                method=self.command,
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                received_at=time.time(),
            )
            earlier, index = receiver._record(request)
            try:
                self._answer(receiver.script(request, earlier))
            finally:
                receiver._finish(index)

        def _answer(self, reply: Reply) -> None:
            if reply.hang:
                receiver._stopping.wait(receiver.hang_limit_seconds)
                self.close_connection = True
                return
            if reply.reset:
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            if reply.delay_seconds:
                receiver._stopping.wait(reply.delay_seconds)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_POST = do_GET = do_PUT = _handle  # noqa: N815 - names http.server looks up

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded, not logged

    return Handler


def _print_delivery(request: ReceivedRequest) -> None:
    stamp = time.strftime("%H:%M:%S", time.localtime(request.received_at))
    print(f"\n[{stamp}] {request.method} {request.path}", flush=False)
    for name in ("content-type", "webhook-id", "webhook-timestamp", "webhook-signature"):
        if name in request.headers:
            print(f"  {name}: {request.headers[name]}")
    print(f"  body: {request.body.decode(errors='replace')}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args(argv)
    try:
        receiver = WebhookReceiver(
            host=options.host, port=options.port, on_request=_print_delivery
        )
    except OSError as error:
        sys.exit(f"cannot listen on {options.host}:{options.port}: {error.strerror}")
    receiver.start()
    print(f"receiver listening on {receiver.base_url}")
    print(f"register for example {receiver.url('ok/demo')}")
    print("the first path segment scripts the answer: ok, status-500, fail-2, retry-after-5, ...")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
