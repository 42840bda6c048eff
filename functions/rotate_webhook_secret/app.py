"""POST /webhooks/{id}/secret/rotate: give a webhook a new signing secret.

The previous secret keeps signing deliveries, beside the new one, for a day.
"""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from webhook_fanout import registry
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import RotatedSecret, WebhookId
from webhook_fanout.observability import logger
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.post(
    "/webhooks/<id>/secret/rotate",
    responses={
        200: documented("The new secret, shown only here", RotatedSecret),
        404: documented("No webhook has this id"),
    },
)
def rotate_webhook_secret(webhook_id: Annotated[WebhookId, Path(alias="id")]) -> RotatedSecret:
    rotated = registry.rotate_signing_secret(store, webhook_id)

    logger.info("webhook signing secret rotated", webhook_id=webhook_id)
    return rotated


lambda_handler = lambda_handler_for(app)
