"""GET /triggers/{triggerId}: how many of one GET /action's targets are where."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.http_api import create_resolver, documented, lambda_handler_for
from webhook_fanout.models import TriggerId, TriggerSummary
from webhook_fanout.settings import DeliveryLogApiSettings, load_settings

settings = load_settings(DeliveryLogApiSettings)
delivery_log = DeliveryLogStore(settings.delivery_log_table_name)
app = create_resolver()


@app.get(
    "/triggers/<triggerId>",
    responses={
        200: documented("Where the trigger's targets are", TriggerSummary),
        404: documented("The delivery log has no record of this trigger"),
    },
)
def get_trigger(trigger_id: Annotated[TriggerId, Path(alias="triggerId")]) -> TriggerSummary:
    return delivery_log.trigger_summary(trigger_id)


lambda_handler = lambda_handler_for(app)
