"""What the benchmarks share: an in-process stack against moto's server on loopback."""

import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from local_stack.resources import LocalEndpoints, provision
from local_stack.template import load_template
from tests.support.stack import InProcessStack

_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


@contextmanager
def in_process_stack() -> Iterator[Callable[..., InProcessStack]]:
    """Yield a factory of stacks provisioned in a moto server that lives as long as it."""
    from moto.server import ThreadedMotoServer

    os.environ.update(_ENVIRONMENT)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint

    def make(**parameter_overrides: object) -> InProcessStack:
        template = load_template({name: str(value) for name, value in parameter_overrides.items()})
        endpoints = LocalEndpoints(aws=endpoint)
        token = provision(template, endpoints, name_prefix=f"b{uuid.uuid4().hex[:12]}")
        return InProcessStack(template, endpoints, token)

    try:
        yield make
    finally:
        server.stop()
