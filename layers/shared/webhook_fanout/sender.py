"""Sending one SQS batch of delivery messages: POST each target, then settle each message.

Every target of every message in the batch shares one sliding window of
MAX_IN_FLIGHT_PER_INVOCATION POSTs, so a slow target holds one slot, not a whole message.
A message is acknowledged only when each of its targets is delivered, requeued for a
later attempt, or dead-lettered; if a requeue or dead-letter write fails, the message is
reported as failed and SQS delivers it again (some targets may then receive a duplicate,
which the unchanged webhook-id lets them drop).
"""

import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

import requests

from webhook_fanout.delivery_attempt import AttemptResult, Outcome, attempt_delivery
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget, pack_targets
from webhook_fanout.delivery_queue import OutgoingMessage, QueueWriter
from webhook_fanout.errors import StorageError
from webhook_fanout.observability import logger
from webhook_fanout.retry_policy import retry_delay_seconds
from webhook_fanout.settings import SenderSettings
from webhook_fanout.signing import signature_headers
from webhook_fanout.webhook_store import SendingDetails, WebhookStore

MAX_IN_FLIGHT_PER_INVOCATION = 10

# Time kept back at the end of an invocation for writing requeues and dead letters, and
# then the delivery log (whose writes are bounded at about 2 s).
_SETTLING_RESERVE_SECONDS = 10.0


class Disposition(StrEnum):
    """What happens to a target after this invocation."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    DEAD_LETTERED = "dead_lettered"
    DEFERRED = "deferred"  # not attempted for lack of time; requeued, attempt not counted
    CANCELLED = "cancelled"  # webhook deleted since the trigger; nothing to send


@dataclass(frozen=True)
class TargetResult:
    message_id: str
    message: DeliveryMessage
    target: DeliveryTarget
    disposition: Disposition
    attempt: AttemptResult | None = None
    delay_seconds: int = 0


@dataclass
class BatchReport:
    failed_message_ids: list[str] = field(default_factory=list)
    results: list[TargetResult] = field(default_factory=list)

    def count(self, disposition: Disposition) -> int:
        return sum(1 for result in self.results if result.disposition is disposition)


class ResultRecorder(Protocol):
    """Told what became of every target once its message has been settled.

    Called after the queue writes, so that recording (a delivery log, metrics) never
    delays a POST; it must not raise, because a recording failure must never change what
    happens to a delivery.
    """

    def record(
        self, results: Sequence[TargetResult], failed_message_ids: Sequence[str]
    ) -> None: ...


class Sender:
    def __init__(
        self,
        settings: SenderSettings,
        session: requests.Session,
        store: WebhookStore,
        delivery_queue: QueueWriter,
        dead_letter_queue: QueueWriter,
        recorders: Sequence[ResultRecorder] = (),
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.store = store
        self.delivery_queue = delivery_queue
        self.dead_letter_queue = dead_letter_queue
        self.recorders = list(recorders)
        self.rng = rng or random.Random()

    def send_batch(
        self, records: Sequence[tuple[str, str]], remaining_seconds: Callable[[], float]
    ) -> BatchReport:
        """Send the targets of `records`, pairs of SQS message id and body."""
        report = BatchReport()
        messages: dict[str, DeliveryMessage] = {}
        for message_id, body in records:
            message = _read_message(message_id, body)
            if message is None:
                report.failed_message_ids.append(message_id)
            else:
                messages[message_id] = message

        try:
            sending_details = self.store.sending_details(
                target.webhook_id for message in messages.values() for target in message.targets
            )
        except StorageError:
            logger.exception("webhook lookup failed; the batch will be delivered again")
            report.failed_message_ids.extend(messages)
            return report

        report.results = self._attempt_all(messages, sending_details, remaining_seconds)
        report.failed_message_ids.extend(self._settle(report.results))
        for recorder in self.recorders:
            recorder.record(report.results, report.failed_message_ids)
        return report

    def _attempt_all(
        self,
        messages: dict[str, DeliveryMessage],
        sending_details: dict[str, SendingDetails],
        remaining_seconds: Callable[[], float],
    ) -> list[TargetResult]:
        # Starting an attempt needs time for a connect and a read timeout, plus the reserve.
        needed_seconds = 2 * self.settings.request_timeout_seconds + _SETTLING_RESERVE_SECONDS

        def has_time() -> bool:
            return remaining_seconds() >= needed_seconds

        executor = ThreadPoolExecutor(MAX_IN_FLIGHT_PER_INVOCATION, "delivery")
        pending: dict[Future[TargetResult], tuple[str, DeliveryMessage, DeliveryTarget]] = {}
        for message_id, message in messages.items():
            for target in message.targets:
                details = sending_details.get(target.webhook_id)
                future = executor.submit(
                    self._attempt_one, message_id, message, target, details, has_time
                )
                pending[future] = (message_id, message, target)
        wait(pending, timeout=max(remaining_seconds() - _SETTLING_RESERVE_SECONDS, 0))
        # Limitation: an attempt still running at the invocation's deadline (a target that
        # trickles its headers slower than the read timeout) is abandoned and retried; its
        # thread finishes in the background, so that target may receive a duplicate.
        executor.shutdown(wait=False, cancel_futures=True)
        return [self._result_of(future, *origin) for future, origin in pending.items()]

    def _result_of(
        self,
        future: "Future[TargetResult]",
        message_id: str,
        message: DeliveryMessage,
        target: DeliveryTarget,
    ) -> TargetResult:
        if future.cancelled() or not future.done():
            if not future.running():
                return TargetResult(message_id, message, target, Disposition.DEFERRED)
            timed_out = AttemptResult(Outcome.FAILED, duration_ms=0, error="timeout")
            return self._after_attempt(message_id, message, target, timed_out)
        error = future.exception()
        if error is not None:
            # A bug must not hold the whole batch hostage: count it as a failed attempt.
            logger.error("delivery attempt raised", exc_info=error)
            broken = AttemptResult(Outcome.FAILED, duration_ms=0, error="sender error")
            return self._after_attempt(message_id, message, target, broken)
        return future.result()

    def _attempt_one(
        self,
        message_id: str,
        message: DeliveryMessage,
        target: DeliveryTarget,
        details: SendingDetails | None,
        has_time: Callable[[], bool],
    ) -> TargetResult:
        if details is None:
            return TargetResult(message_id, message, target, Disposition.CANCELLED)
        if not has_time():
            return TargetResult(message_id, message, target, Disposition.DEFERRED)
        timestamp = int(time.time())
        body = delivery_body(message.ip_address, timestamp)
        headers = {
            "Content-Type": "application/json",
            **signature_headers(target.delivery_id, timestamp, body, details.signing_secrets),
        }
        attempt = attempt_delivery(
            self.session,
            details.target_url,
            body=body,
            headers=headers,
            timeout_seconds=self.settings.request_timeout_seconds,
            allow_private_targets=self.settings.allow_private_targets,
        )
        return self._after_attempt(message_id, message, target, attempt)

    def _after_attempt(
        self,
        message_id: str,
        message: DeliveryMessage,
        target: DeliveryTarget,
        attempt: AttemptResult,
    ) -> TargetResult:
        attempts_made = target.attempts_made + 1
        logger.debug(
            "delivery attempt finished",
            delivery_id=target.delivery_id,
            webhook_id=target.webhook_id,
            trigger_id=message.trigger_id,
            attempt=attempts_made,
            outcome=attempt.outcome,
            status_code=attempt.status_code,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
        updated = target.model_copy(
            update={"attempts_made": attempts_made, "last_error": attempt.error}
        )
        if attempt.outcome is Outcome.DELIVERED:
            return TargetResult(message_id, message, updated, Disposition.DELIVERED, attempt)
        if attempt.outcome is Outcome.REFUSED or attempts_made >= self.settings.max_attempts:
            return TargetResult(message_id, message, updated, Disposition.DEAD_LETTERED, attempt)
        delay = retry_delay_seconds(
            attempts_made,
            self.settings.retry_delays_seconds,
            attempt.retry_after_seconds,
            self.rng,
        )
        return TargetResult(message_id, message, updated, Disposition.RETRYING, attempt, delay)

    def _settle(self, results: list[TargetResult]) -> list[str]:
        """Write requeues and dead letters; returns the ids of messages not fully settled."""
        requeues: list[OutgoingMessage] = []
        dead_letters: list[OutgoingMessage] = []
        source_of: dict[int, str] = {}
        for (message_id, disposition, delay), group in _group_follow_ups(results).items():
            message = group[0].message
            for packed in pack_targets(
                message.trigger_id, message.ip_address, (result.target for result in group)
            ):
                outgoing = OutgoingMessage(packed, delay)
                source_of[id(outgoing)] = message_id
                if disposition is Disposition.DEAD_LETTERED:
                    dead_letters.append(outgoing)
                else:
                    requeues.append(outgoing)
        failed = self.delivery_queue.write(requeues).failed
        failed += self.dead_letter_queue.write(dead_letters).failed
        _log_summary(results, dead_letters)
        return sorted({source_of[id(outgoing)] for outgoing in failed})


def delivery_body(ip_address: str, timestamp: int) -> bytes:
    """The JSON body every target receives, in the contract's field names."""
    return json.dumps(
        {"ipAddress": ip_address, "timestamp": timestamp}, separators=(",", ":")
    ).encode()


