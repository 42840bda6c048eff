"""GET /dead-letters and POST /dead-letters/replay against moto's SQS and a real receiver.

Targets are dead-lettered by a receiver that fails; the receiver then recovers, and a
replay must get every dead-lettered target delivered, under its original delivery id.
"""

import json

from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver
from tests.support.faults import BrokenSqs
from tests.support.operations import (
    dead_letter_page,
    delivery_log,
    replay,
    trigger,
    trigger_summary,
)
from tests.support.sqs_pump import SqsPump, receive_all, take_all
from tests.support.stack import InProcessStack, seed_webhooks
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget
from webhook_fanout.delivery_queue import QueueWriter

FAILING_FAST = {"MaxAttempts": 2, "RetryDelaysSeconds": "0", "RequestTimeoutSeconds": 1}


class Outage:
    """A receiver script that answers 500 until `recover()` is called, then 200."""

    def __init__(self) -> None:
        self.down = True

    def recover(self) -> None:
        self.down = False

    def __call__(self, request: ReceivedRequest, earlier: int) -> Reply:
        return Reply(500) if self.down else Reply(200)


def targets_in(stack: InProcessStack, queue_logical_id: str) -> list[dict]:
    return [
        target
        for message in receive_all(stack, queue_logical_id)
        for target in json.loads(message["Body"])["targets"]
    ]


def dead_letter_everything(stack: InProcessStack, urls_by_id: dict[str, str]) -> str:
    seed_webhooks(stack, urls_by_id)
    with SqsPump(stack) as pump:
        trigger_id = trigger(stack)
        pump.wait_until_drained(timeout=60)
    assert len(targets_in(stack, "DeliveryDLQ")) == len(urls_by_id)
    return trigger_id


def test_targets_dead_lettered_during_an_outage_are_delivered_after_a_replay(make_stack):
    stack = make_stack(**FAILING_FAST)
    outage = Outage()
    with WebhookReceiver(outage) as receiver:
        names = ("a", "b", "c")
        trigger_id = dead_letter_everything(stack, {name: receiver.url(name) for name in names})
        listed = dead_letter_page(stack).json()
        failed_requests = receiver.requests

        outage.recover()
        with SqsPump(stack) as pump:
            replayed = replay(stack)
            pump.wait_until_drained(timeout=60)
        delivered_requests = receiver.requests[len(failed_requests) :]

    assert listed["approximateMessages"] >= 1
    assert listed["complete"] is True
    assert listed["waitingTargets"] == 3
    assert {dead["webhookId"] for dead in listed["deadLetters"]} == set(names)
    for dead in listed["deadLetters"]:
        assert dead["attemptsMade"] == 2
        assert dead["lastError"] == "status 500"
        assert dead["triggerId"] == trigger_id
        assert dead["targetUrl"] == receiver.url(dead["webhookId"])
    assert replayed.status == 200
    assert replayed.json() == {"moved": 3, "complete": True}
    assert sorted(request.path for request in delivered_requests) == ["/a", "/b", "/c"]
    # Receivers see the same webhook-id as before, so they can tell a replay from news.
    assert {r.header("webhook-id") for r in delivered_requests} == {
        r.header("webhook-id") for r in failed_requests
    }
    assert targets_in(stack, "DeliveryDLQ") == []
    assert dead_letter_page(stack).json()["waitingTargets"] == 0
    summary = trigger_summary(stack, trigger_id).json()
    assert (summary["delivered"], summary["retrying"], summary["deadLettered"]) == (3, 0, 0)
    outcomes = [(entry["outcome"], entry["attempt"]) for entry in delivery_log(stack, "a")]
    assert outcomes == [("retrying", 1), ("dead_lettered", 2), ("replayed", 2), ("delivered", 1)]


def test_replaying_an_empty_dead_letter_queue_moves_nothing(stack):
    response = replay(stack)

    assert response.status == 200
    assert response.json() == {"moved": 0, "complete": True}


