"""What the black-box suite talks to: a base URL and an admin token, nothing else.

By default the suite starts the local stack itself (`python -m local_stack`) with short
retry settings, and receivers on loopback for the targets. With `API_URL` and
`ADMIN_TOKEN` set it talks to that deployed stack instead, and skips the tests that need a
loopback receiver, which a deployed stack cannot reach. `E2E_DYNAMODB=dynamodb-local`
runs the local stack on Amazon's DynamoDB Local instead of moto.
"""

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from local_stack.receiver import WebhookReceiver
from tests.support.local_stack_process import LocalStackProcess

# Short retries keep the suite fast: three attempts, one second (jittered) apart.
LOCAL_PARAMETERS = ["MaxAttempts=3", "RetryDelaysSeconds=1", "RequestTimeoutSeconds=2"]
MAX_ATTEMPTS = 3


@dataclass
class Service:
    base_url: str
    admin_token: str
    runs_locally: bool

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}{path}"


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if os.environ.get("API_URL") and os.environ.get("ADMIN_TOKEN"):
        yield Service(os.environ["API_URL"], os.environ["ADMIN_TOKEN"], runs_locally=False)
        return
    token = secrets.token_urlsafe(24)
    arguments = ["--parameter-overrides", *LOCAL_PARAMETERS]
    dynamodb = os.environ.get("E2E_DYNAMODB", "moto")
    if dynamodb != "moto":
        arguments += ["--dynamodb", dynamodb]
    stack = LocalStackProcess(arguments, tmp_path_factory.mktemp("e2e"), {"ADMIN_TOKEN": token})
    stack.start(timeout_seconds=300)
    yield Service(stack.url, token, runs_locally=True)
    stack.stop()


@pytest.fixture(scope="session")
def receiver(service: Service) -> Iterator[WebhookReceiver]:
    """A scriptable target on loopback (see local_stack.receiver for the paths)."""
    if not service.runs_locally:
        pytest.skip("a deployed stack cannot reach a receiver on this machine's loopback")
    with WebhookReceiver() as running:
        yield running


@dataclass
class AdminClient:
    """The admin API with the right token; remembers what it registered, to delete it."""

    service: Service
    session: requests.Session = field(default_factory=requests.Session)
    registered: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Bearer {self.service.admin_token}"

    def request(self, method: str, path: str, **arguments: object) -> requests.Response:
        return self.session.request(method, self.service.url(path), timeout=30, **arguments)

    def register(self, target_url: str, webhook_id: str | None = None) -> dict:
        body = {"targetUrl": target_url} | ({"id": webhook_id} if webhook_id else {})
        response = self.request("POST", "/webhooks", json=body)
        assert response.status_code == 201, response.text
        webhook = response.json()
        self.registered.append(webhook["id"])
        return webhook

    def get(self, webhook_id: str) -> requests.Response:
        return self.request("GET", f"/webhooks/{webhook_id}")

    def delete_registered(self) -> None:
        for webhook_id in self.registered:
            self.request("DELETE", f"/webhooks/{webhook_id}")
        self.registered.clear()


@pytest.fixture
def admin(service: Service) -> Iterator[AdminClient]:
    client = AdminClient(service)
    yield client
    client.delete_registered()


@pytest.fixture
def unique_id() -> str:
    return f"e2e-{uuid.uuid4().hex[:16]}"
