"""moto's server in a process of its own that counts the AWS API calls it answers.

    python -m bench.counted_moto

It applies the local stack's SQS patch, as `make run` does, and prints
`listening on <url>` once ready. Every request is counted by its operation
(`sqs.SendMessageBatch`, `dynamodb.Scan`, ...), with the bytes of its body and the seconds
moto took to answer it; `GET <url>/_bench/api-calls` answers the totals so far as JSON.
Counting at the endpoint sees every call the functions make, retries included, as AWS
would bill them. Running moto apart from the functions under test keeps it from
competing with them for this process's interpreter lock, as in the local stack, where
moto and each function have a process of their own.
"""

import json
import logging
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests
from werkzeug.serving import make_server

from bench.support import ListeningProcess
from local_stack.moto_sqs_patch import apply_sqs_patch

REPORT_PATH = "/_bench/api-calls"
# The JSON protocol names the operation in X-Amz-Target, after a prefix for the service.
_SERVICE_OF_TARGET_PREFIX = {"AmazonSQS": "sqs", "DynamoDB_20120810": "dynamodb"}

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]


def operation_name(environ: Environ) -> str:
    """`service.Operation` of one request, from X-Amz-Target or the query's Action."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if "." in target:
        prefix, operation = target.split(".", 1)
        return f"{_SERVICE_OF_TARGET_PREFIX.get(prefix, prefix.lower())}.{operation}"
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    return f"query.{action[0]}" if action else "other"


class ApiCallCounter:
    """WSGI middleware in front of moto: counts calls, request bytes and answering time."""

    def __init__(self, app: WsgiApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.request_bytes: Counter[str] = Counter()
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == REPORT_PATH:
            body = json.dumps(self.report()).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        operation = operation_name(environ)
        started = time.perf_counter()
        try:
            return self.app(environ, start_response)
        finally:
            elapsed = time.perf_counter() - started
            with self._lock:
                self.calls[operation] += 1
                self.request_bytes[operation] += int(environ.get("CONTENT_LENGTH") or 0)
                self.seconds[operation] += elapsed

    def report(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {
                "calls": dict(self.calls),
                "requestBytes": dict(self.request_bytes),
                "seconds": dict(self.seconds),
            }


@dataclass
class ApiCalls:
    """Totals of the counter at one moment; subtract two to get what happened between."""

    calls: Counter[str] = field(default_factory=Counter)
    request_bytes: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def __sub__(self, earlier: "ApiCalls") -> "ApiCalls":
        calls = self.calls - earlier.calls
        return ApiCalls(
            calls,
            self.request_bytes - earlier.request_bytes,
            {name: self.seconds[name] - earlier.seconds.get(name, 0.0) for name in calls},
        )


class CountedMoto(ListeningProcess):
    """This module running in a subprocess; `calls()` reads its totals."""

    def __init__(self) -> None:
        super().__init__("bench.counted_moto")

    def calls(self) -> ApiCalls:
        report = requests.get(f"{self.url}{REPORT_PATH}", timeout=30).json()
        return ApiCalls(
            Counter(report["calls"]), Counter(report["requestBytes"]), report["seconds"]
        )


def main() -> None:
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    apply_sqs_patch()
    app = ApiCallCounter(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
