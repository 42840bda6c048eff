"""What the sender tells the delivery log and CloudWatch (as EMF metrics).

The sender's recorders run after a batch is settled and never raise: if recording could
fail a batch, SQS would deliver its messages again and their targets would be POSTed
twice. A failure to record is logged instead, and the deliveries go on unchanged.
"""

import time
from collections.abc import Sequence

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from webhook_fanout.delivery_log import DeliveryLogStore, iso_time
from webhook_fanout.models import DeliveryLogEntry, DeliveryOutcome
from webhook_fanout.observability import logger, tracer
from webhook_fanout.sender import Disposition, TargetResult

_OUTCOME_OF_SETTLED = {
    Disposition.DELIVERED: DeliveryOutcome.DELIVERED,
    Disposition.RETRYING: DeliveryOutcome.RETRYING,
    Disposition.DEAD_LETTERED: DeliveryOutcome.DEAD_LETTERED,
    Disposition.CANCELLED: DeliveryOutcome.CANCELLED,
}


def log_entries(
    results: Sequence[TargetResult], failed_message_ids: Sequence[str]
) -> list[DeliveryLogEntry]:
    """One entry per attempt or cancellation; targets deferred for lack of time have none."""
    unsettled = set(failed_message_ids)
    entries = []
    for result in results:
        outcome = _OUTCOME_OF_SETTLED.get(result.disposition)
        if outcome is None:
            continue
        settled = result.message_id not in unsettled
        if outcome is DeliveryOutcome.DEAD_LETTERED and not settled:
            # The dead letter was not written, so SQS delivers the message again and the
            # last attempt is made once more.
            outcome = DeliveryOutcome.RETRYING
        entries.append(_entry(result, outcome, settled))
    return entries


def _entry(result: TargetResult, outcome: DeliveryOutcome, settled: bool) -> DeliveryLogEntry:
    attempt = result.attempt
    # A requeue that was not written comes back after the visibility timeout, not the delay.
    delayed = outcome is DeliveryOutcome.RETRYING and settled
    return DeliveryLogEntry(
        delivery_id=result.target.delivery_id,
        webhook_id=result.target.webhook_id,
        trigger_id=result.message.trigger_id,
        attempt=result.target.attempts_made,
        outcome=outcome,
        attempted_at=iso_time(attempt.started_at if attempt else time.time()),
        status_code=attempt.status_code if attempt else None,
        error=attempt.error if attempt else None,
        duration_ms=attempt.duration_ms if attempt else None,
        retry_delay_seconds=result.delay_seconds if delayed else None,
    )


class DeliveryLogRecorder:
    """Writes each settled batch's attempts to the delivery log.

    Retries stop after `budget_seconds`, plus at most one request's timeouts: the sender
    records at the end of its invocation, and running into the invocation's timeout would
    make SQS deliver the whole batch again.
    """

    # Limitation: a DynamoDB that accepts connections but never answers holds a recording
    # for the budget plus two 3-second attempts; a batch that had already used all but the
    # sender's settling reserve then times out, and its targets are POSTed again.

    def __init__(self, store: DeliveryLogStore, budget_seconds: float = 2.0) -> None:
        self.store = store
        self.budget_seconds = budget_seconds

    # Its own X-Ray subsegment shows what the log costs each invocation.
    @tracer.capture_method
    def record(self, results: Sequence[TargetResult], failed_message_ids: Sequence[str]) -> None:
        try:
            entries = log_entries(results, failed_message_ids)
            if entries:
                self.store.write_entries(entries, time.monotonic() + self.budget_seconds)
        except Exception:
            # Deliberately broad: whatever went wrong, the batch's outcome must stand.
            # Limitation: the missing entries stay missing; the trigger's summary counts
            # those targets as retrying until a later entry of theirs is written.
            logger.exception("delivery log not written", targets=len(results))


class DeliveryMetricsRecorder:
    """Emits each settled batch's counts and latencies as CloudWatch metrics (EMF).

    Each batch gets its own metrics object, flushed at once: Powertools' shared `Metrics`
    would mix up batches that settle at the same time in one process, as the local stack's
    pollers do.
    """

    def record(self, results: Sequence[TargetResult], failed_message_ids: Sequence[str]) -> None:
        try:
            metrics = EphemeralMetrics()
            unsettled = set(failed_message_ids)
            attempts = [(r, attempt) for r in results if (attempt := r.attempt) is not None]
            latencies_ms = [
                attempt.duration_ms
                for r, attempt in attempts
                if r.disposition is Disposition.DELIVERED
            ]
            dead_lettered = [
                r
                for r, _ in attempts
                if r.disposition is Disposition.DEAD_LETTERED and r.message_id not in unsettled
            ]
            metrics.add_metric("DeliveriesSucceeded", MetricUnit.Count, len(latencies_ms))
            metrics.add_metric(
                "FailedAttempts", MetricUnit.Count, len(attempts) - len(latencies_ms)
            )
            metrics.add_metric("DeadLettered", MetricUnit.Count, len(dead_lettered))
            for latency_ms in latencies_ms:
                metrics.add_metric("DeliveryLatency", MetricUnit.Milliseconds, latency_ms)
            # Powertools publishes by itself when a metric reaches 100 values, which can
            # leave nothing to flush here.
            if metrics.metric_set:
                metrics.flush_metrics()
        except Exception:
            logger.exception("delivery metrics not emitted", targets=len(results))
