"""QueueWriter against botocore's Stubber: which entries it retries and which it reports."""

import boto3
import pytest
from botocore.stub import ANY, Stubber

from webhook_fanout.delivery_messages import DeliveryTarget, pack_targets
from webhook_fanout.delivery_queue import OutgoingMessage, QueueWriter

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/deliveries"


@pytest.fixture
def sqs():
    client = boto3.client("sqs", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def outgoing(count: int) -> list[OutgoingMessage]:
    targets = [
        DeliveryTarget(delivery_id=f"d{n}", webhook_id=f"w{n}", target_url="u")
        for n in range(count)
    ]
    return [OutgoingMessage(message) for message in pack_targets("t", "ip", targets)]


def expect_batch(stubber, ids, failed=(), sender_fault=False):
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [
                {"Id": i, "MessageId": f"m{i}", "MD5OfMessageBody": "x"}
                for i in ids
                if i not in failed
            ],
            "Failed": [
                {"Id": i, "SenderFault": sender_fault, "Code": "InternalError"} for i in failed
            ],
        },
        {
            "QueueUrl": QUEUE_URL,
            "Entries": [{"Id": i, "MessageBody": ANY, "DelaySeconds": ANY} for i in ids],
        },
    )


def writer(client) -> QueueWriter:
    return QueueWriter(QUEUE_URL, client=client, attempts=3, sleep=lambda seconds: None)


def test_failed_entries_are_sent_again_until_accepted(sqs):
    client, stubber = sqs
    expect_batch(stubber, ["0", "1", "2"], failed=["1", "2"])
    expect_batch(stubber, ["1", "2"], failed=["2"])
    expect_batch(stubber, ["2"])

    result = writer(client).write(outgoing(30))

    assert result.targets_written == 30
    assert result.failed == []


def test_entries_still_failing_after_the_last_attempt_are_reported(sqs):
    client, stubber = sqs
    expect_batch(stubber, ["0", "1"], failed=["1"])
    expect_batch(stubber, ["1"], failed=["1"])
    expect_batch(stubber, ["1"], failed=["1"])

    result = writer(client).write(outgoing(20))

    assert result.targets_written == 10
    assert result.targets_failed == 10
    assert result.failed[0].message.targets[0].delivery_id == "d10"


def test_entries_refused_for_the_senders_fault_are_not_retried(sqs):
    client, stubber = sqs
    expect_batch(stubber, ["0", "1"], failed=["0"], sender_fault=True)

    result = writer(client).write(outgoing(20))

    assert result.targets_failed == 10
    assert result.targets_written == 10


def test_a_failing_call_is_retried_as_a_whole(sqs):
    client, stubber = sqs
    stubber.add_client_error("send_message_batch", "ServiceUnavailable", http_status_code=503)
    expect_batch(stubber, ["0"])

    assert writer(client).write(outgoing(5)).targets_written == 5
