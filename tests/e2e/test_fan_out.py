"""GET /action fans out to every target: bodies, headers, retries and dead letters."""

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest
import requests

from tests.e2e.conftest import MAX_ATTEMPTS

pytestmark = pytest.mark.e2e

DELIVERY_TIMEOUT_SECONDS = 60
# After the last expected attempt, how long to watch that no further one arrives: longer
# than a retry delay (1 s, jittered) several times over.
QUIET_SECONDS = 5


def trigger(service, **headers: str) -> dict:
    response = requests.get(service.url("/action"), headers=headers, timeout=60)
    assert response.status_code == 202, response.text
    return response.json()


def unique_path(script: str) -> str:
    return f"/{script}/{uuid.uuid4().hex}"


def wait_for_posts(receiver, path: str, count: int) -> list:
    receiver.wait_for(lambda _: len(receiver.requests_to(path)) >= count, DELIVERY_TIMEOUT_SECONDS)
    return receiver.requests_to(path)


def settled_posts(receiver, path: str, count: int) -> list:
    """The POSTs to `path` once `count` have come and then none for QUIET_SECONDS."""
    wait_for_posts(receiver, path, count)
    time.sleep(QUIET_SECONDS)
    return receiver.requests_to(path)


def test_every_target_receives_the_visitors_ip_and_a_timestamp(service, admin, receiver):
    paths = [unique_path("ok") for _ in range(3)]
    for path in paths:
        admin.register(receiver.url(path))
    before = int(time.time())

    answer = trigger(service)

    assert answer["triggerId"]
    assert answer["ipAddress"] == "127.0.0.1"
    assert answer["queued"] >= len(paths)
    for path in paths:
        (post,) = wait_for_posts(receiver, path, 1)
        assert post.method == "POST"
        assert post.header("content-type").startswith("application/json")
        assert post.header("webhook-id")
        body = post.json()
        assert set(body) == {"ipAddress", "timestamp"}
        assert body["ipAddress"] == "127.0.0.1"
        assert isinstance(body["timestamp"], int)
        assert before - 5 <= body["timestamp"] <= time.time() + 5


def test_the_callers_ip_comes_from_the_connection_not_from_headers(service):
    answer = trigger(service, **{"X-Forwarded-For": "203.0.113.7", "X-Real-Ip": "203.0.113.8"})

    assert answer["ipAddress"] not in ("203.0.113.7", "203.0.113.8")


def test_each_delivery_has_its_own_webhook_id(service, admin, receiver):
    first, second = unique_path("ok"), unique_path("ok")
    admin.register(receiver.url(first))
    admin.register(receiver.url(second))

    trigger(service)
    trigger(service)

    first_ids = {post.header("webhook-id") for post in wait_for_posts(receiver, first, 2)}
    second_ids = {post.header("webhook-id") for post in wait_for_posts(receiver, second, 2)}
    assert len(first_ids) == 2
    assert len(second_ids) == 2
    assert not first_ids & second_ids


def test_a_failing_target_is_retried_with_the_same_webhook_id(service, admin, receiver):
    path = unique_path("fail-2")
    admin.register(receiver.url(path))

    trigger(service)
    posts = settled_posts(receiver, path, 3)

    assert len(posts) == 3  # two 500s, then delivered
    assert len({post.header("webhook-id") for post in posts}) == 1
    assert all(later.received_at > earlier.received_at for earlier, later in pairwise(posts))


def test_a_target_that_always_fails_gets_exactly_max_attempts(service, admin, receiver):
    path = unique_path("status-500")
    admin.register(receiver.url(path))

    trigger(service)
    posts = settled_posts(receiver, path, MAX_ATTEMPTS)

    assert len(posts) == MAX_ATTEMPTS
    assert len({post.header("webhook-id") for post in posts}) == 1


def test_a_redirect_is_a_failure_and_is_not_followed(service, admin, receiver):
    path = unique_path("redirect")
    admin.register(receiver.url(path))

    trigger(service)

    assert len(settled_posts(receiver, path, MAX_ATTEMPTS)) == MAX_ATTEMPTS
    assert receiver.requests_to(path.replace("/redirect/", "/redirect-target/")) == []


def test_retry_after_is_honoured(service, admin, receiver):
    path = unique_path("retry-after-2")
    admin.register(receiver.url(path))

    trigger(service)
    first, second = wait_for_posts(receiver, path, 2)[:2]

    assert second.received_at - first.received_at >= 1.5


def test_a_target_that_hangs_times_out_and_is_retried(service, admin, receiver):
    path = unique_path("hang")
    admin.register(receiver.url(path))

    trigger(service)
    posts = wait_for_posts(receiver, path, 2)

    # RequestTimeoutSeconds is 2 in this suite: the second attempt cannot wait on the first.
    assert posts[1].received_at - posts[0].received_at < 30


def test_a_target_that_drops_the_connection_is_retried(service, admin, receiver):
    path = unique_path("reset")
    admin.register(receiver.url(path))

    trigger(service)

    assert len(wait_for_posts(receiver, path, MAX_ATTEMPTS)) >= MAX_ATTEMPTS


def test_a_deleted_webhook_receives_nothing_more(service, admin, receiver):
    path = unique_path("ok")
    webhook = admin.register(receiver.url(path))
    trigger(service)
    wait_for_posts(receiver, path, 1)

    admin.request("DELETE", f"/webhooks/{webhook['id']}")
    trigger(service)
    time.sleep(QUIET_SECONDS)

    assert len(receiver.requests_to(path)) == 1


def test_a_changed_target_url_receives_the_next_delivery(service, admin, receiver):
    old_path, new_path = unique_path("ok"), unique_path("ok")
    webhook = admin.register(receiver.url(old_path))

    changed = admin.request(
        "PUT", f"/webhooks/{webhook['id']}", json={"newTargetUrl": receiver.url(new_path)}
    )
    trigger(service)

    assert changed.status_code == 200
    assert len(wait_for_posts(receiver, new_path, 1)) == 1
    assert receiver.requests_to(old_path) == []


def test_action_is_throttled_beyond_its_burst(service):
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda _: requests.get(service.url("/action"), timeout=60).status_code, range(60)
            )
        )
    elapsed = time.monotonic() - started

    accepted, refused = statuses.count(202), statuses.count(429)
    assert accepted + refused == len(statuses)
    # The template's defaults: a burst of 20, then 10 a second (allowing a slow machine).
    assert accepted <= 20 + 10 * elapsed + 1
    if elapsed < 3:
        assert refused > 0
