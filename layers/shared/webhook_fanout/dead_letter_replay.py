"""Moving dead-lettered targets back to the delivery queue, all or one webhook's.

A replayed target keeps its delivery id (receivers drop duplicates by it) and starts again
at attempt 0, so it gets the full number of attempts. Messages are taken from the DLQ in
batches; for each one, its replayed targets are written to the delivery queue and, when
the message mixes webhooks, the targets left behind are written back to the DLQ as a new
message. The original is deleted only after both writes succeeded: a failure leaves it in
the DLQ, so nothing is lost, at the price of a possible duplicate on a later replay.

Messages held back (another webhook's, unreadable, or whose writes failed) stay hidden
until the replay ends and are then made visible again, so that one replay never reads a
message twice.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from webhook_fanout.dead_letters import DeadLetterQueue, ReceivedDeadLetter
from webhook_fanout.delivery_log import DeliveryLogStore, iso_time
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget
from webhook_fanout.delivery_queue import OutgoingMessage, QueueWriter
from webhook_fanout.models import DeliveryLogEntry, DeliveryOutcome
from webhook_fanout.observability import logger

# Longer than the replay function's timeout: a message held back is not received again
# by the same replay. If the function dies, its messages reappear after this long.
REPLAY_VISIBILITY_SECONDS = 60
# Time kept back at the end of an invocation for the last writes and the release.
_RESERVE_SECONDS = 5.0


@dataclass
class ReplayOutcome:
    moved: int = 0
    not_moved: int = 0
    complete: bool = True


@dataclass(frozen=True)
class _Plan:
    """What to write for one DLQ message before it may be deleted."""

    source: ReceivedDeadLetter
    chosen: tuple[DeliveryTarget, ...]  # as they were dead-lettered, attempts included
    requeue: OutgoingMessage
    keep: OutgoingMessage | None


def split_for_replay(
    message: DeliveryMessage, webhook_id: str | None
) -> tuple[DeliveryMessage | None, DeliveryMessage | None]:
    """The targets to replay, attempts reset, and those to leave in the DLQ, as messages."""
    chosen: list[DeliveryTarget] = []
    left: list[DeliveryTarget] = []
    for target in message.targets:
        if webhook_id is None or target.webhook_id == webhook_id:
            chosen.append(target.model_copy(update={"attempts_made": 0, "last_error": None}))
        else:
            left.append(target)
    return _message_like(message, chosen), _message_like(message, left)


def _message_like(
    message: DeliveryMessage, targets: Sequence[DeliveryTarget]
) -> DeliveryMessage | None:
    if not targets:
        return None
    return message.model_copy(update={"targets": tuple(targets)})


class DeadLetterReplay:
    def __init__(
        self,
        dead_letters: DeadLetterQueue,
        delivery_queue: QueueWriter,
        dead_letter_writer: QueueWriter,
        delivery_log: DeliveryLogStore,
    ) -> None:
        self.dead_letters = dead_letters
        self.delivery_queue = delivery_queue
        self.dead_letter_writer = dead_letter_writer
        self.delivery_log = delivery_log

    def run(self, webhook_id: str | None, remaining_seconds: Callable[[], float]) -> ReplayOutcome:
        outcome = ReplayOutcome()
        if self.dead_letters.approximate_messages() == 0:
            return outcome
        held: list[ReceivedDeadLetter] = []
        seen: set[str] = set()
        try:
            while True:
                if remaining_seconds() < _RESERVE_SECONDS:
                    outcome.complete = False
                    break
                batch = [
                    message
                    for message in self.dead_letters.receive(REPLAY_VISIBILITY_SECONDS)
                    if message.message_id not in seen
                ]
                if not batch:
                    break
                seen.update(message.message_id for message in batch)
                held.extend(self._replay_batch(batch, webhook_id, outcome))
        finally:
            self.dead_letters.release(held)
        logger.info(
            "dead letters replayed",
            webhook_id=webhook_id,
            moved=outcome.moved,
            not_moved=outcome.not_moved,
            complete=outcome.complete,
        )
        return outcome

    def _replay_batch(
        self, batch: Sequence[ReceivedDeadLetter], webhook_id: str | None, outcome: ReplayOutcome
    ) -> list[ReceivedDeadLetter]:
        """Replay what `batch` holds for `webhook_id`; returns the messages to hold back."""
        held: list[ReceivedDeadLetter] = []
        plans = []
        for source in batch:
            plan = _plan(source, webhook_id)
            if plan is None:
                held.append(source)
            else:
                plans.append(plan)
        # Taken before the writes, so that the log orders the replay before the attempt
        # that follows it even when that attempt is logged first.
        replayed_at = time.time()
        failed = self.delivery_queue.write([plan.requeue for plan in plans]).failed
        failed += self.dead_letter_writer.write([p.keep for p in plans if p.keep]).failed
        failed_ids = {id(outgoing) for outgoing in failed}

        moved: list[_Plan] = []
        done: list[ReceivedDeadLetter] = []
        for plan in plans:
            requeued = id(plan.requeue) not in failed_ids
            kept = plan.keep is None or id(plan.keep) not in failed_ids
            if requeued:
                moved.append(plan)
                outcome.moved += len(plan.chosen)
            else:
                outcome.not_moved += len(plan.chosen)
            (done if requeued and kept else held).append(plan.source)
        # Limitation: when the requeue was written but the message could not be split or
        # deleted, the message stays in the DLQ, and a later replay sends its targets again
        # (with the same delivery id, so a receiver can drop the duplicate).
        not_deleted = self.dead_letters.delete(done)
        if not_deleted:
            logger.warning("replayed dead letters not deleted", messages=len(not_deleted))
        self._log_replays(moved, replayed_at)
        return held

    def _log_replays(self, moved: Sequence[_Plan], replayed_at: float) -> None:
        """Log one `replayed` entry per moved target; never raises, the move is done."""
        entries = [
            DeliveryLogEntry(
                delivery_id=target.delivery_id,
                webhook_id=target.webhook_id,
                trigger_id=plan.requeue.message.trigger_id,
                attempt=target.attempts_made,
                outcome=DeliveryOutcome.REPLAYED,
                attempted_at=iso_time(replayed_at),
                error=target.last_error,
            )
            for plan in moved
            for target in plan.chosen
        ]
        try:
            if entries:
                self.delivery_log.write_entries(entries)
        except Exception:
            # Deliberately broad: the targets are back in the queue whatever happens here.
            logger.exception("replays not written to the delivery log", targets=len(entries))


def _plan(source: ReceivedDeadLetter, webhook_id: str | None) -> _Plan | None:
    """None when the message holds nothing to replay (or is not a delivery message)."""
    if source.delivery is None:
        return None
    replayed, left = split_for_replay(source.delivery, webhook_id)
    if replayed is None:
        return None
    chosen_ids = {target.delivery_id for target in replayed.targets}
    chosen = tuple(t for t in source.delivery.targets if t.delivery_id in chosen_ids)
    keep = OutgoingMessage(left) if left else None
    return _Plan(source, chosen, OutgoingMessage(replayed), keep)
