"""The delivery log table: every attempt, cancellation and replay, and each trigger's count.

Keys, chosen for the two questions operators ask:

- The table is keyed by `triggerId` and `recordKey`. A trigger's partition holds one
  `trigger` item (how many targets GET /action queued) and one item per log entry, under
  `delivery#<deliveryId>#<attemptedAt>`. GET /triggers/{triggerId} reads that one
  partition, strongly consistent.
- `WebhookIndex` (`webhookId`, `attemptedAt`) lists a webhook's entries newest first;
  `WebhookOutcomeIndex` (`webhookOutcome` = `<webhookId>#<outcome>`, `attemptedAt`) does
  the same for one outcome, so that a filtered page is as cheap as an unfiltered one.

An entry's key holds the time its attempt started, so writing it again (a retried batch
write) replaces it, while a second real attempt (SQS delivering a message twice) gets an
entry of its own. Trigger summaries count each delivery id once, by its latest entry.
Items expire through DynamoDB's TTL on `expiresAt`.
"""

import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from webhook_fanout import aws_clients
from webhook_fanout.aws_errors import aws_errors_as
from webhook_fanout.errors import InvalidPageToken, StorageError, TriggerNotFound
from webhook_fanout.models import (
    DeliveryLogEntry,
    DeliveryLogPage,
    DeliveryOutcome,
    TriggerSummary,
)
from webhook_fanout.observability import logger
from webhook_fanout.page_tokens import decode_page_token, encode_page_token

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]

WEBHOOK_INDEX = "WebhookIndex"
WEBHOOK_OUTCOME_INDEX = "WebhookOutcomeIndex"
TRIGGER_RECORD_KEY = "trigger"

_MAX_ITEMS_PER_BATCH_WRITE = 25
_BATCH_WRITE_ATTEMPTS = 5
_FIRST_BACKOFF_SECONDS = 0.05
_BATCH_WRITES_IN_FLIGHT = 4
_FINISHED = (DeliveryOutcome.DELIVERED, DeliveryOutcome.DEAD_LETTERED, DeliveryOutcome.CANCELLED)


def iso_time(unix_seconds: float) -> str:
    """UTC with microseconds, so that sorting the strings sorts the times."""
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


