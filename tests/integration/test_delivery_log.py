"""The delivery log and trigger summaries, against real receivers on loopback.

The trigger and the sender run in-process against moto's server, with an SqsPump as the
SQS event source; the log is read back through GET /webhooks/{id}/deliveries and
GET /triggers/{triggerId}, as an operator would.
"""

import threading
import time
from collections import defaultdict

import pytest

from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver
from tests.support.operations import (
    FailingBatchWrites,
    deliveries,
    delivery_log,
    sender_event,
    trigger,
    trigger_summary,
    use_delivery_log_client,
)
from tests.support.sqs_pump import SqsPump, queue_depth, receive_all
from tests.support.stack import seed_webhooks

FAST_RETRIES = {"MaxAttempts": 3, "RetryDelaysSeconds": "0", "RequestTimeoutSeconds": 1}
HANG = None


class ScriptedStatuses:
    """Answers each path with its statuses in turn (the last repeats; HANG never answers)
    and remembers, per path, what it answered and the webhook-id it was asked with."""

    def __init__(self, statuses_by_path: dict[str, list[int | None]]) -> None:
        self.statuses_by_path = statuses_by_path
        self._lock = threading.Lock()
        self.answered: dict[str, list[tuple[int | None, str | None, float]]] = defaultdict(list)

    def __call__(self, request: ReceivedRequest, earlier: int) -> Reply:
        statuses = self.statuses_by_path[request.path]
        status = statuses[min(earlier, len(statuses) - 1)]
        with self._lock:
            self.answered[request.path].append(
                (status, request.header("webhook-id"), request.received_at)
            )
        return Reply(hang=True) if status is HANG else Reply(status)


def test_each_attempt_is_logged_as_the_receiver_saw_it(make_stack):
    stack = make_stack(**FAST_RETRIES)
    script = ScriptedStatuses(
        {"/flaky": [500, 503, 200], "/down": [500], "/ok": [200], "/slow": [HANG, 200]}
    )
    with WebhookReceiver(script) as receiver:
        seed_webhooks(
            stack, {name: receiver.url(name) for name in ("flaky", "down", "ok", "slow")}
        )

        with SqsPump(stack) as pump:
            trigger(stack)
            pump.wait_until_drained(timeout=60)

    expected_outcomes = {
        "flaky": ["retrying", "retrying", "delivered"],
        "down": ["retrying", "retrying", "dead_lettered"],
        "ok": ["delivered"],
        "slow": ["retrying", "delivered"],
    }
    for webhook_id, outcomes in expected_outcomes.items():
        answered = script.answered[f"/{webhook_id}"]
        entries = delivery_log(stack, webhook_id)
        assert [entry["outcome"] for entry in entries] == outcomes, webhook_id
        assert [entry["attempt"] for entry in entries] == list(range(1, len(answered) + 1))
        assert [entry["statusCode"] for entry in entries] == [status for status, _, _ in answered]
        assert {entry["deliveryId"] for entry in entries} == {key for _, key, _ in answered}
        started = [entry["attemptedAt"] for entry in entries]
        assert started == sorted(started)
        assert len(set(started)) == len(started)
    assert [entry["error"] for entry in delivery_log(stack, "flaky")] == [
        "status 500",
        "status 503",
        None,
    ]
    timed_out, delivered = delivery_log(stack, "slow")
    assert timed_out["error"] == "timeout"
    assert timed_out["durationMs"] >= 1000
    assert delivered["durationMs"] < 1000


def test_a_webhooks_log_is_newest_first_in_pages_and_filters_by_outcome(make_stack):
    stack = make_stack(**FAST_RETRIES)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"down": receiver.url("status-500/down")})
        with SqsPump(stack) as pump:
            trigger(stack)
            pump.wait_until_drained(timeout=60)

    first = deliveries(stack, "down", limit=2).json()
    second = deliveries(stack, "down", limit=2, nextToken=first["nextToken"]).json()
    dead = deliveries(stack, "down", outcome="dead_lettered").json()
    retrying = deliveries(stack, "down", outcome="retrying").json()

    assert [entry["attempt"] for entry in first["deliveries"]] == [3, 2]
    assert [entry["attempt"] for entry in second["deliveries"]] == [1]
    assert second["nextToken"] is None
    assert [entry["attempt"] for entry in dead["deliveries"]] == [3]
    assert [entry["attempt"] for entry in retrying["deliveries"]] == [2, 1]
    assert deliveries(stack, "never-registered").json() == {"deliveries": [], "nextToken": None}


def assert_adds_up(summary: dict) -> None:
    parts = ("delivered", "retrying", "deadLettered", "cancelled")
    assert summary["queued"] == sum(summary[part] for part in parts), summary
    assert all(summary[part] >= 0 for part in parts), summary


