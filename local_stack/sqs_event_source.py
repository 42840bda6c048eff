"""SQS event source mappings, run as Lambda runs them for a standard queue.

Each mapping gets as many pollers as it may have invocations in flight (its
`ScalingConfig.MaximumConcurrency`, bounded by the function's reserved concurrency). A
poller long-polls the queue, invokes the function with up to `BatchSize` messages in
Lambda's SQS event shape, and then deletes what succeeded:

- all of the batch when the invocation succeeded without `ReportBatchItemFailures`;
- with `ReportBatchItemFailures`, all but the reported messages, unless the answer is
  malformed (an item without a valid `itemIdentifier` of this batch), which fails the
  whole batch as it does on AWS;
- nothing when the function failed or timed out.

What is not deleted becomes visible again after the queue's visibility timeout, with its
receive count raised; the queue's redrive policy then moves it to the dead-letter queue
after `maxReceiveCount` receives (moto applies it when receiving, as SQS does).
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
"""

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from local_stack.functions import function_ids_by_reference
from local_stack.invocation_log import InvocationLog
from local_stack.template import LOCAL_REGION, StackTemplate, TemplateError
from local_stack.worker_pool import Invocation

# Short long-polls, so that a poller notices within a second or two that the stack stops.
POLL_WAIT_SECONDS = 1
ERROR_PAUSE_SECONDS = 1.0
SQS_RECEIVE_LIMIT = 10

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SqsEventSourceMapping:
    logical_id: str
    function_logical_id: str
    queue_logical_id: str
    queue_url: str
    queue_arn: str
    batch_size: int
    batching_window_seconds: int
    maximum_concurrency: int | None
    report_batch_item_failures: bool
    enabled: bool


def sqs_event_source_mappings(template: StackTemplate) -> list[SqsEventSourceMapping]:
    """Every AWS::Lambda::EventSourceMapping; the template's queues must be provisioned."""
    functions = function_ids_by_reference(template)
    queues = {
        arn: logical_id
        for (logical_id, attribute), arn in template.attributes.items()
        if attribute == "Arn" and logical_id in template.resources_of_type("AWS::SQS::Queue")
    }
    mappings = []
    resources = template.resources_of_type("AWS::Lambda::EventSourceMapping")
    for logical_id, resource in resources.items():
        properties = template.resolve(resource.get("Properties", {}))
        queue_arn = str(properties.get("EventSourceArn"))
        if queue_arn not in queues:
            raise TemplateError(
                f"{logical_id}: only event sources on the template's SQS queues are supported"
            )
        if "FilterCriteria" in properties:
            raise TemplateError(
                f"{logical_id}: FilterCriteria is not supported by the local stack"
            )
        function_logical_id = functions.get(str(properties.get("FunctionName")))
        if function_logical_id is None:
            raise TemplateError(f"{logical_id}: FunctionName is not a function of this template")
        concurrency = (properties.get("ScalingConfig") or {}).get("MaximumConcurrency")
        queue_logical_id = queues[queue_arn]
        mappings.append(
            SqsEventSourceMapping(
                logical_id=logical_id,
                function_logical_id=function_logical_id,
                queue_logical_id=queue_logical_id,
                queue_url=template.physical_ids[queue_logical_id],
                queue_arn=queue_arn,
                batch_size=int(properties.get("BatchSize", 10)),
                batching_window_seconds=int(properties.get("MaximumBatchingWindowInSeconds", 0)),
                maximum_concurrency=int(concurrency) if concurrency is not None else None,
                report_batch_item_failures="ReportBatchItemFailures"
                in (properties.get("FunctionResponseTypes") or []),
                enabled=str(properties.get("Enabled", True)).lower() != "false",
            )
        )
    return mappings


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda sends for a batch of messages as boto3's ReceiveMessage gives them."""
    return {"Records": [_record(message, queue_arn) for message in messages]}


def _record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody"),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": LOCAL_REGION,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def acknowledged_messages(
    invocation: Invocation, messages: list[dict[str, Any]], report_batch_item_failures: bool
) -> list[dict[str, Any]]:
    """The messages of a batch that Lambda would delete after this invocation."""
    if not invocation.succeeded:
        return []
    if not report_batch_item_failures:
        return messages
    failed_ids = _reported_failures(invocation.payload, {m["MessageId"] for m in messages})
    if failed_ids is None:
        return []
    return [message for message in messages if message["MessageId"] not in failed_ids]


def _reported_failures(answer: Any, batch_ids: set[str]) -> set[str] | None:
    """The ids reported as failed, or None when the answer fails the whole batch."""
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return None
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed_ids = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in batch_ids:
            return None
        failed_ids.add(identifier)
    return failed_ids


InvokeFunction = Callable[[str, dict[str, Any]], Invocation]


class SqsPollers:
    """The pollers of one event source mapping."""

    def __init__(
        self,
        mapping: SqsEventSourceMapping,
        sqs_client: Any,
        invoke: InvokeFunction,
        log: InvocationLog,
        concurrency: int,
    ) -> None:
        self.mapping = mapping
        self.sqs = sqs_client
        self.invoke = invoke
        self.log = log
        self.concurrency = concurrency
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(
                target=self._poll, name=f"{mapping.logical_id}-poller-{index}", daemon=True
            )
            for index in range(concurrency)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def signal_stop(self) -> None:
        self._stopping.set()

    def join(self, timeout_seconds: float) -> None:
        deadline = time.monotonic() + timeout_seconds
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _poll(self) -> None:
        while not self._stopping.is_set():
            try:
                messages = self._receive_batch()
                if messages:
                    self._process(messages)
            except (BotoCoreError, ClientError) as error:
                if not self._stopping.is_set():
                    _logger.warning("%s: SQS call failed: %s", self.mapping.logical_id, error)
                    self._stopping.wait(ERROR_PAUSE_SECONDS)

    def _receive_batch(self) -> list[dict[str, Any]]:
        mapping = self.mapping
        messages: list[dict[str, Any]] = []
        window_ends = time.monotonic() + mapping.batching_window_seconds
        while len(messages) < mapping.batch_size and not self._stopping.is_set():
            window_left = window_ends - time.monotonic()
            wait_seconds = POLL_WAIT_SECONDS if not messages or window_left >= 1 else 0
            received = self.sqs.receive_message(
                QueueUrl=mapping.queue_url,
                MaxNumberOfMessages=min(SQS_RECEIVE_LIMIT, mapping.batch_size - len(messages)),
                WaitTimeSeconds=wait_seconds,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            if messages and (window_left <= 0 or not received):
                break
        return messages

    def _process(self, messages: list[dict[str, Any]]) -> None:
        mapping = self.mapping
        invocation = self.invoke(
            mapping.function_logical_id, sqs_event(messages, mapping.queue_arn)
        )
        acknowledged = acknowledged_messages(
            invocation, messages, mapping.report_batch_item_failures
        )
        self._delete(acknowledged)
        self.log.invocation(
            invocation,
            source=f"sqs {mapping.queue_logical_id}",
            messages=len(messages),
            failedMessages=len(messages) - len(acknowledged),
        )

    def _delete(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), SQS_RECEIVE_LIMIT):
            chunk = messages[start : start + SQS_RECEIVE_LIMIT]
            answer = self.sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(chunk)
                ],
            )
            for failure in answer.get("Failed", []):
                _logger.warning(
                    "%s: could not delete a message: %s",
                    self.mapping.logical_id,
                    failure.get("Message"),
                )
