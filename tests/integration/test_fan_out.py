"""GET /action through SQS to real HTTP receivers on loopback, with the failures they have.

The trigger and the sender run in-process against moto's server; an SqsPump plays the
SQS event source with the template's batch size and concurrency. Retry delays are short
(through the template's parameters) so that five attempts take seconds, not minutes.
"""

import json
import socket
import time
from collections import Counter

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from local_stack.receiver import ReceivedRequest, Reply, WebhookReceiver
from tests.support.sqs_pump import SqsPump, receive_all
from tests.support.stack import VISITOR_IP, InProcessStack

FAST_RETRIES = {"MaxAttempts": 5, "RetryDelaysSeconds": "0", "RequestTimeoutSeconds": 1}


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def fast_stack(make_stack):
    return make_stack(**FAST_RETRIES)


def register(stack: InProcessStack, url: str, webhook_id: str | None = None) -> str:
    body = {"targetUrl": url} | ({"id": webhook_id} if webhook_id else {})
    response = stack.call_api(
        "RegisterWebhookFunction", "POST", "/webhooks", body=json.dumps(body)
    )
    assert response.status == 201, response.body
    return response.json()["id"]


def trigger(stack: InProcessStack, headers: dict[str, str] | None = None):
    return stack.call_api("TriggerFunction", "GET", "/action", headers=headers)


