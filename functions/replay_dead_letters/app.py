"""POST /dead-letters/replay: move dead-lettered targets back to the delivery queue."""

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body

from webhook_fanout.dead_letter_replay import DeadLetterReplay
from webhook_fanout.dead_letters import DeadLetterQueue
from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.delivery_queue import QueueWriter
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import ReplayIncomplete, ReplayRequest, ReplayResult
from webhook_fanout.settings import ReplaySettings, load_settings

settings = load_settings(ReplaySettings)
replay = DeadLetterReplay(
    DeadLetterQueue(settings.dead_letter_queue_url),
    delivery_queue=QueueWriter(settings.delivery_queue_url),
    dead_letter_writer=QueueWriter(settings.dead_letter_queue_url),
    delivery_log=DeliveryLogStore(
        settings.delivery_log_table_name, settings.delivery_log_retention_days
    ),
)
app = create_resolver()


@app.post(
    "/dead-letters/replay",
    responses={
        200: documented("Every chosen target found was moved", ReplayResult),
        503: documented("Some targets could not be moved; they stay in the DLQ", ReplayIncomplete),
    },
)
def replay_dead_letters(
    request: Annotated[ReplayRequest | None, Body()] = None,
) -> Response[ReplayResult | ReplayIncomplete]:
    webhook_id = request.webhook_id if request else None
    context = app.lambda_context

    outcome = replay.run(
        webhook_id, remaining_seconds=lambda: context.get_remaining_time_in_millis() / 1000
    )

    if outcome.not_moved:
        body: ReplayResult | ReplayIncomplete = ReplayIncomplete(
            message=f"{outcome.not_moved} targets could not be moved and stay in the "
            f"dead-letter queue; the {outcome.moved} moved targets will be sent",
            moved=outcome.moved,
            not_moved=outcome.not_moved,
        )
        return Response(HTTPStatus.SERVICE_UNAVAILABLE, content_types.APPLICATION_JSON, body)
    body = ReplayResult(moved=outcome.moved, complete=outcome.complete)
    return Response(HTTPStatus.OK, content_types.APPLICATION_JSON, body)


lambda_handler = lambda_handler_for(app)
