"""An operator's view over HTTP: the delivery log, trigger summaries, dead letters, replay."""

import time
import uuid

import pytest
import requests

from tests.e2e.conftest import MAX_ATTEMPTS

pytestmark = pytest.mark.e2e

SETTLE_TIMEOUT_SECONDS = 60


def trigger(service) -> str:
    response = requests.get(service.url("/action"), timeout=60)
    assert response.status_code == 202, response.text
    return str(response.json()["triggerId"])


def summary(admin, trigger_id: str) -> dict:
    response = admin.request("GET", f"/triggers/{trigger_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def wait_until(condition, timeout: float = SETTLE_TIMEOUT_SECONDS):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError("condition not met in time")


def our_dead_letters(admin, webhook_id: str) -> list[dict]:
    response = admin.request("GET", "/dead-letters", params={"limit": 500})
    assert response.status_code == 200, response.text
    return [item for item in response.json()["deadLetters"] if item["webhookId"] == webhook_id]


def test_a_failing_target_is_logged_dead_lettered_fixed_and_replayed(
    service, admin, receiver, unique_id
):
    failing = receiver.url(f"/status-500/{uuid.uuid4().hex}")
    admin.register(failing, unique_id)

    trigger_id = trigger(service)

    # Summaries add up whenever they are read, and end with nothing retrying.
    final = wait_until(
        lambda: (s := summary(admin, trigger_id))["retrying"] == 0 and s["deadLettered"] and s
    )
    for counts in (final, summary(admin, trigger_id)):
        assert counts["queued"] == (
            counts["delivered"] + counts["retrying"] + counts["deadLettered"] + counts["cancelled"]
        )
    assert final["deadLettered"] >= 1
    log = admin.request("GET", f"/webhooks/{unique_id}/deliveries").json()["deliveries"]
    ours = [entry for entry in log if entry["triggerId"] == trigger_id]
    assert [entry["attempt"] for entry in ours] == list(range(MAX_ATTEMPTS, 0, -1))
    assert ours[0]["outcome"] == "dead_lettered"
    assert all(entry["statusCode"] == 500 for entry in ours)
    (dead,) = wait_until(lambda: our_dead_letters(admin, unique_id))
    assert dead["attemptsMade"] == MAX_ATTEMPTS
    assert dead["lastError"] == "status 500"

    fixed = f"/ok/{uuid.uuid4().hex}"
    admin.request("PUT", f"/webhooks/{unique_id}", json={"newTargetUrl": receiver.url(fixed)})
    replay = admin.request("POST", "/dead-letters/replay", json={"webhookId": unique_id})

    assert replay.status_code == 200, replay.text
    assert replay.json()["moved"] == 1
    receiver.wait_for(lambda _: receiver.requests_to(fixed), SETTLE_TIMEOUT_SECONDS)
    (post,) = receiver.requests_to(fixed)
    assert post.header("webhook-id") == dead["deliveryId"]
    assert our_dead_letters(admin, unique_id) == []


def test_replaying_a_webhook_with_no_dead_letters_moves_nothing(admin, unique_id):
    response = admin.request("POST", "/dead-letters/replay", json={"webhookId": unique_id})

    assert response.status_code == 200
    assert response.json()["moved"] == 0


def test_delivery_log_filters_and_pages_are_validated(admin, unique_id):
    admin.register("https://example.com/ops", unique_id)

    assert admin.request("GET", f"/webhooks/{unique_id}/deliveries").json()["deliveries"] == []
    for query in ({"outcome": "nonsense"}, {"limit": 0}, {"nextToken": "forged"}):
        response = admin.request("GET", f"/webhooks/{unique_id}/deliveries", params=query)
        assert response.status_code == 422, query
        assert response.json()["message"]


def test_an_unknown_trigger_is_404_and_a_malformed_id_422(admin):
    assert (
        admin.request("GET", "/triggers/00000000-0000-4000-8000-000000000000").status_code == 404
    )
    assert admin.request("GET", "/triggers/not-a-trigger").status_code == 422
