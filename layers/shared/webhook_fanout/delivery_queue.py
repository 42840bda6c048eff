"""Writing delivery messages to SQS without losing any.

`SendMessageBatch` can answer 200 while listing some entries under `Failed`. Those are
written again with backoff; whatever still fails is returned to the caller, who must
report it (the trigger answers 5xx, the sender leaves its source message unacknowledged).
"""

import random
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from webhook_fanout import aws_clients
from webhook_fanout.delivery_messages import DeliveryMessage
from webhook_fanout.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_ENTRIES_PER_BATCH = 10
MAX_BYTES_PER_BATCH = 256 * 1024
MAX_DELAY_SECONDS = 900


@dataclass(frozen=True)
class OutgoingMessage:
    message: DeliveryMessage
    delay_seconds: int = 0


@dataclass
class WriteResult:
    written: list[OutgoingMessage] = field(default_factory=list)
    failed: list[OutgoingMessage] = field(default_factory=list)

    def add(self, other: "WriteResult") -> None:
        self.written.extend(other.written)
        self.failed.extend(other.failed)

    @property
    def targets_written(self) -> int:
        return sum(len(outgoing.message.targets) for outgoing in self.written)

    @property
    def targets_failed(self) -> int:
        return sum(len(outgoing.message.targets) for outgoing in self.failed)


class QueueWriter:
    """Writes messages to one queue in batches, retrying entries SQS did not accept."""

    def __init__(
        self,
        queue_url: str,
        client: "SQSClient | None" = None,
        attempts: int = 5,
        first_backoff_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.queue_url = queue_url
        self._client = client or aws_clients.sqs()
        self._attempts = attempts
        self._first_backoff_seconds = first_backoff_seconds
        self._sleep = sleep

    def write(
        self, messages: Sequence[OutgoingMessage], executor: Executor | None = None
    ) -> WriteResult:
        """Write every message; with an executor, several batches are in flight at once."""
        batches = list(split_into_batches(messages))
        result = WriteResult()
        if executor is None:
            for batch in batches:
                result.add(self.write_batch(batch))
        else:
            for batch_result in executor.map(self.write_batch, batches):
                result.add(batch_result)
        return result

    def write_batch(self, batch: Sequence[OutgoingMessage]) -> WriteResult:
        """One SendMessageBatch of at most 10 entries, retried until SQS takes each entry."""
        pending = {str(index): outgoing for index, outgoing in enumerate(batch)}
        refused: list[str] = []
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff_seconds(attempt))
            retryable, permanent = self._send(pending)
            refused.extend(permanent)
            pending = {entry_id: pending[entry_id] for entry_id in retryable}
            if not pending:
                break
        failed_ids = {*refused, *pending}
        if failed_ids:
            logger.warning(
                "messages not written to queue",
                queue_url=self.queue_url,
                failed_messages=len(failed_ids),
                attempts=self._attempts,
            )
        return WriteResult(
            written=[m for index, m in enumerate(batch) if str(index) not in failed_ids],
            failed=[m for index, m in enumerate(batch) if str(index) in failed_ids],
        )

    def _send(self, pending: dict[str, OutgoingMessage]) -> tuple[list[str], list[str]]:
        """Send the pending entries; returns the ids to retry and the ids SQS refused."""
        try:
            response = self._client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {
                        "Id": entry_id,
                        "MessageBody": outgoing.message.to_body(),
                        "DelaySeconds": min(max(outgoing.delay_seconds, 0), MAX_DELAY_SECONDS),
                    }
                    for entry_id, outgoing in pending.items()
                ],
            )
        except (ClientError, BotoCoreError) as error:
            # boto3 has already retried throttling and 5xx; try the whole batch again.
            logger.warning("SendMessageBatch failed", queue_url=self.queue_url, error=str(error))
            return list(pending), []
        retryable: list[str] = []
        permanent: list[str] = []
        for failure in response.get("Failed", []):
            # SenderFault marks entries that can never succeed as sent (too large, say).
            (permanent if failure.get("SenderFault") else retryable).append(failure["Id"])
        return retryable, permanent

    def _backoff_seconds(self, attempt: int) -> float:
        ceiling = self._first_backoff_seconds * 2 ** (attempt - 1)
        return random.uniform(ceiling / 2, ceiling)


def split_into_batches(messages: Sequence[OutgoingMessage]) -> Iterator[list[OutgoingMessage]]:
    """Batches within SendMessageBatch's limits of 10 entries and 256 KiB in all."""
    batch: list[OutgoingMessage] = []
    batch_bytes = 0
    for outgoing in messages:
        size = len(outgoing.message.to_body().encode())
        if batch and (
            len(batch) == MAX_ENTRIES_PER_BATCH or batch_bytes + size > MAX_BYTES_PER_BATCH
        ):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(outgoing)
        batch_bytes += size
    if batch:
        yield batch
