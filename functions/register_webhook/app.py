"""POST /webhooks: register a target URL under a chosen or generated id.

The answer carries the webhook's signing secret; no other route ever shows it again.
"""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from webhook_fanout import registry
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import RegisteredWebhook, RegisterWebhookRequest
from webhook_fanout.observability import logger
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.post(
    "/webhooks",
    responses={
        201: documented("Registered; the signing secret is shown only here", RegisteredWebhook),
        409: documented("The chosen id is already registered"),
    },
)
def register_webhook(
    request: Annotated[RegisterWebhookRequest, Body()],
) -> Response[RegisteredWebhook]:
    webhook = registry.register_webhook(
        store, request, allow_private_targets=settings.allow_private_targets
    )

    logger.info("webhook registered", webhook_id=webhook.webhook_id)
    return Response(HTTPStatus.CREATED, body=webhook, content_type="application/json")


lambda_handler = lambda_handler_for(app)
