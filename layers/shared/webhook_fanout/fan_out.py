"""Queueing one delivery per registered webhook for a visit to GET /action.

The table is read by a parallel scan while earlier pages are already being written to
SQS, so a large table neither runs the trigger into its timeout nor holds every target
in memory at once. Targets from all scan segments go through one packer, so that every
SendMessageBatch but the last carries 10 full messages of 10 targets.
"""

import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from webhook_fanout.delivery_messages import MAX_TARGETS_PER_MESSAGE, DeliveryTarget, pack_targets
from webhook_fanout.delivery_queue import (
    MAX_ENTRIES_PER_BATCH,
    OutgoingMessage,
    QueueWriter,
    WriteResult,
)
from webhook_fanout.errors import StorageError
from webhook_fanout.observability import logger
from webhook_fanout.webhook_store import Target, WebhookStore

SCAN_SEGMENTS = 4
QUEUE_WRITES_IN_FLIGHT = 8
_TARGETS_PER_BATCH = MAX_ENTRIES_PER_BATCH * MAX_TARGETS_PER_MESSAGE


@dataclass(frozen=True)
class FanOutResult:
    trigger_id: str
    ip_address: str
    queued: int
    not_queued: int
    read_all_webhooks: bool

    @property
    def complete(self) -> bool:
        return self.read_all_webhooks and self.not_queued == 0


def fan_out(store: WebhookStore, queue: QueueWriter, ip_address: str) -> FanOutResult:
    trigger_id = str(uuid.uuid4())
    with ThreadPoolExecutor(QUEUE_WRITES_IN_FLIGHT, "queue-write") as writers:
        packer = _BatchPacker(trigger_id, ip_address, queue, writers)
        with ThreadPoolExecutor(SCAN_SEGMENTS, "scan") as scanners:
            segments_read = list(
                scanners.map(
                    lambda segment: _read_segment(store, segment, packer), range(SCAN_SEGMENTS)
                )
            )
        packer.flush()
        written = packer.result()
    result = FanOutResult(
        trigger_id=trigger_id,
        ip_address=ip_address,
        queued=written.targets_written,
        not_queued=written.targets_failed,
        read_all_webhooks=all(segments_read),
    )
    logger.info(
        "fan-out queued",
        trigger_id=trigger_id,
        queued=result.queued,
        not_queued=result.not_queued,
        read_all_webhooks=result.read_all_webhooks,
    )
    return result


def _read_segment(store: WebhookStore, segment: int, packer: "_BatchPacker") -> bool:
    """Feed one scan segment to the packer; False if reading failed part-way."""
    try:
        for page in store.scan_targets(segment, SCAN_SEGMENTS):
            packer.add(page)
    except StorageError:
        logger.exception("reading webhooks failed", scan_segment=segment)
        return False
    return True


class _BatchPacker:
    """Collects targets from every scan segment and writes them 100 at a time."""

    def __init__(
        self, trigger_id: str, ip_address: str, queue: QueueWriter, writers: ThreadPoolExecutor
    ) -> None:
        self.trigger_id = trigger_id
        self.ip_address = ip_address
        self.queue = queue
        self.writers = writers
        self._lock = threading.Lock()
        self._buffer: list[DeliveryTarget] = []
        self._writes: list[Future[WriteResult]] = []

    def add(self, targets: Iterable[Target]) -> None:
        new = [
            DeliveryTarget(
                delivery_id=str(uuid.uuid4()),
                webhook_id=target.webhook_id,
                target_url=target.target_url,
            )
            for target in targets
        ]
        with self._lock:
            self._buffer.extend(new)
            while len(self._buffer) >= _TARGETS_PER_BATCH:
                self._submit(self._buffer[:_TARGETS_PER_BATCH])
                del self._buffer[:_TARGETS_PER_BATCH]

    def flush(self) -> None:
        with self._lock:
            if self._buffer:
                self._submit(self._buffer)
                self._buffer = []

    def result(self) -> WriteResult:
        total = WriteResult()
        for write in self._writes:
            total.add(write.result())
        return total

    def _submit(self, targets: list[DeliveryTarget]) -> None:
        messages = [
            OutgoingMessage(message)
            for message in pack_targets(self.trigger_id, self.ip_address, targets)
        ]
        self._writes.append(self.writers.submit(self.queue.write, messages))
