"""Fixtures shared by every test folder.

AWS is moto's server on loopback, started once per session; each test gets its own
tables and queues (unique names), so tests never see each other's data.
"""

import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest

# Set before anything imports boto3 or Powertools: no real credentials, no X-Ray daemon.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "webhook-fanout-tests",
        "POWERTOOLS_METRICS_NAMESPACE": "WebhookFanoutTests",
    }
)
os.environ.pop("AWS_PROFILE", None)
# moto's server logs every request it serves; failures are what a test report needs.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

from local_stack.resources import LocalEndpoints, provision  # noqa: E402
from local_stack.template import load_template  # noqa: E402
from tests.support.stack import InProcessStack  # noqa: E402


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()


StackFactory = Callable[..., InProcessStack]


@pytest.fixture
def make_stack(aws_endpoint: str) -> StackFactory:
    """Provision a fresh copy of the stack; keyword arguments override template parameters."""

    def make(**parameter_overrides: object) -> InProcessStack:
        template = load_template({name: str(value) for name, value in parameter_overrides.items()})
        endpoints = LocalEndpoints(aws=aws_endpoint)
        token = provision(template, endpoints, name_prefix=f"t{uuid.uuid4().hex[:12]}")
        return InProcessStack(template, endpoints, token)

    return make


@pytest.fixture
def stack(make_stack: StackFactory) -> InProcessStack:
    return make_stack()


_FAULT_REPORTS: list[str] = []


@pytest.fixture
def report() -> Callable[[str], None]:
    """Add a line to the "figures" section printed at the end of the test run."""
    return _FAULT_REPORTS.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FAULT_REPORTS:
        terminalreporter.section("figures")
        for line in _FAULT_REPORTS:
            terminalreporter.write_line(line)