def _read_message(message_id: str, body: str) -> DeliveryMessage | None:
    try:
        return DeliveryMessage.from_body(body)
    except ValueError:
        # Reported as failed, so that the queue's redrive policy parks it in the DLQ
        # after a few receives instead of it being dropped here.
        logger.error("unreadable delivery message", message_id=message_id)
        return None


def _group_follow_ups(
    results: list[TargetResult],
) -> dict[tuple[str, Disposition, int], list[TargetResult]]:
    """Targets needing a new message, grouped so that each group can share one."""
    groups: dict[tuple[str, Disposition, int], list[TargetResult]] = defaultdict(list)
    for result in results:
        if result.disposition in (Disposition.RETRYING, Disposition.DEFERRED):
            groups[(result.message_id, Disposition.RETRYING, result.delay_seconds)].append(result)
        elif result.disposition is Disposition.DEAD_LETTERED:
            groups[(result.message_id, Disposition.DEAD_LETTERED, 0)].append(result)
    return groups


def _log_summary(results: list[TargetResult], dead_letters: list[OutgoingMessage]) -> None:
    for outgoing in dead_letters:
        for target in outgoing.message.targets:
            logger.warning(
                "delivery dead-lettered",
                delivery_id=target.delivery_id,
                webhook_id=target.webhook_id,
                trigger_id=outgoing.message.trigger_id,
                attempts=target.attempts_made,
                last_error=target.last_error,
            )
    counts = {disposition.value: 0 for disposition in Disposition}
    for result in results:
        counts[result.disposition.value] += 1
    logger.info("batch sent", extra={"targets": len(results), **counts})
