"""The dead-letter queue: how many messages wait, and a page of their targets.

SQS cannot list a queue. A message is seen only by receiving it, which hides it from other
consumers for a visibility timeout; so a page is read by receiving messages and, as soon
as the page is read, making each visible again. There is no cursor either: SQS returns
messages in no fixed order, so a second page could repeat the first. A page is therefore
the first `limit` targets SQS hands out, and says whether it holds every waiting target.

The DLQ holds the delivery queue's message schema: targets the sender gave up on carry
their attempt count and last error; messages the redrive policy moved after repeated
receive failures may hold targets never attempted. Anything else is counted as unreadable
and left alone.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from webhook_fanout import aws_clients
from webhook_fanout.aws_errors import aws_errors_as
from webhook_fanout.delivery_messages import DeliveryMessage, DeliveryTarget
from webhook_fanout.errors import QueueError
from webhook_fanout.models import DeadLetter, DeadLetterPage
from webhook_fanout.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# Long enough to read a page; the page's messages are made visible again right after.
PAGE_VISIBILITY_SECONDS = 30
# Long polling asks every SQS server, so an empty answer means the queue is empty (short
# polling samples a few servers and can come back empty from a queue that is not).
RECEIVE_WAIT_SECONDS = 1
_MAX_ENTRIES_PER_BATCH = 10


@dataclass(frozen=True)
class ReceivedDeadLetter:
    message_id: str
    receipt_handle: str
    delivery: DeliveryMessage | None  # None when the body is not a delivery message


class DeadLetterQueue:
    def __init__(self, queue_url: str, client: "SQSClient | None" = None) -> None:
        self.queue_url = queue_url
        self._client = client or aws_clients.sqs()

    def approximate_messages(self) -> int:
        """Messages visible in the queue, as SQS approximates them."""
        with aws_errors_as(QueueError, "SQS GetQueueAttributes"):
            response = self._client.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
            )
        return int(response["Attributes"]["ApproximateNumberOfMessages"])

    def receive(self, visibility_seconds: int) -> list[ReceivedDeadLetter]:
        """Up to 10 messages, hidden from other consumers for `visibility_seconds`."""
        with aws_errors_as(QueueError, "SQS ReceiveMessage"):
            response = self._client.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=_MAX_ENTRIES_PER_BATCH,
                VisibilityTimeout=visibility_seconds,
                WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
            )
        return [
            ReceivedDeadLetter(
                message_id=message["MessageId"],
                receipt_handle=message["ReceiptHandle"],
                delivery=_read_delivery(message["Body"]),
            )
            for message in response.get("Messages", [])
        ]

    def release(self, messages: Sequence[ReceivedDeadLetter]) -> None:
        """Make received messages visible again at once. Never raises: a message not
        released becomes visible anyway when its visibility timeout ends."""
        not_released = self._each_batch(
            messages,
            "SQS ChangeMessageVisibilityBatch",
            lambda batch: self._client.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m.receipt_handle, "VisibilityTimeout": 0}
                    for index, m in enumerate(batch)
                ],
            ),
        )
        if not_released:
            logger.warning("dead letters not released", messages=len(not_released))

    def delete(self, messages: Sequence[ReceivedDeadLetter]) -> list[str]:
        """Delete received messages; returns the ids of those SQS did not delete."""
        return self._each_batch(
            messages,
            "SQS DeleteMessageBatch",
            lambda batch: self._client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m.receipt_handle}
                    for index, m in enumerate(batch)
                ],
            ),
        )

    def _each_batch(
        self,
        messages: Sequence[ReceivedDeadLetter],
        request: str,
        call: Callable[[Sequence[ReceivedDeadLetter]], Mapping[str, Any]],
    ) -> list[str]:
        """Make `request` for every 10 messages, each entry's Id its index in the batch;
        returns the ids of the messages it failed for. Never raises."""
        failed: list[str] = []
        for batch in _batches(messages):
            try:
                with aws_errors_as(QueueError, request):
                    response = call(batch)
            except QueueError:
                logger.warning("dead letter batch request failed", request=request, exc_info=True)
                failed.extend(message.message_id for message in batch)
                continue
            failed.extend(
                batch[int(entry["Id"])].message_id for entry in response.get("Failed", [])
            )
        return failed


def read_page(queue: DeadLetterQueue, limit: int) -> DeadLetterPage:
    """Up to `limit` waiting targets, leaving every message in the queue."""
    # Limitation: while a page is read, its messages are hidden; a replay running at that
    # moment does not see them and leaves them for the next replay.
    approximate_messages = queue.approximate_messages()
    received: list[ReceivedDeadLetter] = []
    exhausted = approximate_messages == 0
    try:
        while not exhausted and _target_count(received) < limit:
            seen = {message.message_id for message in received}
            batch = [
                message
                for message in queue.receive(PAGE_VISIBILITY_SECONDS)
                if message.message_id not in seen
            ]
            received.extend(batch)
            exhausted = not batch
    finally:
        queue.release(received)
    dead_letters = [
        dead_letter_of(message.delivery, target)
        for message in received
        if message.delivery is not None
        for target in message.delivery.targets
    ]
    complete = exhausted and len(dead_letters) <= limit
    return DeadLetterPage(
        approximate_messages=approximate_messages,
        dead_letters=dead_letters[:limit],
        complete=complete,
        waiting_targets=len(dead_letters) if complete else None,
        unreadable_messages=sum(1 for message in received if message.delivery is None),
    )


def dead_letter_of(message: DeliveryMessage, target: DeliveryTarget) -> DeadLetter:
    return DeadLetter(
        delivery_id=target.delivery_id,
        webhook_id=target.webhook_id,
        trigger_id=message.trigger_id,
        target_url=target.target_url,
        attempts_made=target.attempts_made,
        last_error=target.last_error,
    )


def _target_count(messages: Sequence[ReceivedDeadLetter]) -> int:
    return sum(len(message.delivery.targets) for message in messages if message.delivery)


def _read_delivery(body: str) -> DeliveryMessage | None:
    try:
        return DeliveryMessage.from_body(body)
    except ValueError:
        return None


def _batches(messages: Sequence[ReceivedDeadLetter]) -> list[Sequence[ReceivedDeadLetter]]:
    return [
        messages[start : start + _MAX_ENTRIES_PER_BATCH]
        for start in range(0, len(messages), _MAX_ENTRIES_PER_BATCH)
    ]
