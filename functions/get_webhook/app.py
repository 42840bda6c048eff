"""GET /webhooks/{id}: one registered webhook."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import Webhook, WebhookId
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.get(
    "/webhooks/<id>",
    responses={
        200: documented("The webhook", Webhook),
        404: documented("No webhook has this id"),
    },
)
def get_webhook(webhook_id: Annotated[WebhookId, Path(alias="id")]) -> Webhook:
    return store.get(webhook_id)


lambda_handler = lambda_handler_for(app)
