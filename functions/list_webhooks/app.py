"""GET /webhooks: one page of registered webhooks."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from webhook_fanout.http_api import create_resolver, lambda_handler_for
from webhook_fanout.models import WebhookPage
from webhook_fanout.settings import WebhooksApiSettings, load_settings
from webhook_fanout.webhook_store import WebhookStore

settings = load_settings(WebhooksApiSettings)
store = WebhookStore(settings.table_name)
app = create_resolver()


@app.get("/webhooks")
def list_webhooks(
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    next_token: Annotated[
        str | None, Query(alias="nextToken", max_length=2048, description="From the last page")
    ] = None,
) -> WebhookPage:
    return store.list_page(limit, next_token)


lambda_handler = lambda_handler_for(app)
