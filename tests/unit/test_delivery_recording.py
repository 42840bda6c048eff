"""What the sender's recorders make of a settled batch: log entries and EMF metrics."""

import json
from typing import Any

import pytest

from webhook_fanout.delivery_attempt import AttemptResult, Outcome
from webhook_fanout.delivery_log import iso_time
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget
from webhook_fanout.delivery_recording import (
    DeliveryLogRecorder,
    DeliveryMetricsRecorder,
    log_entries,
)
from webhook_fanout.errors import StorageError
from webhook_fanout.sender import Disposition, TargetResult

MESSAGE = DeliveryMessage(
    trigger_id="t1",
    ip_address="198.51.100.1",
    targets=(DeliveryTarget(delivery_id="d0", webhook_id="w0", target_url="https://e.com"),),
)


def result(
    disposition: Disposition,
    status: int | None = None,
    attempts_made: int = 1,
    message_id: str = "m1",
    duration_ms: int = 40,
    delay_seconds: int = 0,
) -> TargetResult:
    target = MESSAGE.targets[0].model_copy(update={"attempts_made": attempts_made})
    attempt = None
    if disposition not in (Disposition.DEFERRED, Disposition.CANCELLED):
        outcome = Outcome.DELIVERED if disposition is Disposition.DELIVERED else Outcome.FAILED
        error = None if outcome is Outcome.DELIVERED else f"status {status}"
        attempt = AttemptResult(outcome, duration_ms, status, error, started_at=1_800_000_000.5)
    return TargetResult(message_id, MESSAGE, target, disposition, attempt, delay_seconds)


def test_each_attempt_becomes_an_entry_with_its_details():
    (entry,) = log_entries([result(Disposition.RETRYING, 503, 2, delay_seconds=60)], [])

    assert entry.model_dump(by_alias=True) == {
        "deliveryId": "d0",
        "webhookId": "w0",
        "triggerId": "t1",
        "attempt": 2,
        "outcome": "retrying",
        "attemptedAt": iso_time(1_800_000_000.5),
        "statusCode": 503,
        "error": "status 503",
        "durationMs": 40,
        "retryDelaySeconds": 60,
    }


def test_a_dead_letter_that_was_not_written_is_logged_as_retrying():
    dead = result(Disposition.DEAD_LETTERED, 500, attempts_made=5)

    (settled,) = log_entries([dead], failed_message_ids=[])
    (unsettled,) = log_entries([dead], failed_message_ids=["m1"])

    assert settled.outcome == "dead_lettered"
    assert unsettled.outcome == "retrying"
    assert unsettled.retry_delay_seconds is None


def test_deferred_targets_have_no_entry_and_cancelled_ones_have_one_without_a_status():
    entries = log_entries(
        [result(Disposition.DEFERRED), result(Disposition.CANCELLED, None, 0)], []
    )

    (cancelled,) = entries
    assert cancelled.outcome == "cancelled"
    assert cancelled.attempt == 0
    assert cancelled.status_code is None


class BrokenStore:
    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def write_entries(self, entries: Any, deadline: float | None = None) -> None:
        self.calls += 1
        raise self.error


@pytest.mark.parametrize("error", [StorageError("down"), RuntimeError("a bug")])
def test_the_log_recorder_never_raises(error):
    store = BrokenStore(error)
    recorder = DeliveryLogRecorder(store)  # type: ignore[arg-type]

    recorder.record([result(Disposition.DELIVERED, 200)], [])

    assert store.calls == 1


def emitted_metrics(output: str) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {}
    for line in output.splitlines():
        blob = json.loads(line)
        for definition in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
            value = blob[definition["Name"]]
            values.setdefault(definition["Name"], []).extend(
                value if isinstance(value, list) else [value]
            )
    return values


def test_metrics_count_successes_failures_and_dead_letters_and_time_deliveries(capsys):
    results = [
        result(Disposition.DELIVERED, 200, duration_ms=120, message_id="m1"),
        result(Disposition.DELIVERED, 204, duration_ms=80, message_id="m1"),
        result(Disposition.RETRYING, 500, message_id="m1"),
        result(Disposition.DEAD_LETTERED, 500, message_id="m1"),
        result(Disposition.DEAD_LETTERED, 500, message_id="m2"),  # its DLQ write failed
        result(Disposition.DEFERRED, message_id="m1"),
    ]

    DeliveryMetricsRecorder().record(results, failed_message_ids=["m2"])

    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["DeliveriesSucceeded"] == [2]
    assert metrics["FailedAttempts"] == [3]
    assert metrics["DeadLettered"] == [1]
    assert sorted(metrics["DeliveryLatency"]) == [80, 120]


def test_a_full_hundred_latencies_are_published_without_a_warning(capsys, recwarn):
    results = [result(Disposition.DELIVERED, 200, duration_ms=n) for n in range(100)]

    DeliveryMetricsRecorder().record(results, failed_message_ids=[])

    assert len(emitted_metrics(capsys.readouterr().out)["DeliveryLatency"]) == 100
    assert not [w for w in recwarn if "No application metrics" in str(w.message)]
