"""The private-target guard, at registration and at send time, against DNS that lies.

The guard is on here (AllowPrivateTargets=false). Every loopback URL points at a real
receiver, so that a request slipping through would be seen.
"""

import json
import socket

import pytest

from local_stack.receiver import WebhookReceiver
from tests.support.sqs_pump import SqsPump, receive_all
from tests.support.stack import InProcessStack, seed_webhooks

GUARDED = {
    "AllowPrivateTargets": "false",
    "MaxAttempts": 2,
    "RetryDelaysSeconds": "0",
    "RequestTimeoutSeconds": 1,
}
PUBLIC_ADDRESS = "93.184.215.14"


def forbidden_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/a",
        f"http://[::1]:{port}/a",
        f"http://169.254.169.254:{port}/latest/meta-data/",
        f"http://[fd00::1]:{port}/a",
        f"http://[::ffff:127.0.0.1]:{port}/a",
        f"http://0.0.0.0:{port}/a",
        f"http://100.64.0.1:{port}/a",
        f"http://2130706433:{port}/a",
        f"http://0x7f000001:{port}/a",
        f"http://localhost:{port}/a",
    ]


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def guarded_stack(make_stack) -> InProcessStack:
    return make_stack(**GUARDED)


def register(stack: InProcessStack, url: str):
    return stack.call_api(
        "RegisterWebhookFunction", "POST", "/webhooks", body=json.dumps({"targetUrl": url})
    )


def dead_letters(stack: InProcessStack) -> list[dict]:
    return [
        target
        for message in receive_all(stack, "DeliveryDLQ")
        for target in json.loads(message["Body"])["targets"]
    ]


def send_all(stack: InProcessStack) -> None:
    with SqsPump(stack) as pump:
        assert stack.call_api("TriggerFunction", "GET", "/action").status == 202
        pump.wait_until_drained(timeout=60)


def test_registration_refuses_every_non_public_address(guarded_stack, receiver):
    for url in forbidden_urls(receiver.base_url.rsplit(":", 1)[1]):
        response = register(guarded_stack, url)
        assert response.status == 422, url
        assert "not a public address" in response.json()["message"], url
    assert guarded_stack.table_items() == []


def test_sending_refuses_every_non_public_address_without_connecting(guarded_stack, receiver):
    # As if registered while the guard was off, or before DNS changed.
    urls = forbidden_urls(int(receiver.base_url.rsplit(":", 1)[1]))
    seed_webhooks(guarded_stack, {f"w{index}": url for index, url in enumerate(urls)})

    send_all(guarded_stack)

    assert receiver.requests == []
    dead = dead_letters(guarded_stack)
    assert len(dead) == len(urls)
    for target in dead:
        assert target["attemptsMade"] == 1, target  # refused at once, not retried
        assert target["lastError"].startswith("blocked address"), target


class StubResolver:
    """Answers for names under .example from a script; every other name is resolved as usual.

    `answers` lists the address to give on the first, second, ... lookup of a name; the
    last one repeats.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: list[str]) -> None:
        self.answers = answers
        self.lookups = 0
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self.getaddrinfo)

    def getaddrinfo(self, host, port, family=0, type=0, proto=0, flags=0):
        if not (isinstance(host, str) and host.endswith(".example")):
            return self._real(host, port, family, type, proto, flags)
        address = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]


def test_a_name_that_turns_private_after_registration_is_refused_at_send_time(
    guarded_stack, receiver, monkeypatch
):
    port = receiver.base_url.rsplit(":", 1)[1]
    resolver = StubResolver(monkeypatch, [PUBLIC_ADDRESS, "127.0.0.1"])
    assert register(guarded_stack, f"http://rebind.example:{port}/hook").status == 201

    send_all(guarded_stack)

    assert receiver.requests == []
    (dead,) = dead_letters(guarded_stack)
    assert dead["lastError"].startswith("blocked address")
    assert resolver.lookups >= 2


def test_an_answer_that_changes_between_the_check_and_the_connect_is_refused(
    guarded_stack, receiver, monkeypatch
):
    port = receiver.base_url.rsplit(":", 1)[1]
    seed_webhooks(guarded_stack, {"w": f"http://rebind.example:{port}/hook"})
    # The check before sending sees a public address; the lookup made for the connection
    # sees loopback. The connection must not be made.
    StubResolver(monkeypatch, [PUBLIC_ADDRESS, "127.0.0.1"])

    send_all(guarded_stack)

    assert receiver.requests == []
    (dead,) = dead_letters(guarded_stack)
    assert dead["lastError"].startswith("blocked address")


def test_the_connection_goes_to_the_address_that_was_checked(guarded_stack, receiver, monkeypatch):
    port = receiver.base_url.rsplit(":", 1)[1]
    seed_webhooks(guarded_stack, {"w": f"http://rebind.example:{port}/hook"})
    # Public for both checks of the first attempt; loopback for any lookup after that. A
    # client that resolved again to connect would reach the receiver.
    resolver = StubResolver(monkeypatch, [PUBLIC_ADDRESS, PUBLIC_ADDRESS, "127.0.0.1"])

    send_all(guarded_stack)

    assert receiver.requests == []
    (dead,) = dead_letters(guarded_stack)
    # The first attempt connected to the public address (unreachable here) and failed;
    # the second was refused by the check, which by then resolved to loopback.
    assert dead["lastError"].startswith("blocked address")
    assert resolver.lookups >= 3
