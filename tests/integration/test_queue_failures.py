"""SQS failing under the trigger and the sender: nothing is lost, failures are reported."""

import json

from local_stack.receiver import WebhookReceiver
from tests.support.faults import BrokenSqs, PartlyFailingSqs
from tests.support.sqs_pump import receive_all, take_all
from tests.support.stack import InProcessStack, seed_webhooks
from webhook_fanout.delivery_queue import QueueWriter

FAST = {"MaxAttempts": 3, "RetryDelaysSeconds": "0", "RequestTimeoutSeconds": 1}


def queued_targets(stack: InProcessStack, queue_logical_id: str = "DeliveryQueue") -> list[dict]:
    return [
        target
        for message in receive_all(stack, queue_logical_id)
        for target in json.loads(message["Body"])["targets"]
    ]


def use_trigger_client(stack: InProcessStack, client) -> None:
    trigger = stack.module("TriggerFunction")
    trigger.queue = QueueWriter(trigger.settings.delivery_queue_url, client=client)


def test_entries_sqs_reports_failed_are_retried_and_queued_exactly_once(make_stack):
    stack = make_stack(**FAST)
    seed_webhooks(stack, {f"w{number}": f"https://example.com/{number}" for number in range(250)})
    real = stack.endpoints.client("sqs")
    flaky = PartlyFailingSqs(real, failed_entries=4, failing_calls=range(0, 3))
    use_trigger_client(stack, flaky)

    response = stack.call_api("TriggerFunction", "GET", "/action")

    assert response.status == 202
    assert response.json()["queued"] == 250
    targets = queued_targets(stack)
    assert sorted(target["webhookId"] for target in targets) == sorted(
        f"w{number}" for number in range(250)
    )
    assert len({target["deliveryId"] for target in targets}) == 250
    assert flaky.calls > 3  # the failed entries were written again


def test_entries_that_keep_failing_make_the_trigger_answer_503_with_the_count(make_stack):
    stack = make_stack(**FAST)
    seed_webhooks(stack, {f"w{number}": f"https://example.com/{number}" for number in range(95)})
    real = stack.endpoints.client("sqs")
    use_trigger_client(stack, PartlyFailingSqs(real, failed_entries=2, failing_calls=range(10**6)))

    response = stack.call_api("TriggerFunction", "GET", "/action")

    assert response.status == 503
    body = response.json()
    # 95 targets make 10 messages (nine of 10, one of 5); the first two always fail.
    assert body["notQueued"] == 20
    assert body["queued"] == 75
    assert "20 targets could not be queued" in body["message"]
    assert len(queued_targets(stack)) == 75


def test_an_sqs_outage_makes_the_trigger_answer_503_without_a_stack_trace(make_stack):
    stack = make_stack(**FAST)
    seed_webhooks(stack, {"w1": "https://example.com/1"})
    use_trigger_client(stack, BrokenSqs(stack.endpoints.client("sqs")))

    response = stack.call_api("TriggerFunction", "GET", "/action")

    assert response.status == 503
    assert response.json()["notQueued"] == 1
    assert "Traceback" not in response.body.decode()


def sender_event(stack: InProcessStack) -> dict:
    return {
        "Records": [
            {"messageId": message["MessageId"], "body": message["Body"]}
            for message in take_all(stack, "DeliveryQueue")
        ]
    }


def test_a_failed_requeue_reports_the_message_as_failed(make_stack):
    stack = make_stack(**FAST)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"ok": receiver.url("ok/a"), "down": receiver.url("status-500/b")})
        stack.call_api("TriggerFunction", "GET", "/action")
        event = sender_event(stack)
        break_requeues(stack)

        response = stack.invoke("SenderFunction", event)

    (record,) = event["Records"]
    assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}


def test_a_failed_dead_letter_write_reports_the_message_as_failed(make_stack):
    stack = make_stack(**FAST | {"MaxAttempts": 1})
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"down": receiver.url("status-500/c")})
        stack.call_api("TriggerFunction", "GET", "/action")
        event = sender_event(stack)
        sender = stack.module("SenderFunction").sender
        sender.dead_letter_queue = QueueWriter(
            sender.settings.dead_letter_queue_url,
            client=BrokenSqs(stack.endpoints.client("sqs")),
            first_backoff_seconds=0.001,
        )

        response = stack.invoke("SenderFunction", event)

    (record,) = event["Records"]
    assert response == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert queued_targets(stack, "DeliveryDLQ") == []


def break_requeues(stack: InProcessStack) -> None:
    sender = stack.module("SenderFunction").sender
    sender.delivery_queue = QueueWriter(
        sender.settings.delivery_queue_url,
        client=BrokenSqs(stack.endpoints.client("sqs")),
        first_backoff_seconds=0.001,
    )


def test_a_message_whose_targets_all_settled_is_acknowledged_beside_one_that_did_not(make_stack):
    stack = make_stack(**FAST)
    with WebhookReceiver() as receiver:
        healthy = {f"ok{n}": receiver.url(f"ok/{n}") for n in range(10)}
        seed_webhooks(stack, healthy | {"down": receiver.url("status-500/d")})
        stack.call_api("TriggerFunction", "GET", "/action")
        event = sender_event(stack)
        break_requeues(stack)

        response = stack.invoke("SenderFunction", event)

    # Eleven targets make two messages; only the one holding "down" needed a requeue.
    (with_failure,) = [
        record["messageId"] for record in event["Records"] if "down" in record["body"]
    ]
    assert len(event["Records"]) == 2
    assert response == {"batchItemFailures": [{"itemIdentifier": with_failure}]}


def test_a_failed_target_is_requeued_with_its_attempt_counted(make_stack):
    stack = make_stack(**FAST)
    with WebhookReceiver() as receiver:
        seed_webhooks(stack, {"ok": receiver.url("ok/e"), "down": receiver.url("status-500/e")})
        stack.call_api("TriggerFunction", "GET", "/action")
        event = sender_event(stack)

        response = stack.invoke("SenderFunction", event)

    assert response == {"batchItemFailures": []}
    (requeued,) = queued_targets(stack)
    assert requeued["webhookId"] == "down"
    assert requeued["attemptsMade"] == 1
    assert requeued["lastError"] == "status 500"
    assert requeued["deliveryId"] in event["Records"][0]["body"]


def test_an_unreadable_message_is_reported_so_the_redrive_policy_can_park_it(stack):
    response = stack.invoke(
        "SenderFunction", {"Records": [{"messageId": "m-1", "body": "not a delivery"}]}
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