class DeliveryLogStore:
    def __init__(
        self,
        table_name: str,
        retention_days: int = 30,
        client: "DynamoDBClient | None" = None,
    ) -> None:
        self.table_name = table_name
        self.retention_days = retention_days
        self._client = client or aws_clients.dynamodb()

    # ------------------------------------------------------------ writing

    # Limitation: one trigger's entries share one partition, which takes about 1,000
    # writes a second; a fan-out to many thousands of quick targets is throttled there,
    # and entries still unprocessed after the retries below are lost from the log.
    def write_entries(
        self, entries: Sequence[DeliveryLogEntry], deadline: float | None = None
    ) -> None:
        """Write every entry, retrying until `deadline` (time.monotonic()) if one is given;
        raises StorageError naming how many could not be written."""
        expires_at = self._expires_at()
        # One batch may not hold one key twice; the same key means the same attempt.
        items = {_record_key(entry): _item_from_entry(entry, expires_at) for entry in entries}
        requests = [{"PutRequest": {"Item": item}} for item in items.values()]
        chunks = [
            requests[start : start + _MAX_ITEMS_PER_BATCH_WRITE]
            for start in range(0, len(requests), _MAX_ITEMS_PER_BATCH_WRITE)
        ]
        if len(chunks) <= 1:
            unwritten = sum(self._write_chunk(chunk, deadline) for chunk in chunks)
        else:
            with ThreadPoolExecutor(_BATCH_WRITES_IN_FLIGHT, "delivery-log") as writers:
                unwritten = sum(writers.map(lambda c: self._write_chunk(c, deadline), chunks))
        if unwritten:
            raise StorageError(f"{unwritten} of {len(requests)} delivery log items not written")

    def put_trigger(self, trigger_id: str, queued: int, triggered_at: float) -> None:
        with aws_errors_as(StorageError, "DynamoDB PutItem"):
            self._client.put_item(
                TableName=self.table_name,
                Item={
                    "triggerId": {"S": trigger_id},
                    "recordKey": {"S": TRIGGER_RECORD_KEY},
                    "queued": {"N": str(queued)},
                    "triggeredAt": {"S": iso_time(triggered_at)},
                    "expiresAt": {"N": str(self._expires_at())},
                },
            )

    def _write_chunk(self, requests: list[Item], deadline: float | None) -> int:
        """One BatchWriteItem, retrying what DynamoDB leaves unprocessed or refuses while
        time remains; returns how many items are still unwritten at the end."""
        pending: dict[str, Any] = {self.table_name: requests}
        for attempt in range(_BATCH_WRITE_ATTEMPTS):
            if attempt:
                backoff_seconds = _FIRST_BACKOFF_SECONDS * 2 ** (attempt - 1)
                if deadline is not None and time.monotonic() + backoff_seconds > deadline:
                    break
                time.sleep(backoff_seconds)
            try:
                with aws_errors_as(StorageError, "DynamoDB BatchWriteItem"):
                    response = self._client.batch_write_item(RequestItems=pending)
            except StorageError:
                logger.warning("delivery log batch write failed", exc_info=True)
                continue
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return 0
        return len(pending.get(self.table_name, []))

    def _expires_at(self) -> int:
        return int(time.time()) + self.retention_days * 24 * 60 * 60

    # ------------------------------------------------------------ reading

    def list_for_webhook(
        self,
        webhook_id: str,
        limit: int,
        next_token: str | None = None,
        outcome: DeliveryOutcome | None = None,
    ) -> DeliveryLogPage:
        """One page of a webhook's entries, newest first, optionally of one outcome."""
        if outcome is None:
            index, key_name, key_value = WEBHOOK_INDEX, "webhookId", webhook_id
        else:
            index, key_name, key_value = (
                WEBHOOK_OUTCOME_INDEX,
                "webhookOutcome",
                _webhook_outcome(webhook_id, outcome),
            )
        arguments: dict[str, Any] = {}
        if next_token is not None:
            arguments["ExclusiveStartKey"] = _start_key(next_token, key_name, key_value)
        with aws_errors_as(StorageError, "DynamoDB Query"):
            response = self._client.query(
                TableName=self.table_name,
                IndexName=index,
                KeyConditionExpression="#key = :key",
                ExpressionAttributeNames={"#key": key_name},
                ExpressionAttributeValues={":key": {"S": key_value}},
                ScanIndexForward=False,
                Limit=limit,
                **arguments,
            )
        last_key = response.get("LastEvaluatedKey")
        return DeliveryLogPage(
            deliveries=[_entry_from_item(item) for item in response.get("Items", [])],
            next_token=encode_page_token(_plain_key(last_key)) if last_key else None,
        )

    def trigger_summary(self, trigger_id: str) -> TriggerSummary:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="triggerId = :trigger_id",
            ExpressionAttributeValues={":trigger_id": {"S": trigger_id}},
            ConsistentRead=True,
            ProjectionExpression="recordKey, deliveryId, outcome, attemptedAt, queued, "
            "triggeredAt",
        )
        trigger: Item | None = None
        entries: list[tuple[str, str, DeliveryOutcome]] = []
        with aws_errors_as(StorageError, "DynamoDB Query"):
            for page in pages:
                for item in page.get("Items", []):
                    if item["recordKey"]["S"] == TRIGGER_RECORD_KEY:
                        trigger = item
                    else:
                        entries.append(
                            (
                                item["deliveryId"]["S"],
                                item["attemptedAt"]["S"],
                                DeliveryOutcome(item["outcome"]["S"]),
                            )
                        )
        if trigger is None:
            raise TriggerNotFound(trigger_id)
        return summarize(
            trigger_id,
            triggered_at=trigger["triggeredAt"]["S"],
            queued=int(trigger["queued"]["N"]),
            entries=entries,
        )


