"""GET /action: queue a delivery of the visitor's IP to every registered webhook."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response, content_types

from webhook_fanout import aws_clients
from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.delivery_queue import QueueWriter
from webhook_fanout.fan_out import fan_out
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import TriggerAccepted, TriggerIncomplete
from webhook_fanout.settings import TriggerSettings, load_settings
from webhook_fanout.trigger_recording import record_trigger
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(TriggerSettings)
store = WebhookStore(settings.table_name)
queue = QueueWriter(settings.delivery_queue_url)
# Quick writes: GET /action waits for this one, and must not wait long for a log.
delivery_log = DeliveryLogStore(
    settings.delivery_log_table_name,
    settings.delivery_log_retention_days,
    client=aws_clients.dynamodb_for_quick_writes(),
)
app = create_resolver()


@app.get(
    "/action",
    responses={
        202: documented("Every target was queued", TriggerAccepted),
        503: documented(
            "Some targets could not be queued; the others will be sent", TriggerIncomplete
        ),
    },
)
def trigger_action() -> Response[TriggerAccepted | TriggerIncomplete]:
    # API Gateway sets sourceIp from the TCP connection; X-Forwarded-For is ignored
    # because any client can write it.
    ip_address = app.current_event.request_context.http.source_ip

    result = fan_out(store, queue, ip_address)
    triggered_at = app.current_event.request_context.time_epoch / 1000
    record_trigger(delivery_log, result, triggered_at)

    if not result.complete:
        unread = "" if result.read_all_webhooks else "; reading the webhooks failed part-way"
        body: TriggerAccepted | TriggerIncomplete = TriggerIncomplete(
            message=f"{result.not_queued} targets could not be queued{unread}; "
            f"the {result.queued} queued targets will be sent",
            trigger_id=result.trigger_id,
            queued=result.queued,
            not_queued=result.not_queued,
        )
        status = HTTPStatus.SERVICE_UNAVAILABLE
    else:
        body = TriggerAccepted(
            trigger_id=result.trigger_id, ip_address=ip_address, queued=result.queued
        )
        status = HTTPStatus.ACCEPTED
    return Response(status, content_types.APPLICATION_JSON, body)


lambda_handler = lambda_handler_for(app)