def test_replaying_one_webhook_leaves_the_others_in_the_dead_letter_queue(make_stack):
    stack = make_stack(**FAILING_FAST)
    with WebhookReceiver(Outage()) as receiver:
        dead_letter_everything(stack, {name: receiver.url(name) for name in ("a", "b", "c")})
    # The three failed together, so they share one DLQ message that the replay must split.
    assert len(receive_all(stack, "DeliveryDLQ")) == 1
    before = {target["webhookId"]: target for target in targets_in(stack, "DeliveryDLQ")}

    response = replay(stack, {"webhookId": "b"})

    assert response.json() == {"moved": 1, "complete": True}
    (requeued,) = targets_in(stack, "DeliveryQueue")
    assert requeued["webhookId"] == "b"
    assert requeued["deliveryId"] == before["b"]["deliveryId"]
    assert requeued["attemptsMade"] == 0
    assert "lastError" not in requeued
    left = sorted(targets_in(stack, "DeliveryDLQ"), key=lambda target: target["webhookId"])
    assert left == [before["a"], before["c"]]


def test_replaying_a_webhook_with_no_dead_letters_moves_nothing_and_keeps_the_rest(make_stack):
    stack = make_stack(**FAILING_FAST)
    with WebhookReceiver(Outage()) as receiver:
        dead_letter_everything(stack, {"a": receiver.url("a")})

    response = replay(stack, {"webhookId": "someone-else"})

    assert response.json() == {"moved": 0, "complete": True}
    assert [target["webhookId"] for target in targets_in(stack, "DeliveryDLQ")] == ["a"]


def test_a_replay_that_cannot_write_to_the_delivery_queue_keeps_the_dead_letters(make_stack):
    stack = make_stack(**FAILING_FAST)
    with WebhookReceiver(Outage()) as receiver:
        dead_letter_everything(stack, {"a": receiver.url("a"), "b": receiver.url("b")})
    replay_module = stack.module("ReplayDeadLettersFunction")
    replay_module.replay.delivery_queue = QueueWriter(
        replay_module.settings.delivery_queue_url,
        client=BrokenSqs(stack.endpoints.client("sqs")),
        first_backoff_seconds=0.001,
    )

    response = replay(stack)

    assert response.status == 503
    body = response.json()
    assert (body["moved"], body["notMoved"]) == (0, 2)
    assert "2 targets could not be moved" in body["message"]
    assert sorted(t["webhookId"] for t in targets_in(stack, "DeliveryDLQ")) == ["a", "b"]
    assert targets_in(stack, "DeliveryQueue") == []


def send_to_dead_letter_queue(stack: InProcessStack, bodies: list[str]) -> None:
    client = stack.endpoints.client("sqs")
    for body in bodies:
        client.send_message(QueueUrl=stack.physical_id("DeliveryDLQ"), MessageBody=body)


def parked_message(number: int, targets: int) -> str:
    """A message as the redrive policy parks it: targets that were never attempted."""
    return DeliveryMessage(
        trigger_id=f"trigger-{number}",
        ip_address="198.51.100.23",
        targets=tuple(
            DeliveryTarget(
                delivery_id=f"d-{number}-{index}",
                webhook_id=f"w{index}",
                target_url=f"https://example.com/{index}",
            )
            for index in range(targets)
        ),
    ).to_body()


def test_a_page_shows_at_most_limit_targets_and_leaves_every_message_in_place(stack):
    send_to_dead_letter_queue(stack, [parked_message(number, 4) for number in range(3)])

    page = dead_letter_page(stack, limit=5).json()
    everything = dead_letter_page(stack, limit=100).json()

    assert len(page["deadLetters"]) == 5
    assert page["complete"] is False
    assert page["waitingTargets"] is None
    assert everything["complete"] is True
    assert everything["waitingTargets"] == 12
    assert len({dead["deliveryId"] for dead in everything["deadLetters"]}) == 12
    assert len(receive_all(stack, "DeliveryDLQ")) == 3


def test_unreadable_messages_are_counted_and_never_replayed(stack):
    send_to_dead_letter_queue(stack, ["not a delivery", parked_message(1, 2)])

    page = dead_letter_page(stack).json()
    response = replay(stack)

    assert page["unreadableMessages"] == 1
    assert page["waitingTargets"] == 2
    assert response.json() == {"moved": 2, "complete": True}
    assert [message["Body"] for message in take_all(stack, "DeliveryDLQ")] == ["not a delivery"]
    assert {target["deliveryId"] for target in targets_in(stack, "DeliveryQueue")} == {
        "d-1-0",
        "d-1-1",
    }
