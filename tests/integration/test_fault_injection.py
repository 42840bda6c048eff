"""A thousand targets behind a receiver that fails at random: nothing goes missing."""

import json
import random
import threading
from collections import defaultdict

import pytest

from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver
from tests.support.sqs_pump import SqsPump, receive_all
from tests.support.stack import seed_webhooks

TARGETS = 1000
MAX_ATTEMPTS = 3


class RandomFaults:
    """30% of requests get a 500, 5% hang, 5% are reset; the rest get a 200."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.replies: dict[str, list[int | str]] = defaultdict(list)

    def __call__(self, request: ReceivedRequest, earlier: int) -> Reply:
        with self._lock:
            roll = self._rng.random()
            if roll < 0.30:
                reply, outcome = Reply(500), 500
            elif roll < 0.35:
                reply, outcome = Reply(hang=True), "hang"
            elif roll < 0.40:
                reply, outcome = Reply(reset=True), "reset"
            else:
                reply, outcome = Reply(), 200
            self.replies[request.path].append(outcome)
        return reply


@pytest.mark.slow
def test_every_target_ends_delivered_or_dead_lettered(make_stack, report):
    stack = make_stack(
        MaxAttempts=MAX_ATTEMPTS,
        RetryDelaysSeconds="0",
        RequestTimeoutSeconds=2,
        SenderConcurrency=10,
    )
    faults = RandomFaults(seed=20261203)
    with WebhookReceiver(faults, hang_limit_seconds=4) as receiver:
        paths = {f"w{number:04d}": f"/target/{number:04d}" for number in range(TARGETS)}
        seed_webhooks(
            stack, {webhook_id: receiver.url(path) for webhook_id, path in paths.items()}
        )

        with SqsPump(stack) as pump:
            response = stack.call_api("TriggerFunction", "GET", "/action")
            pump.wait_until_drained(timeout=300)

    assert response.json()["queued"] == TARGETS
    dead = [
        target
        for message in receive_all(stack, "DeliveryDLQ")
        for target in json.loads(message["Body"])["targets"]
    ]
    dead_ids = [target["webhookId"] for target in dead]
    delivered_ids = [
        webhook_id for webhook_id, path in paths.items() if 200 in faults.replies[path]
    ]
    duplicates = {
        webhook_id: faults.replies[path].count(200)
        for webhook_id, path in paths.items()
        if faults.replies[path].count(200) > 1
    }
    report(
        f"random faults: {len(delivered_ids)} delivered, {len(dead_ids)} dead-lettered, "
        f"{sum(len(replies) for replies in faults.replies.values())} POSTs, "
        f"{len(duplicates)} targets with duplicate deliveries"
    )

    overlap = set(delivered_ids) & set(dead_ids)
    report(f"random faults: {len(overlap)} dead-lettered targets had also answered 200 once")
    assert len(dead_ids) == len(set(dead_ids)), "a target was dead-lettered twice"
    assert set(delivered_ids) | set(dead_ids) == set(paths), "a target went missing"
    for target in dead:
        replies = faults.replies[paths[target["webhookId"]]]
        assert len(replies) == MAX_ATTEMPTS, (target, replies)
        assert target["attemptsMade"] == MAX_ATTEMPTS
    # Duplicates and 200s on dead-lettered targets are allowed (at least once): a 200 that
    # reaches the sender after its read timeout counts as a failure. They are reported.


@pytest.mark.slow
def test_a_sender_crashing_midway_through_an_invocation_loses_nothing(make_stack, report):
    stack = make_stack(
        MaxAttempts=MAX_ATTEMPTS,
        RetryDelaysSeconds="0",
        RequestTimeoutSeconds=2,
        SenderConcurrency=10,
    )
    # The crashed batch comes back after the queue's visibility timeout: shortened here
    # from the template's 720 s so that the test takes seconds.
    stack.endpoints.client("sqs").set_queue_attributes(
        QueueUrl=stack.physical_id("DeliveryQueue"), Attributes={"VisibilityTimeout": "8"}
    )
    sender = stack.module("SenderFunction").sender
    settle = sender._settle
    calls = []

    def crash_on_the_third_batch(results):
        calls.append(len(results))
        if len(calls) == 3:
            raise RuntimeError("injected crash after the POSTs, before settling")
        return settle(results)

    sender._settle = crash_on_the_third_batch
    faults = RandomFaults(seed=7)
    with WebhookReceiver(faults, hang_limit_seconds=4) as receiver:
        paths = {f"w{number:04d}": f"/target/{number:04d}" for number in range(TARGETS)}
        seed_webhooks(
            stack, {webhook_id: receiver.url(path) for webhook_id, path in paths.items()}
        )

        with SqsPump(stack, expect_function_errors=True) as pump:
            stack.call_api("TriggerFunction", "GET", "/action")
            pump.wait_until_drained(timeout=300)

    assert len(pump.errors) == 1
    dead_ids = [
        target["webhookId"]
        for message in receive_all(stack, "DeliveryDLQ")
        for target in json.loads(message["Body"])["targets"]
    ]
    delivered_ids = {
        webhook_id for webhook_id, path in paths.items() if 200 in faults.replies[path]
    }
    duplicates = sum(1 for path in paths.values() if faults.replies[path].count(200) > 1)
    report(
        f"sender crash in a batch of {calls[2]} targets: {len(delivered_ids)} delivered, "
        f"{len(dead_ids)} dead-lettered, {duplicates} targets received a duplicate"
    )

    assert len(dead_ids) == len(set(dead_ids)), "a target was dead-lettered twice"
    assert delivered_ids | set(dead_ids) == set(paths), "a target went missing"
    # The crashed batch was sent again from its messages: its delivered targets were
    # delivered twice, with the same webhook-id.
    assert duplicates >= 1
