"""DELETE /webhooks/{id}: stop sending to a webhook."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import WebhookId
from webhook_fanout.observability import logger
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.delete(
    "/webhooks/<id>",
    responses={
        204: {"description": "Deleted"},
        404: documented("No webhook has this id"),
    },
)
def delete_webhook(webhook_id: Annotated[WebhookId, Path(alias="id")]) -> Response[None]:
    store.delete(webhook_id)

    logger.info("webhook deleted", webhook_id=webhook_id)
    return Response(HTTPStatus.NO_CONTENT)


lambda_handler = lambda_handler_for(app)
