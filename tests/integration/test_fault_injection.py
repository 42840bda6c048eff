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
def test_every_target_ends_delivered_or_dead_lettered(make_stack):
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
    print(
        f"\n{len(delivered_ids)} delivered, {len(dead_ids)} dead-lettered, "
        f"{sum(len(replies) for replies in faults.replies.values())} POSTs, "
        f"{len(duplicates)} targets with duplicate deliveries"
    )

    overlap = set(delivered_ids) & set(dead_ids)
    print(f"{len(overlap)} dead-lettered targets had also answered 200 once")
    assert len(dead_ids) == len(set(dead_ids)), "a target was dead-lettered twice"
    assert set(delivered_ids) | set(dead_ids) == set(paths), "a target went missing"
    for target in dead:
        replies = faults.replies[paths[target["webhookId"]]]
        assert len(replies) == MAX_ATTEMPTS, (target, replies)
        assert target["attemptsMade"] == MAX_ATTEMPTS
    # Duplicates and 200s on dead-lettered targets are allowed (at least once): a 200 that
    # reaches the sender after its read timeout counts as a failure. They are reported.