@pytest.mark.slow
def test_trigger_summaries_add_up_whenever_sampled_and_end_with_nothing_retrying(make_stack):
    # A one-second retry delay keeps deliveries in flight long enough to sample them there.
    stack = make_stack(MaxAttempts=3, RetryDelaysSeconds="1", RequestTimeoutSeconds=1)
    behaviours = {"ok": 10, "fail-1": 10, "fail-2": 10, "status-500": 10}
    with WebhookReceiver() as receiver:
        seed_webhooks(
            stack,
            {
                f"{behaviour}-{number}": receiver.url(f"{behaviour}/{number}")
                for behaviour, count in behaviours.items()
                for number in range(count)
            },
        )
        samples = []
        with SqsPump(stack) as pump:
            trigger_id = trigger(stack)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                samples.append(trigger_summary(stack, trigger_id).json())
                if samples[-1]["retrying"] == 0:
                    break
                time.sleep(0.05)
            pump.wait_until_drained(timeout=30)
        final = trigger_summary(stack, trigger_id).json()

    for sample in samples:
        assert sample["queued"] == 40
        assert_adds_up(sample)
    assert any(0 < sample["retrying"] < 40 for sample in samples), "no sample caught any in flight"
    finished = [sample["delivered"] + sample["deadLettered"] for sample in samples]
    assert finished == sorted(finished)
    assert final["triggerId"] == trigger_id
    assert (final["delivered"], final["retrying"], final["deadLettered"]) == (30, 0, 10)
    assert len(receiver.requests) == 10 * 1 + 10 * 2 + 10 * 3 + 10 * 3


def test_a_message_delivered_twice_by_sqs_is_counted_once(make_stack):
    stack = make_stack(**FAST_RETRIES)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"a": receiver.url("ok/a"), "b": receiver.url("ok/b")})
        trigger_id = trigger(stack)
        event = sender_event(stack)
        assert len(event["Records"]) == 1

        stack.invoke("SenderFunction", event)
        stack.invoke("SenderFunction", event)  # as SQS may, after a lost acknowledgement

    assert len(receiver.requests) == 4
    assert len(delivery_log(stack, "a")) == 2
    summary = trigger_summary(stack, trigger_id).json()
    assert (summary["queued"], summary["delivered"], summary["retrying"]) == (2, 2, 0)


def test_a_webhook_deleted_before_sending_is_counted_as_cancelled(stack):
    seed_webhooks(stack, {"gone": "https://example.com/gone"})
    trigger_id = trigger(stack)
    stack.call_api("DeleteWebhookFunction", "DELETE", "/webhooks/gone", route="/webhooks/{id}")

    with SqsPump(stack) as pump:
        pump.wait_until_drained(timeout=30)

    summary = trigger_summary(stack, trigger_id).json()
    assert (summary["queued"], summary["cancelled"], summary["retrying"]) == (1, 1, 0)
    assert [entry["outcome"] for entry in delivery_log(stack, "gone")] == ["cancelled"]


def test_a_trigger_without_targets_is_summarised_as_all_zeros(stack):
    trigger_id = trigger(stack)

    summary = trigger_summary(stack, trigger_id).json()

    assert summary == {
        "triggerId": trigger_id,
        "triggeredAt": summary["triggeredAt"],
        "queued": 0,
        "delivered": 0,
        "retrying": 0,
        "deadLettered": 0,
        "cancelled": 0,
    }


def test_a_failing_delivery_log_loses_and_duplicates_no_delivery(make_stack):
    stack = make_stack(**FAST_RETRIES)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"ok": receiver.url("ok/x"), "flaky": receiver.url("fail-1/y")})
        broken = FailingBatchWrites(stack.endpoints.client("dynamodb"), range(10**6))
        use_delivery_log_client(stack, broken)

        with SqsPump(stack) as pump:
            trigger_id = trigger(stack)
            pump.wait_until_drained(timeout=60)

    assert len(receiver.requests_to("/ok/x")) == 1
    assert len(receiver.requests_to("/fail-1/y")) == 2
    assert all(response == {"batchItemFailures": []} for response in pump.responses)
    assert queue_depth(stack, stack.physical_id("DeliveryQueue")) == 0
    assert receive_all(stack, "DeliveryDLQ") == []
    assert broken.calls > 0
    # The log missed every attempt; the summary says so instead of inventing outcomes.
    assert trigger_summary(stack, trigger_id).json()["retrying"] == 2


def test_items_dynamodb_leaves_unprocessed_are_written_again(make_stack):
    stack = make_stack(**FAST_RETRIES)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {f"w{n}": receiver.url(f"ok/{n}") for n in range(30)})
        throttled = FailingBatchWrites(
            stack.endpoints.client("dynamodb"), failing_calls=range(0, 2), unprocessed=5
        )
        use_delivery_log_client(stack, throttled)
        trigger_id = trigger(stack)
        event = sender_event(stack)

        response = stack.invoke("SenderFunction", event)

    assert response == {"batchItemFailures": []}
    assert throttled.calls > 2
    summary = trigger_summary(stack, trigger_id).json()
    assert (summary["queued"], summary["delivered"], summary["retrying"]) == (30, 30, 0)


def test_an_unknown_trigger_is_404_and_a_malformed_id_is_422(stack):
    unknown = trigger_summary(stack, "00000000-0000-4000-8000-000000000000")
    malformed = trigger_summary(stack, "not-a-trigger-id")

    assert unknown.status == 404
    assert "has no record" in unknown.json()["message"]
    assert malformed.status == 422
    assert "triggerId" in malformed.json()["message"]
