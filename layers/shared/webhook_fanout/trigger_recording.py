"""What the trigger tells the delivery log and CloudWatch (as an EMF metric).

Kept apart from the sender's recorders so that the trigger's cold start does not import
the sender and its HTTP client.
"""

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.fan_out import FanOutResult
from webhook_fanout.observability import logger


def record_trigger(store: DeliveryLogStore, result: FanOutResult, triggered_at: float) -> None:
    """Store how many targets one GET /action queued, and emit it as a metric.

    Never raises: the targets are queued and will be sent whether or not this is stored;
    without it GET /triggers/{triggerId} answers 404.
    """
    try:
        metrics = EphemeralMetrics()
        metrics.add_metric("TargetsQueued", MetricUnit.Count, result.queued)
        metrics.flush_metrics()
    except Exception:
        logger.exception("trigger metrics not emitted", trigger_id=result.trigger_id)
    try:
        store.put_trigger(result.trigger_id, result.queued, triggered_at)
    except Exception:
        # Limitation: the deliveries are logged, but the trigger has no summary (404).
        logger.exception("trigger not recorded in the delivery log", trigger_id=result.trigger_id)
