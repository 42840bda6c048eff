"""GET /webhooks/{id}/deliveries: a webhook's delivery log, newest first."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import DeliveryLogPage, DeliveryOutcome, WebhookId
from webhook_fanout.settings import DeliveryLogApiSettings, load_settings

settings = load_settings(DeliveryLogApiSettings)
delivery_log = DeliveryLogStore(settings.delivery_log_table_name)
app = create_resolver()


@app.get(
    "/webhooks/<id>/deliveries",
    responses={200: documented("One page of the webhook's log, newest first", DeliveryLogPage)},
)
def list_deliveries(
    webhook_id: Annotated[WebhookId, Path(alias="id")],
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    next_token: Annotated[
        str | None, Query(alias="nextToken", max_length=2048, description="From the last page")
    ] = None,
    outcome: Annotated[
        DeliveryOutcome | None, Query(description="Only entries with this outcome")
    ] = None,
) -> DeliveryLogPage:
    # The log outlives a deleted webhook, so an unknown id is an empty page, not a 404.
    return delivery_log.list_for_webhook(webhook_id, limit, next_token, outcome)


lambda_handler = lambda_handler_for(app)
