"""Trigger summaries and the delivery log's item shape: pure logic, no I/O."""

import time
from typing import Any

import pytest

from webhook_fanout.delivery_log import DeliveryLogStore, iso_time, summarize
from webhook_fanout.errors import InvalidPageToken, StorageError
from webhook_fanout.models import DeliveryLogEntry, DeliveryOutcome
from webhook_fanout.page_tokens import encode_page_token

DELIVERED = DeliveryOutcome.DELIVERED
RETRYING = DeliveryOutcome.RETRYING
DEAD = DeliveryOutcome.DEAD_LETTERED
REPLAYED = DeliveryOutcome.REPLAYED
CANCELLED = DeliveryOutcome.CANCELLED


def counts(queued: int, entries: list[tuple[str, str, DeliveryOutcome]]) -> tuple[int, ...]:
    summary = summarize("t", triggered_at="2026-12-03T10:00:00Z", queued=queued, entries=entries)
    return (
        summary.queued,
        summary.delivered,
        summary.retrying,
        summary.dead_lettered,
        summary.cancelled,
    )


def test_targets_without_entries_yet_count_as_retrying():
    assert counts(3, [("d1", "10:00:01", DELIVERED)]) == (3, 1, 2, 0, 0)


def test_a_delivery_counts_by_its_latest_attempt_whatever_order_entries_arrive_in():
    entries = [
        ("d1", "10:00:03", DEAD),
        ("d1", "10:00:01", RETRYING),
        ("d1", "10:00:02", RETRYING),
    ]

    assert counts(1, entries) == (1, 0, 0, 1, 0)


def test_a_delivery_attempted_twice_is_counted_once():
    entries = [("d1", "10:00:01", DELIVERED), ("d1", "10:00:02", DELIVERED)]

    assert counts(1, entries) == (1, 1, 0, 0, 0)


def test_a_replayed_dead_letter_counts_as_retrying_until_its_next_attempt():
    dead = [("d1", "10:00:01", DEAD)]
    replayed = [*dead, ("d1", "10:05:00", REPLAYED)]
    delivered = [*replayed, ("d1", "10:05:01", DELIVERED)]

    assert counts(1, dead) == (1, 0, 0, 1, 0)
    assert counts(1, replayed) == (1, 0, 1, 0, 0)
    assert counts(1, delivered) == (1, 1, 0, 0, 0)


def test_cancelled_deliveries_are_finished():
    assert counts(2, [("d1", "10:00:01", CANCELLED)]) == (2, 0, 1, 0, 1)


def test_deliveries_the_trigger_did_not_count_still_add_up():
    entries = [("d1", "10:00:01", DELIVERED), ("d2", "10:00:01", DELIVERED)]

    assert counts(1, entries) == (2, 2, 0, 0, 0)


def test_iso_times_sort_as_the_times_do():
    times = [0.5, 9.999999, 10.0, 1_800_000_000.000001, 1_800_000_000.1]

    assert [iso_time(t) for t in times] == sorted(iso_time(t) for t in times)
    assert iso_time(1_800_000_000.25) == "2027-01-15T08:00:00.250000Z"


class RecordingDynamoDb:
    """Records each call and answers as DynamoDB would when every write succeeds."""

    def __init__(self, answers: list[dict[str, Any]] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.answers = answers or []

    def batch_write_item(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(("batch_write_item", arguments))
        return self.answers.pop(0) if self.answers else {"UnprocessedItems": {}}

    def query(self, **arguments: Any) -> dict[str, Any]:
        self.calls.append(("query", arguments))
        return {"Items": []}


def entry(attempt: int, **changes: Any) -> DeliveryLogEntry:
    fields: dict[str, Any] = {
        "delivery_id": "d1",
        "webhook_id": "w1",
        "trigger_id": "t1",
        "attempt": attempt,
        "outcome": RETRYING,
        "attempted_at": iso_time(1_800_000_000 + attempt),
    }
    return DeliveryLogEntry(**(fields | changes))


def test_entries_are_written_25_to_a_batch_each_key_once():
    client = RecordingDynamoDb()
    store = DeliveryLogStore("log", client=client)  # type: ignore[arg-type]

    store.write_entries([entry(n) for n in range(30)] + [entry(0)])

    sizes = [len(arguments["RequestItems"]["log"]) for _, arguments in client.calls]
    assert sorted(sizes) == [5, 25]


def test_an_entry_is_stored_with_its_index_keys_and_expiry():
    client = RecordingDynamoDb()
    store = DeliveryLogStore("log", retention_days=2, client=client)  # type: ignore[arg-type]

    store.write_entries([entry(1, status_code=500, error="status 500", retry_delay_seconds=10)])

    ((_, arguments),) = client.calls
    (request,) = arguments["RequestItems"]["log"]
    item = request["PutRequest"]["Item"]
    assert item["webhookOutcome"] == {"S": "w1#retrying"}
    assert item["recordKey"] == {"S": f"delivery#d1#{iso_time(1_800_000_001)}"}
    assert item["statusCode"] == {"N": "500"}
    assert "durationMs" not in item
    assert abs(int(item["expiresAt"]["N"]) - (time.time() + 2 * 86400)) < 60


def test_items_left_unprocessed_every_time_are_reported():
    request = {"PutRequest": {"Item": {}}}
    left = {"UnprocessedItems": {"log": [request]}}
    client = RecordingDynamoDb(answers=[left] * 5)
    store = DeliveryLogStore("log", client=client)  # type: ignore[arg-type]

    with pytest.raises(StorageError, match="1 of 1"):
        store.write_entries([entry(1)])
    assert len(client.calls) == 5


def test_retries_stop_at_the_deadline():
    request = {"PutRequest": {"Item": {}}}
    client = RecordingDynamoDb(answers=[{"UnprocessedItems": {"log": [request]}}] * 5)
    store = DeliveryLogStore("log", client=client)  # type: ignore[arg-type]

    with pytest.raises(StorageError, match="1 of 1"):
        store.write_entries([entry(1)], deadline=time.monotonic() + 0.06)

    assert len(client.calls) == 2  # the second backoff (0.1 s) would pass the deadline


def test_a_page_token_for_another_webhook_is_refused_before_querying():
    client = RecordingDynamoDb()
    store = DeliveryLogStore("log", client=client)  # type: ignore[arg-type]
    token = encode_page_token(
        {"triggerId": "t1", "recordKey": "k", "webhookId": "other", "attemptedAt": "a"}
    )

    with pytest.raises(InvalidPageToken):
        store.list_for_webhook("w1", limit=10, next_token=token)
    assert client.calls == []
