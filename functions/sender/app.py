"""SQS consumer: POST each queued target, requeue failures, dead-letter the hopeless.

Returns a partial batch response, so that only messages whose targets could not all be
settled come back; see webhook_fanout.sender for the rules.
"""

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from webhook_fanout import aws_clients
from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.delivery_queue import QueueWriter
from webhook_fanout.delivery_recording import DeliveryLogRecorder, DeliveryMetricsRecorder
from webhook_fanout.http_client import create_http_session
from webhook_fanout.observability import logger, tracer
from webhook_fanout.sender import Sender
from webhook_fanout.settings import SenderSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(SenderSettings)
# One pooled session per warm container: connections to a target are reused across
# invocations instead of paying for a new TCP and TLS handshake on every delivery.
sender = Sender(
    settings,
    session=create_http_session(
        allow_private_targets=settings.allow_private_targets,
        timeout_seconds=settings.request_timeout_seconds,
    ),
    store=WebhookStore(settings.table_name),
    delivery_queue=QueueWriter(settings.delivery_queue_url),
    dead_letter_queue=QueueWriter(settings.dead_letter_queue_url),
    recorders=[
        DeliveryMetricsRecorder(),
        DeliveryLogRecorder(
            DeliveryLogStore(
                settings.delivery_log_table_name,
                settings.delivery_log_retention_days,
                client=aws_clients.dynamodb_for_quick_writes(),
            )
        ),
    ],
)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = [(record.message_id, record.body) for record in SQSEvent(event).records]

    report = sender.send_batch(
        records, remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000
    )

    return {
        "batchItemFailures": [
            {"itemIdentifier": message_id} for message_id in report.failed_message_ids
        ]
    }
