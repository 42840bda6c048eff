"""PUT /webhooks/{id}: point a webhook at a new target URL."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from webhook_fanout import registry
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import UpdateWebhookRequest, Webhook, WebhookId
from webhook_fanout.observability import logger
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.put(
    "/webhooks/<id>",
    responses={
        200: documented("The webhook, changed", Webhook),
        404: documented("No webhook has this id"),
    },
)
def update_webhook(
    webhook_id: Annotated[WebhookId, Path(alias="id")],
    request: Annotated[UpdateWebhookRequest, Body()],
) -> Webhook:
    webhook = registry.change_target_url(
        store,
        webhook_id,
        request.new_target_url,
        allow_private_targets=settings.allow_private_targets,
    )

    logger.info("webhook target changed", webhook_id=webhook_id)
    return webhook


lambda_handler = lambda_handler_for(app)
