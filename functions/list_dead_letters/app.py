"""GET /dead-letters: how many messages wait in the DLQ, and a page of their targets."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from webhook_fanout.dead_letters import DeadLetterQueue, read_page
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import DeadLetterPage
from webhook_fanout.settings import DeadLettersApiSettings, load_settings

settings = load_settings(DeadLettersApiSettings)
dead_letters = DeadLetterQueue(settings.dead_letter_queue_url)
app = create_resolver()


@app.get(
    "/dead-letters",
    responses={200: documented("How many wait, and a page of them", DeadLetterPage)},
)
def list_dead_letters(
    limit: Annotated[int, Query(ge=1, le=500, description="Most targets to show")] = 50,
) -> DeadLetterPage:
    return read_page(dead_letters, limit)


lambda_handler = lambda_handler_for(app)