def summarize(
    trigger_id: str,
    *,
    triggered_at: str,
    queued: int,
    entries: Iterable[tuple[str, str, DeliveryOutcome]],
) -> TriggerSummary:
    """Count each delivery once, by its latest entry: (delivery id, attempted at, outcome).

    A delivery's entries are ordered by when their attempts started, not by when they were
    written: a slow writer can store attempt 1 after attempt 2 of the same delivery.
    """
    latest: dict[str, tuple[str, DeliveryOutcome]] = {}
    for delivery_id, attempted_at, outcome in entries:
        known = latest.get(delivery_id)
        if known is None or attempted_at > known[0]:
            latest[delivery_id] = (attempted_at, outcome)
    counts = Counter(outcome for _, outcome in latest.values())
    finished = sum(counts[outcome] for outcome in _FINISHED)
    # A trigger that answered 503 after an ambiguous SQS failure may have queued a target it
    # did not count; the log has seen it, so the larger number is the true one.
    queued = max(queued, len(latest))
    return TriggerSummary(
        trigger_id=trigger_id,
        triggered_at=triggered_at,
        queued=queued,
        delivered=counts[DeliveryOutcome.DELIVERED],
        retrying=queued - finished,
        dead_lettered=counts[DeliveryOutcome.DEAD_LETTERED],
        cancelled=counts[DeliveryOutcome.CANCELLED],
    )


def _record_key(entry: DeliveryLogEntry) -> str:
    return f"delivery#{entry.delivery_id}#{entry.attempted_at}"


def _webhook_outcome(webhook_id: str, outcome: DeliveryOutcome) -> str:
    # Webhook ids cannot contain '#', so the pair cannot be confused with another one.
    return f"{webhook_id}#{outcome.value}"


def _item_from_entry(entry: DeliveryLogEntry, expires_at: int) -> Item:
    item: Item = {
        "triggerId": {"S": entry.trigger_id},
        "recordKey": {"S": _record_key(entry)},
        "deliveryId": {"S": entry.delivery_id},
        "webhookId": {"S": entry.webhook_id},
        "webhookOutcome": {"S": _webhook_outcome(entry.webhook_id, entry.outcome)},
        "attempt": {"N": str(entry.attempt)},
        "outcome": {"S": entry.outcome.value},
        "attemptedAt": {"S": entry.attempted_at},
        "expiresAt": {"N": str(expires_at)},
    }
    optional_numbers = {
        "statusCode": entry.status_code,
        "durationMs": entry.duration_ms,
        "retryDelaySeconds": entry.retry_delay_seconds,
    }
    for name, number in optional_numbers.items():
        if number is not None:
            item[name] = {"N": str(number)}
    if entry.error is not None:
        item["error"] = {"S": entry.error}
    return item


def _entry_from_item(item: Item) -> DeliveryLogEntry:
    def number(name: str) -> int | None:
        return int(item[name]["N"]) if name in item else None

    return DeliveryLogEntry(
        delivery_id=item["deliveryId"]["S"],
        webhook_id=item["webhookId"]["S"],
        trigger_id=item["triggerId"]["S"],
        attempt=int(item["attempt"]["N"]),
        outcome=DeliveryOutcome(item["outcome"]["S"]),
        attempted_at=item["attemptedAt"]["S"],
        status_code=number("statusCode"),
        error=item["error"]["S"] if "error" in item else None,
        duration_ms=number("durationMs"),
        retry_delay_seconds=number("retryDelaySeconds"),
    )


def _plain_key(key: Item) -> dict[str, str]:
    return {name: value["S"] for name, value in key.items()}


def _start_key(next_token: str, key_name: str, key_value: str) -> Item:
    key = decode_page_token(
        next_token, key_names=("triggerId", "recordKey", key_name, "attemptedAt")
    )
    # A token from another webhook's (or another outcome's) listing would make DynamoDB
    # refuse the query; it is the caller's mistake, so it is a 422 rather than a 500.
    if key[key_name] != key_value:
        raise InvalidPageToken
    return {name: {"S": value} for name, value in key.items()}
