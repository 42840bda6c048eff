"""Bad input to the operations routes: a 4xx with a JSON message, and nothing changed."""

import json

import pytest

from tests.support.operations import (
    UnreachableAws,
    dead_letter_page,
    deliveries,
    replay,
    trigger_summary,
)
from tests.support.sqs_pump import receive_all
from tests.support.stack import InProcessStack
from webhook_fanout.dead_letters import DeadLetterQueue
from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.models import DeliveryLogEntry, DeliveryOutcome


def assert_rejected(response, status: int, *words: str) -> None:
    assert response.status == status, response.body
    assert response.header("content-type") == "application/json"
    message = response.json()["message"]
    assert isinstance(message, str)
    for word in words:
        assert word in message, message


def write_log(stack: InProcessStack, webhook_id: str, attempts: int) -> None:
    store = DeliveryLogStore(
        stack.physical_id("DeliveryLogTable"), client=stack.endpoints.client("dynamodb")
    )
    store.write_entries(
        [
            DeliveryLogEntry(
                delivery_id="d-1",
                webhook_id=webhook_id,
                trigger_id="00000000-0000-4000-8000-000000000001",
                attempt=attempt,
                outcome=DeliveryOutcome.RETRYING,
                attempted_at=f"2026-12-03T10:00:0{attempt}.000000Z",
            )
            for attempt in range(1, attempts + 1)
        ]
    )


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"limit": 0}, ["limit"]),
        ({"limit": 1001}, ["limit"]),
        ({"limit": "ten"}, ["limit"]),
        ({"outcome": "exploded"}, ["outcome"]),
        ({"nextToken": "made-up"}, ["nextToken"]),
        ({"nextToken": "x" * 2049}, ["nextToken"]),
    ],
)
def test_a_bad_deliveries_query_is_422(stack, query, words):
    assert_rejected(deliveries(stack, "a", **query), 422, *words)


def test_a_bad_webhook_id_in_the_deliveries_path_is_422(stack):
    assert_rejected(deliveries(stack, "not*allowed"), 422, "id")


def test_a_page_token_is_only_good_for_the_listing_that_issued_it(stack):
    write_log(stack, "a", attempts=3)
    token = deliveries(stack, "a", limit=1).json()["nextToken"]

    assert deliveries(stack, "a", nextToken=token).status == 200
    assert_rejected(deliveries(stack, "b", nextToken=token), 422, "nextToken")
    assert_rejected(deliveries(stack, "a", nextToken=token, outcome="retrying"), 422, "nextToken")


@pytest.mark.parametrize(
    "trigger_id",
    ["short", "00000000-0000-4000-8000-00000000000g", "x" * 300, "'; drop table --"],
)
def test_a_malformed_trigger_id_is_422(stack, trigger_id):
    assert_rejected(trigger_summary(stack, trigger_id), 422, "triggerId")


@pytest.mark.parametrize("limit", [0, 501, "all"])
def test_a_bad_dead_letter_page_size_is_422(stack, limit):
    assert_rejected(dead_letter_page(stack, limit=limit), 422, "limit")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{", ["not valid JSON"]),
        ("[]", ["body"]),
        ([{"webhookId": "a"}, {"webhookId": "b"}], ["JSON object"]),
        ('"b"', ["body"]),
        ({"webhookId": 5}, ["webhookId"]),
        ({"webhookId": ""}, ["webhookId"]),
        ({"webhookId": "has spaces"}, ["webhookId"]),
        ({"webhookID": "a"}, ["webhookID"]),
        ({"webhookId": "a", "all": True}, ["all"]),
    ],
)
def test_a_bad_replay_body_is_422_and_moves_nothing(stack, body, words):
    dead_letter_queue = stack.physical_id("DeliveryDLQ")
    stack.endpoints.client("sqs").send_message(
        QueueUrl=dead_letter_queue,
        MessageBody=json.dumps(
            {
                "triggerId": "t",
                "ipAddress": "198.51.100.23",
                "targets": [{"deliveryId": "d", "webhookId": "a", "targetUrl": "https://e.com"}],
            }
        ),
    )

    assert_rejected(replay(stack, body), 422, *words)
    assert len(receive_all(stack, "DeliveryDLQ")) == 1
    assert receive_all(stack, "DeliveryQueue") == []


def test_an_oversized_replay_body_is_413(stack):
    assert_rejected(replay(stack, {"webhookId": "a" * 20_000}), 413, "larger than")


def break_aws(stack: InProcessStack, function_id: str) -> None:
    """Point the function's storage or queue object at an AWS that cannot be reached."""
    module = stack.module(function_id)
    unreachable = UnreachableAws()
    if function_id == "ReplayDeadLettersFunction":
        module.replay.dead_letters = DeadLetterQueue("unreachable", client=unreachable)
    elif function_id == "ListDeadLettersFunction":
        module.dead_letters = DeadLetterQueue("unreachable", client=unreachable)
    else:
        module.delivery_log = DeliveryLogStore("unreachable", client=unreachable)


@pytest.mark.parametrize(
    ("function_id", "call"),
    [
        ("ListDeliveriesFunction", lambda stack: deliveries(stack, "a")),
        (
            "GetTriggerFunction",
            lambda stack: trigger_summary(stack, "00000000-0000-4000-8000-000000000000"),
        ),
        ("ListDeadLettersFunction", dead_letter_page),
        ("ReplayDeadLettersFunction", replay),
    ],
)
def test_an_aws_outage_is_a_500_that_tells_nothing_of_it(stack, function_id, call):
    break_aws(stack, function_id)

    response = call(stack)

    assert response.status == 500
    assert response.json() == {"message": "internal error"}
