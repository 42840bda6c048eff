"""A small patch of moto's SQS (5.x), applied only inside the local stack's process.

Two problems of moto's in-memory queues matter for a fan-out service:

1. Speed. Every SendMessage reads `Queue.attributes` (for the content-based deduplication
   flag), and ReceiveMessage reads it three times per message it returns (for the
   retention period). Each read recounts the queue three times, and each message counted
   costs two clock readings through datetime arithmetic; so sending and receiving cost
   time in proportion to the queue's depth, and draining a queue takes time in proportion
   to its square. bench/moto_sqs_depth.py measures it: with 1,000 messages of 2 KB, ten
   senders took 7.8 s and ten consumers 24.8 s to drain them, before this patch.
   The patch reads the clock once per count and reads the retention period directly.

2. Thread safety. moto's server handles each request in its own thread, and the queue's
   message list is changed without a lock: DeleteMessage rebuilds the list from a copy,
   so a message sent by another thread meanwhile can be lost, and two concurrent
   ReceiveMessage calls can both take the same message. The patch runs each queue's
   message operations under that queue's own lock (the Condition moto already has for
   long polling, whose wait releases it).

Neither changes what moto answers. `remove_sqs_patch` restores moto as it was (for tests).
"""

import functools
from collections.abc import Callable
from typing import Any

from moto.core.utils import unix_time, unix_time_millis
from moto.sqs.models import Message, Queue, SQSBackend

_ORIGINALS: dict[tuple[type, str], Any] = {}

# SQSBackend methods that read or change a queue's messages; each takes the queue's name first.
_MESSAGE_OPERATIONS = (
    "send_message",
    "receive_message",
    "delete_message",
    "change_message_visibility",
    "purge_queue",
)


def apply_sqs_patch() -> None:
    """Patch moto's SQS in this process; applying it twice changes nothing."""
    if _ORIGINALS:
        return
    _replace(Queue, "messages", property(_visible_messages))
    _replace(Queue, "approximate_number_of_messages", property(_count_visible))
    _replace(Queue, "approximate_number_of_messages_not_visible", property(_count_in_flight))
    _replace(Queue, "approximate_number_of_messages_delayed", property(_count_delayed))
    _replace(SQSBackend, "is_message_valid_based_on_retention_period", _within_retention_period)
    for name in _MESSAGE_OPERATIONS:
        _replace(SQSBackend, name, _under_queue_lock(getattr(SQSBackend, name)))


def remove_sqs_patch() -> None:
    for (owner, name), original in _ORIGINALS.items():
        setattr(owner, name, original)
    _ORIGINALS.clear()


def _replace(owner: type, name: str, replacement: Any) -> None:
    _ORIGINALS[(owner, name)] = owner.__dict__[name]
    setattr(owner, name, replacement)


def _is_visible(message: Message, now_ms: float) -> bool:
    # The same comparisons as Message.visible and Message.delayed, with one clock reading.
    return now_ms > message.visible_at and not now_ms < message.delayed_until


def _visible_messages(queue: Queue) -> list[Message]:
    now_ms = unix_time_millis()
    return [message for message in queue._messages if _is_visible(message, now_ms)]


def _count_visible(queue: Queue) -> int:
    now_ms = unix_time_millis()
    return sum(1 for message in queue._messages if _is_visible(message, now_ms))


def _count_in_flight(queue: Queue) -> int:
    now_ms = unix_time_millis()
    return sum(1 for message in queue._messages if not now_ms > message.visible_at)


def _count_delayed(queue: Queue) -> int:
    now_ms = unix_time_millis()
    return sum(1 for message in queue._messages if now_ms < message.delayed_until)


def _within_retention_period(backend: SQSBackend, queue_name: str, message: Message) -> bool:
    retention_seconds = backend.get_queue(queue_name).message_retention_period
    return bool(retention_seconds + message.sent_timestamp / 1000 > unix_time())


def _under_queue_lock(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def locked(backend: SQSBackend, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        with backend.get_queue(queue_name)._messages_lock:
            return operation(backend, queue_name, *args, **kwargs)

    return locked
