"""What the benchmarks share: an in-process stack, helper processes, and small statistics."""

import logging
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from local_stack.moto_sqs_patch import apply_sqs_patch, remove_sqs_patch
from local_stack.resources import LocalEndpoints, provision
from local_stack.template import PROJECT_ROOT, load_template
from tests.support.stack import InProcessStack
from webhook_fanout import aws_clients
from webhook_fanout.observability import logger

_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
_READY_PREFIX = "listening on "


@contextmanager
def in_process_stack(endpoint: str | None = None) -> Iterator[Callable[..., InProcessStack]]:
    """Yield a factory of stacks provisioned in a moto server on loopback.

    Without `endpoint`, the server runs in this process, with the local stack's SQS patch,
    for as long as the factory; with one, the stacks are made in that server instead.
    """
    from moto.server import ThreadedMotoServer

    os.environ.update(_ENVIRONMENT)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    # The functions share this logger, made at import; a line per call would bury the figures.
    logger.setLevel(_ENVIRONMENT["POWERTOOLS_LOG_LEVEL"])
    server = None
    if endpoint is None:
        apply_sqs_patch()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    _forget_aws_clients()

    def make(**parameter_overrides: object) -> InProcessStack:
        template = load_template({name: str(value) for name, value in parameter_overrides.items()})
        endpoints = LocalEndpoints(aws=endpoint)
        token = provision(template, endpoints, name_prefix=f"b{uuid.uuid4().hex[:12]}")
        return InProcessStack(template, endpoints, token)

    try:
        yield make
    finally:
        if server is not None:
            server.stop()
            remove_sqs_patch()


def _forget_aws_clients() -> None:
    """Drop the functions' cached boto3 clients, which hold the previous endpoint's URL."""
    for value in vars(aws_clients).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


class ListeningProcess:
    """A module of bench/ run in a process of its own, which prints `listening on <url>`."""

    def __init__(self, module: str, *arguments: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith(_READY_PREFIX):
            self.stop()
            raise RuntimeError(f"{module} did not start: {line!r}")
        self.url = line.strip().removeprefix(_READY_PREFIX)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def __enter__(self) -> "ListeningProcess":
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank, no interpolation)."""
    ordered = sorted(values)
    return ordered[int(fraction * (len(ordered) - 1))] if ordered else float("nan")
