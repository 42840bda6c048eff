"""The messages on the delivery queue and the dead-letter queue.

One message carries up to 10 targets of one trigger. Ten keeps SQS calls and queue depth
ten times lower than one target per message, while a message stays far below SQS's size
limit even with 2,048-character URLs. Targets carry their own attempt count because a
requeued message holds only the targets that failed, and a replayed one resets it.
"""

from collections.abc import Iterable, Iterator
from itertools import islice

from pydantic import Field

from webhook_fanout.models import CamelCaseModel

MAX_TARGETS_PER_MESSAGE = 10


class DeliveryTarget(CamelCaseModel):
    delivery_id: str = Field(description="Sent as webhook-id; the same on every retry.")
    webhook_id: str
    target_url: str = Field(description="The URL when queued; the sender uses the current one.")
    attempts_made: int = Field(default=0, ge=0)
    last_error: str | None = None


class DeliveryMessage(CamelCaseModel):
    trigger_id: str
    ip_address: str
    targets: tuple[DeliveryTarget, ...] = Field(min_length=1, max_length=MAX_TARGETS_PER_MESSAGE)

    def to_body(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_body(cls, body: str) -> "DeliveryMessage":
        return cls.model_validate_json(body)


def pack_targets(
    trigger_id: str, ip_address: str, targets: Iterable[DeliveryTarget]
) -> Iterator[DeliveryMessage]:
    """Group targets into as few messages as the per-message limit allows, in order."""
    remaining = iter(targets)
    while chunk := tuple(islice(remaining, MAX_TARGETS_PER_MESSAGE)):
        yield DeliveryMessage(trigger_id=trigger_id, ip_address=ip_address, targets=chunk)
