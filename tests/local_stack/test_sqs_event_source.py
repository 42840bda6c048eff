"""The SQS event source: batches, partial failures, visibility timeout, redrive, concurrency."""

import json
import time
import uuid
from pathlib import Path

import boto3
import pytest

from local_stack.receiver import WebhookReceiver
from local_stack.sqs_event_source import acknowledged_messages, sqs_event
from local_stack.worker_pool import Invocation
from tests.support.local_stack_process import LocalStackProcess

FIXTURES = Path(__file__).parent / "fixtures"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:work"


def message(message_id: str) -> dict:
    return {
        "MessageId": message_id,
        "ReceiptHandle": f"handle-{message_id}",
        "Body": "{}",
        "MD5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
    }


def invocation(payload, error_type=None) -> Invocation:
    return Invocation("BatchFunction", "request", payload, error_type, 1.0)


BATCH = [message("a"), message("b"), message("c")]


@pytest.mark.parametrize(
    ("payload", "deleted"),
    [
        (None, ["a", "b", "c"]),
        ({}, ["a", "b", "c"]),
        ({"batchItemFailures": None}, ["a", "b", "c"]),
        ({"batchItemFailures": []}, ["a", "b", "c"]),
        ({"batchItemFailures": [{"itemIdentifier": "b"}]}, ["a", "c"]),
        ({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]}, ["b"]),
        ({"batchItemFailures": [{"itemIdentifier": "z"}]}, []),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, []),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, []),
        ({"batchItemFailures": [{"id": "b"}]}, []),
        ({"batchItemFailures": "b"}, []),
        ("not an object", []),
    ],
)
def test_a_partial_batch_response_decides_what_is_deleted(payload, deleted):
    acknowledged = acknowledged_messages(invocation(payload), BATCH, True)

    assert [m["MessageId"] for m in acknowledged] == deleted


def test_without_report_batch_item_failures_a_success_deletes_the_whole_batch():
    payload = {"batchItemFailures": [{"itemIdentifier": "b"}]}

    assert acknowledged_messages(invocation(payload), BATCH, False) == BATCH


@pytest.mark.parametrize("report_batch_item_failures", [True, False])
def test_a_failed_invocation_deletes_nothing(report_batch_item_failures):
    failed = invocation({"errorType": "Sandbox.Timedout"}, "Sandbox.Timedout")

    assert acknowledged_messages(failed, BATCH, report_batch_item_failures) == []