def unused_port() -> int:
    """A loopback port nothing listens on: bound once by the OS, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def trigger_and_deliver(stack: InProcessStack, timeout: float):
    """Call GET /action, then run the sender until the delivery queue is empty."""
    with SqsPump(stack) as pump:
        response = trigger(stack)
        pump.wait_until_drained(timeout=timeout)
    return response


def dead_letters(stack: InProcessStack) -> list[dict]:
    return [
        target
        for message in receive_all(stack, "DeliveryDLQ")
        for target in json.loads(message["Body"])["targets"]
    ]


def test_a_healthy_target_receives_one_post_with_the_contract_body_and_headers(
    fast_stack, receiver
):
    register(fast_stack, receiver.url("ok/one"), "one")

    with SqsPump(fast_stack) as pump:
        response = trigger(fast_stack)
        before = time.time()
        pump.wait_until_drained(timeout=30)

    assert response.status == 202
    accepted = response.json()
    assert accepted["ipAddress"] == VISITOR_IP
    assert accepted["queued"] == 1
    assert accepted["triggerId"]
    (request,) = receiver.requests
    assert request.method == "POST"
    assert request.path == "/ok/one"
    assert request.header("content-type") == "application/json"
    assert request.header("webhook-id")
    body = request.json()
    assert set(body) == {"ipAddress", "timestamp"}
    assert body["ipAddress"] == VISITOR_IP
    assert isinstance(body["timestamp"], int)
    assert abs(body["timestamp"] - before) < 5
    assert dead_letters(fast_stack) == []


def test_no_registered_webhooks_queues_nothing(fast_stack):
    response = trigger(fast_stack)

    assert response.status == 202
    assert response.json()["queued"] == 0
    assert receive_all(fast_stack, "DeliveryQueue") == []


def test_x_forwarded_for_does_not_change_the_ip_sent(fast_stack, receiver):
    register(fast_stack, receiver.url("ok/xff"))

    with SqsPump(fast_stack) as pump:
        response = trigger(fast_stack, headers={"X-Forwarded-For": "1.2.3.4"})
        pump.wait_until_drained(timeout=30)

    assert response.json()["ipAddress"] == VISITOR_IP
    assert receiver.requests[0].json()["ipAddress"] == VISITOR_IP


def test_every_target_is_sent_to_once_per_trigger(fast_stack, receiver):
    for number in range(35):
        register(fast_stack, receiver.url(f"ok/{number}"))

    with SqsPump(fast_stack) as pump:
        response = trigger(fast_stack)
        pump.wait_until_drained(timeout=30)

    assert response.json()["queued"] == 35
    paths = Counter(request.path for request in receiver.requests)
    assert paths == Counter(f"/ok/{number}" for number in range(35))
    delivery_ids = {request.header("webhook-id") for request in receiver.requests}
    assert len(delivery_ids) == 35


def test_an_always_failing_target_gets_max_attempts_posts_then_one_dead_letter(
    fast_stack, receiver
):
    register(fast_stack, receiver.url("status-500/down"), "down")

    with SqsPump(fast_stack) as pump:
        trigger(fast_stack)
        pump.wait_until_drained(timeout=60)
        time.sleep(1.5)  # the sender keeps polling: long enough for a stray retry to come

    requests = receiver.requests_to("/status-500/down")
    assert len(requests) == 5
    assert len({request.header("webhook-id") for request in requests}) == 1
    (dead,) = dead_letters(fast_stack)
    assert dead["webhookId"] == "down"
    assert dead["targetUrl"] == receiver.url("status-500/down")
    assert dead["attemptsMade"] == 5
    assert dead["lastError"] == "status 500"
    assert dead["deliveryId"] == requests[0].header("webhook-id")


def test_a_target_that_fails_twice_is_delivered_on_the_third_attempt(fast_stack, receiver):
    register(fast_stack, receiver.url("fail-2/flaky"))

    trigger_and_deliver(fast_stack, timeout=60)

    requests = receiver.requests_to("/fail-2/flaky")
    assert len(requests) == 3
    assert len({request.header("webhook-id") for request in requests}) == 1
    assert dead_letters(fast_stack) == []


def test_retry_after_is_honoured(fast_stack, receiver):
    register(fast_stack, receiver.url("retry-after-2/busy"))

    trigger_and_deliver(fast_stack, timeout=60)

    first, second = receiver.requests_to("/retry-after-2/busy")
    assert second.received_at - first.received_at >= 2.0
    assert dead_letters(fast_stack) == []


def test_a_redirect_is_a_failure_and_its_location_is_never_requested(make_stack, receiver):
    stack = make_stack(**FAST_RETRIES | {"MaxAttempts": 2})
    register(stack, receiver.url("redirect/moved"))

    trigger_and_deliver(stack, timeout=60)

    assert len(receiver.requests_to("/redirect/moved")) == 2
    assert receiver.requests_to("/redirect-target/moved") == []
    (dead,) = dead_letters(stack)
    assert dead["lastError"] == "redirect 302"


def test_a_hanging_target_times_out_and_is_retried(make_stack, receiver):
    stack = make_stack(**FAST_RETRIES | {"MaxAttempts": 2})
    register(stack, receiver.url("hang/slow"))

    trigger_and_deliver(stack, timeout=60)

    first, second = receiver.requests_to("/hang/slow")
    assert second.received_at - first.received_at >= 1.0  # the read timeout
    (dead,) = dead_letters(stack)
    assert dead["lastError"] == "timeout"


def test_a_target_refusing_connections_is_retried(make_stack, receiver):
    stack = make_stack(**FAST_RETRIES | {"MaxAttempts": 3})
    register(stack, f"http://127.0.0.1:{unused_port()}/nobody-home", "refusing")

    trigger_and_deliver(stack, timeout=60)

    (dead,) = dead_letters(stack)
    assert dead["webhookId"] == "refusing"
    assert dead["attemptsMade"] == 3
    assert dead["lastError"] == "connection error"


def test_a_reset_connection_is_retried(make_stack, receiver):
    stack = make_stack(**FAST_RETRIES | {"MaxAttempts": 2})
    register(stack, receiver.url("reset/rst"))

    trigger_and_deliver(stack, timeout=60)

    assert len(receiver.requests_to("/reset/rst")) == 2
    (dead,) = dead_letters(stack)
    assert dead["lastError"] == "connection error"


def test_a_410_stops_retries_at_once(fast_stack, receiver):
    register(fast_stack, receiver.url("status-410/gone"))

    trigger_and_deliver(fast_stack, timeout=30)

    assert len(receiver.requests_to("/status-410/gone")) == 1
    (dead,) = dead_letters(fast_stack)
    assert dead["attemptsMade"] == 1
    assert dead["lastError"] == "status 410"


def test_a_webhook_deleted_before_sending_is_not_sent_to(fast_stack, receiver):
    register(fast_stack, receiver.url("ok/deleted"), "deleted")
    trigger(fast_stack)
    fast_stack.call_api(
        "DeleteWebhookFunction", "DELETE", "/webhooks/deleted", route="/webhooks/{id}"
    )

    with SqsPump(fast_stack) as pump:
        pump.wait_until_drained(timeout=30)

    assert receiver.requests == []
    assert dead_letters(fast_stack) == []


def test_a_changed_target_url_is_used_for_deliveries_already_queued(fast_stack, receiver):
    register(fast_stack, receiver.url("ok/old"), "moving")
    trigger(fast_stack)
    fast_stack.call_api(
        "UpdateWebhookFunction",
        "PUT",
        "/webhooks/moving",
        route="/webhooks/{id}",
        body=json.dumps({"newTargetUrl": receiver.url("ok/new")}),
    )

    with SqsPump(fast_stack) as pump:
        pump.wait_until_drained(timeout=30)

    assert [request.path for request in receiver.requests] == ["/ok/new"]


def test_concurrent_posts_never_exceed_ten_per_sender_invocation(make_stack):
    stack = make_stack(**FAST_RETRIES | {"SenderConcurrency": 2})
    with WebhookReceiver(lambda request, earlier: Reply(delay_seconds=0.2)) as slow_receiver:
        for number in range(120):
            register(stack, slow_receiver.url(f"t/{number}"))

        with SqsPump(stack) as pump:
            trigger(stack)
            pump.wait_until_drained(timeout=60)

        assert len(slow_receiver.requests) == 120
        assert 10 < slow_receiver.max_in_flight <= 10 * 2


def test_a_slow_target_does_not_hold_up_the_rest_of_its_invocation(fast_stack):
    def script(request: ReceivedRequest, earlier: int) -> Reply:
        return Reply(delay_seconds=2.0 if request.path == "/slow" else 0.1)

    with WebhookReceiver(script) as receiver:
        register(fast_stack, receiver.url("slow"))
        for number in range(29):
            register(fast_stack, receiver.url(f"quick/{number}"))
        trigger(fast_stack)
        event = {
            "Records": [
                {"messageId": message["MessageId"], "body": message["Body"]}
                for message in receive_all(fast_stack, "DeliveryQueue")
            ]
        }

        response = fast_stack.invoke("SenderFunction", event)

    assert response == {"batchItemFailures": []}
    (slow,) = receiver.requests_to("/slow")
    quick = [request for request in receiver.requests if request is not slow]
    assert len(quick) == 29
    # The slow target holds one of the ten slots; the other nine carry all 29 quick
    # targets through meanwhile. Lockstep groups of ten would make 19 of them wait for it.
    assert max(request.finished_at for request in quick) < slow.finished_at


def register_with_secret(stack: InProcessStack, url: str) -> tuple[str, str]:
    response = stack.call_api(
        "RegisterWebhookFunction", "POST", "/webhooks", body=json.dumps({"targetUrl": url})
    )
    created = response.json()
    return created["id"], created["secret"]


def verify(secret: str, request: ReceivedRequest) -> dict:
    return Webhook(secret).verify(request.body, request.headers)


def test_every_attempt_is_signed_so_standard_webhooks_verifies_it(make_stack, receiver):
    stack = make_stack(**FAST_RETRIES | {"RetryDelaysSeconds": "1"})
    _, secret = register_with_secret(stack, receiver.url("fail-2/signed"))

    trigger_and_deliver(stack, timeout=60)

    attempts = receiver.requests_to("/fail-2/signed")
    assert len(attempts) == 3
    for request in attempts:
        assert verify(secret, request)["ipAddress"] == VISITOR_IP
        assert request.header("webhook-timestamp") == str(request.json()["timestamp"])
    assert len({request.header("webhook-id") for request in attempts}) == 1
    assert len({request.header("webhook-timestamp") for request in attempts}) == 3
    assert len({request.header("webhook-signature") for request in attempts}) == 3


def test_a_signature_made_with_another_secret_or_over_another_body_fails(fast_stack, receiver):
    _, secret = register_with_secret(fast_stack, receiver.url("ok/tamper"))
    _, other_secret = register_with_secret(fast_stack, receiver.url("ok/other"))

    trigger_and_deliver(fast_stack, timeout=30)

    (request,) = receiver.requests_to("/ok/tamper")
    with pytest.raises(WebhookVerificationError):
        verify(other_secret, request)
    tampered = ReceivedRequest(
        request.method, request.path, request.headers, request.body.replace(b"1", b"2"), 0
    )
    assert verify(secret, request)
    with pytest.raises(WebhookVerificationError):
        verify(secret, tampered)


def test_after_rotation_deliveries_verify_with_the_new_and_the_previous_secret(
    fast_stack, receiver
):
    webhook_id, old_secret = register_with_secret(fast_stack, receiver.url("ok/rotated"))
    rotated = fast_stack.call_api(
        "RotateWebhookSecretFunction",
        "POST",
        f"/webhooks/{webhook_id}/secret/rotate",
        route="/webhooks/{id}/secret/rotate",
    ).json()

    trigger_and_deliver(fast_stack, timeout=30)

    (request,) = receiver.requests
    assert len(request.header("webhook-signature").split(" ")) == 2
    assert verify(rotated["secret"], request)
    assert verify(old_secret, request)
