"""Plays Lambda's SQS event source for the in-process stack: receive, invoke, delete.

It reads BatchSize, MaximumConcurrency and ReportBatchItemFailures from the template's
event source mapping, as the service on AWS does, and runs that many pollers.
"""

import hashlib
import threading
import time
from typing import Any

from tests.support.stack import InProcessStack


class SqsPump:
    def __init__(
        self,
        stack: InProcessStack,
        function_id: str = "SenderFunction",
        expect_function_errors: bool = False,
    ) -> None:
        self.stack = stack
        self.expect_function_errors = expect_function_errors
        self.function_id = function_id
        mapping = _event_source_mapping(stack, function_id)
        self.queue_arn = mapping["EventSourceArn"]
        self.queue_url = _queue_url_for_arn(stack, self.queue_arn)
        self.batch_size = int(mapping.get("BatchSize", 10))
        self.max_concurrency = int(mapping["ScalingConfig"]["MaximumConcurrency"])
        self.reports_item_failures = "ReportBatchItemFailures" in mapping.get(
            "FunctionResponseTypes", []
        )
        self.responses: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        # moto's ReceiveMessage does not lock the queue: two concurrent calls can both
        # take the same visible message. Real SQS does not do that within the visibility
        # timeout, so the pollers take turns receiving here.
        self._receive_lock = threading.Lock()
        self._busy = 0
        self._stop = threading.Event()
        self._pollers = [
            threading.Thread(target=self._poll, daemon=True) for _ in range(self.max_concurrency)
        ]

    def __enter__(self) -> "SqsPump":
        self.stack.module(self.function_id)  # import once, before pollers race to do it
        for poller in self._pollers:
            poller.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for poller in self._pollers:
            poller.join(timeout=30)

    def wait_until_drained(self, timeout: float) -> None:
        """Block until the queue holds no message, visible, delayed or in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.errors and not self.expect_function_errors:
                raise AssertionError(f"sender invocation raised: {self.errors[0]!r}")
            with self._lock:
                busy = self._busy
            if busy == 0 and queue_depth(self.stack, self.queue_url) == 0:
                return
            time.sleep(0.2)
        raise TimeoutError(f"queue not drained after {timeout} s")

    def _poll(self) -> None:
        client = self.stack.endpoints.client("sqs")
        while not self._stop.is_set():
            with self._receive_lock:
                received = client.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=min(self.batch_size, 10),
                    MessageSystemAttributeNames=["All"],
                ).get("Messages", [])
            if not received:
                self._stop.wait(0.05)
                continue
            with self._lock:
                self._busy += 1
            try:
                self._invoke(client, received)
            except Exception as error:
                # As on AWS: the whole batch stays in the queue and is received again
                # once its visibility timeout ends.
                self.errors.append(error)
            finally:
                with self._lock:
                    self._busy -= 1

    def _invoke(self, client: Any, received: list[dict[str, Any]]) -> None:
        event = {"Records": [self._record(message) for message in received]}
        response = self.stack.invoke(self.function_id, event)
        self.responses.append(response)
        failed = set()
        if self.reports_item_failures and response:
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        done = [message for message in received if message["MessageId"] not in failed]
        if done:
            client.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(done)
                ],
            )

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": "us-east-1",
        }


def queue_depth(stack: InProcessStack, queue_url: str) -> int:
    attributes = stack.endpoints.client("sqs").get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    return sum(int(value) for value in attributes.values())


def receive_all(stack: InProcessStack, queue_logical_id: str) -> list[dict[str, Any]]:
    """Every message now visible in a queue, left in place (received, then made visible)."""
    client = stack.endpoints.client("sqs")
    queue_url = stack.physical_id(queue_logical_id)
    messages: list[dict[str, Any]] = []
    while True:
        batch = client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=30
        ).get("Messages", [])
        if not batch:
            break
        messages.extend(batch)
    for message in messages:
        client.change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return messages


def take_all(stack: InProcessStack, queue_logical_id: str) -> list[dict[str, Any]]:
    """Every message now visible in a queue, removed from it."""
    client = stack.endpoints.client("sqs")
    queue_url = stack.physical_id(queue_logical_id)
    messages = receive_all(stack, queue_logical_id)
    for message in messages:
        client.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _event_source_mapping(stack: InProcessStack, function_id: str) -> dict[str, Any]:
    for resource in stack.template.resources_of_type("AWS::Lambda::EventSourceMapping").values():
        properties = resource["Properties"]
        if properties["FunctionName"] == {"Ref": function_id}:
            resolved: dict[str, Any] = stack.template.resolve(properties)
            return resolved
    raise LookupError(f"no SQS event source for {function_id}")


def _queue_url_for_arn(stack: InProcessStack, arn: str) -> str:
    for (logical_id, attribute), value in stack.template.attributes.items():
        if attribute == "Arn" and value == arn:
            return stack.physical_id(logical_id)
    raise LookupError(f"no queue with ARN {arn}")