def test_the_event_has_lambdas_sqs_record_shape():
    received = {
        **message("a"),
        "MessageAttributes": {
            "kind": {"DataType": "String", "StringValue": "x"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
        "MD5OfMessageAttributes": "abc",
    }

    (record,) = sqs_event([received], QUEUE_ARN)["Records"]

    assert record == {
        "messageId": "a",
        "receiptHandle": "handle-a",
        "body": "{}",
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1"},
        "messageAttributes": {
            "kind": {
                "stringValue": "x",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            },
            "blob": {
                "binaryValue": "AAE=",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "Binary",
            },
        },
        "md5OfBody": "99914b932bd37a50b983c5e7c90ae93b",
        "md5OfMessageAttributes": "abc",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "us-east-1",
    }


# ---------------------------------------------------------------- against a running stack


@pytest.fixture(scope="module")
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    arguments = ["--template", str(FIXTURES / "sqs.yaml")]
    process = LocalStackProcess(arguments, tmp_path_factory.mktemp("sqs")).start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def sqs(stack):
    return boto3.client(
        "sqs",
        endpoint_url=stack.state()["awsEndpoint"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def queue_url(stack, logical_id: str) -> str:
    return stack.state()["physicalIds"][logical_id]


def send(sqs, stack, scripts: list[dict], **extra) -> None:
    for start in range(0, len(scripts), 10):
        sqs.send_message_batch(
            QueueUrl=queue_url(stack, "WorkQueue"),
            Entries=[
                {"Id": str(index), "MessageBody": json.dumps(script), **extra}
                for index, script in enumerate(scripts[start : start + 10])
            ],
        )


def notifications(receiver, path: str) -> list[dict]:
    return [request.json() for request in receiver.requests_to(path)]


def dead_letters(sqs, stack, marker: str, expected: int, timeout_seconds: float) -> list[dict]:
    found: list[dict] = []
    deadline = time.monotonic() + timeout_seconds
    while len(found) < expected and time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url(stack, "WorkDLQ"), MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        found += [m for m in received if marker in m["Body"]]
    return found


def test_succeeded_messages_are_deleted_after_one_delivery(receiver, sqs, stack):
    marker = uuid.uuid4().hex
    paths = [f"/ok/{marker}/{index}" for index in range(7)]

    send(sqs, stack, [{"notify": receiver.url(path), "marker": marker} for path in paths])
    receiver.wait_for(lambda _: all(receiver.requests_to(path) for path in paths), 30)
    time.sleep(4)  # longer than the visibility timeout: nothing may come back

    for path in paths:
        (notification,) = notifications(receiver, path)
        assert notification["receiveCount"] == "1"
        assert notification["eventSource"] == "aws:sqs"
        assert notification["eventSourceARN"].endswith("-WorkQueue")


def test_failures_come_back_after_the_visibility_timeout_then_go_to_the_dlq(receiver, sqs, stack):
    marker = uuid.uuid4().hex
    outcomes = ["fail", "raise", "bad-answer", "sleep"]
    paths = {outcome: f"/ok/{marker}/{outcome}" for outcome in outcomes}

    send(
        sqs,
        stack,
        [{"outcome": o, "notify": receiver.url(paths[o]), "marker": marker} for o in outcomes],
    )
    dead = dead_letters(sqs, stack, marker, expected=len(outcomes), timeout_seconds=45)

    assert sorted(json.loads(m["Body"])["outcome"] for m in dead) == sorted(outcomes)
    for outcome in outcomes:
        # maxReceiveCount is 2: two deliveries, each after the visibility timeout.
        counts = [n["receiveCount"] for n in notifications(receiver, paths[outcome])]
        assert counts == ["1", "2"], outcome


def test_a_reported_failure_does_not_fail_the_rest_of_its_batch(receiver, sqs, stack):
    marker = uuid.uuid4().hex
    scripts = [
        {
            "outcome": "fail" if index == 0 else "ok",
            "notify": receiver.url(f"/ok/{marker}/{index}"),
        }
        for index in range(5)
    ]

    send(sqs, stack, scripts)
    receiver.wait_for(lambda _: len(receiver.requests_to(f"/ok/{marker}/0")) >= 2, 30)

    for index in range(1, 5):
        assert len(receiver.requests_to(f"/ok/{marker}/{index}")) == 1


def test_message_delays_are_respected(receiver, sqs, stack):
    path = f"/ok/{uuid.uuid4().hex}/delayed"
    sent_at = time.time()

    send(sqs, stack, [{"notify": receiver.url(path)}], DelaySeconds=2)
    receiver.wait_for(lambda _: bool(receiver.requests_to(path)), 30)

    (delivery,) = receiver.requests_to(path)
    assert delivery.received_at - sent_at >= 1.9


def test_message_attributes_reach_the_function(receiver, sqs, stack):
    path = f"/ok/{uuid.uuid4().hex}/attributes"
    attributes = {"kind": {"DataType": "String", "StringValue": "delivery"}}

    send(sqs, stack, [{"notify": receiver.url(path)}], MessageAttributes=attributes)
    receiver.wait_for(lambda _: bool(receiver.requests_to(path)), 30)

    (notification,) = notifications(receiver, path)
    assert notification["messageAttributes"]["kind"]["stringValue"] == "delivery"


def test_at_most_maximum_concurrency_invocations_run_at_once(sqs, stack):
    with WebhookReceiver() as slow_receiver:
        paths = [f"/delay-300/{uuid.uuid4().hex}" for _ in range(12)]

        send(sqs, stack, [{"notify": slow_receiver.url(path)} for path in paths])
        slow_receiver.wait_for_count(len(paths), 60)

        assert slow_receiver.max_in_flight <= 2


def test_each_batch_is_one_log_line(stack):
    line = stack.wait_for_line(lambda line: "sqs WorkQueue" in line, 30)

    assert " BatchFunction " in line
    assert " messages " in line
