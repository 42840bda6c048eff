"""The admin API's contract, handler by handler, against DynamoDB in moto's server."""

import base64
import json
import threading

import pytest

from tests.support.stack import InProcessStack, seed_webhooks

WEBHOOK_ROUTE = "/webhooks/{id}"


def register(stack: InProcessStack, body: object):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return stack.call_api("RegisterWebhookFunction", "POST", "/webhooks", body=payload)


def get(stack: InProcessStack, webhook_id: str):
    return stack.call_api(
        "GetWebhookFunction", "GET", f"/webhooks/{webhook_id}", route=WEBHOOK_ROUTE
    )


def update(stack: InProcessStack, webhook_id: str, body: object):
    payload = body if isinstance(body, str | bytes) else json.dumps(body)
    return stack.call_api(
        "UpdateWebhookFunction",
        "PUT",
        f"/webhooks/{webhook_id}",
        route=WEBHOOK_ROUTE,
        body=payload,
    )


def delete(stack: InProcessStack, webhook_id: str):
    return stack.call_api(
        "DeleteWebhookFunction", "DELETE", f"/webhooks/{webhook_id}", route=WEBHOOK_ROUTE
    )


def list_page(stack: InProcessStack, query: str = ""):
    return stack.call_api("ListWebhooksFunction", "GET", "/webhooks", query=query)


def test_register_with_a_chosen_id_then_read_it_back(stack):
    response = register(stack, {"targetUrl": "https://example.com/a", "id": "orders"})

    assert response.status == 201
    created = response.json()
    assert created["id"] == "orders"
    assert created["targetUrl"] == "https://example.com/a"
    assert created["createdAt"] == created["updatedAt"]
    secret = created.pop("secret")
    assert get(stack, "orders").json() == created
    assert secret not in get(stack, "orders").body.decode()


def test_register_without_an_id_generates_a_unique_one(stack):
    first = register(stack, {"targetUrl": "https://example.com/a"}).json()["id"]
    second = register(stack, {"targetUrl": "https://example.com/a"}).json()["id"]

    assert first != second
    assert get(stack, first).status == 200
    assert get(stack, second).status == 200


def test_a_taken_id_is_409_and_the_first_registration_stays(stack):
    register(stack, {"targetUrl": "https://example.com/first", "id": "dup"})

    response = register(stack, {"targetUrl": "https://example.com/second", "id": "dup"})

    assert response.status == 409
    assert "dup" in response.json()["message"]
    assert get(stack, "dup").json()["targetUrl"] == "https://example.com/first"


def test_update_changes_the_target_and_the_update_time_only(stack):
    created = register(stack, {"targetUrl": "https://example.com/old", "id": "w"}).json()
    created.pop("secret")

    response = update(stack, "w", {"newTargetUrl": "https://example.com/new"})

    assert response.status == 200
    updated = response.json()
    assert updated["targetUrl"] == "https://example.com/new"
    assert updated["createdAt"] == created["createdAt"]
    assert get(stack, "w").json() == updated


def test_delete_removes_the_webhook(stack):
    register(stack, {"targetUrl": "https://example.com/a", "id": "gone"})

    response = delete(stack, "gone")

    assert response.status == 204
    assert response.body == b""
    assert get(stack, "gone").status == 404


@pytest.mark.parametrize("action", ["get", "update", "delete"])
def test_an_unknown_id_is_404_and_nothing_is_created(stack, action):
    calls = {
        "get": lambda: get(stack, "missing"),
        "update": lambda: update(stack, "missing", {"newTargetUrl": "https://example.com"}),
        "delete": lambda: delete(stack, "missing"),
    }

    response = calls[action]()

    assert response.status == 404
    assert "missing" in response.json()["message"]
    assert stack.table_items() == []


def test_private_targets_are_refused_when_the_guard_is_on(make_stack):
    stack = make_stack(AllowPrivateTargets="false")
    register(stack, {"targetUrl": "https://example.com/a", "id": "w"})

    for url in ("http://127.0.0.1/", "http://169.254.169.254/", "http://localhost/x"):
        created = register(stack, {"targetUrl": url})
        changed = update(stack, "w", {"newTargetUrl": url})
        assert created.status == 422, url
        assert changed.status == 422, url
        assert "not a public address" in created.json()["message"]
    assert len(stack.table_items()) == 1
    assert get(stack, "w").json()["targetUrl"] == "https://example.com/a"


def test_private_targets_are_accepted_when_allowed(make_stack):
    stack = make_stack(AllowPrivateTargets="true")
    assert register(stack, {"targetUrl": "http://127.0.0.1:8000/hook"}).status == 201


MALFORMED_REGISTRATIONS = [
    ("not json", "not valid JSON"),
    ("", "required"),
    ("{", "not valid JSON"),
    ("[]", "body"),
    ('"https://example.com"', "body"),
    ("null", "body"),
    ("{}", "targetUrl"),
    ('{"targetUrl": 5}', "targetUrl"),
    ('{"targetUrl": null}', "targetUrl"),
    ('{"targetUrl": true}', "targetUrl"),
    ('{"targetUrl": ["https://example.com"]}', "targetUrl"),
    ('{"targetUrl": {"url": "https://example.com"}}', "targetUrl"),
    ('{"targetUrl": ""}', "targetUrl"),
    ('{"targetUrl": "   "}', "targetUrl"),
    ('{"targetUrl": "ftp://example.com"}', "scheme"),
    ('{"targetUrl": "javascript:alert(1)"}', "scheme"),
    ('{"targetUrl": "https://"}', "no host"),
    ('{"targetUrl": "example.com/hook"}', "scheme"),
    (json.dumps({"targetUrl": "https://e.com/" + "a" * 2048}), "2048"),
    ('{"targetUrl": "https://example.com", "id": ""}', "id"),
    ('{"targetUrl": "https://example.com", "id": "a/b"}', "id"),
    ('{"targetUrl": "https://example.com", "id": "a b"}', "id"),
    ('{"targetUrl": "https://example.com", "id": 12}', "id"),
    (json.dumps({"targetUrl": "https://example.com", "id": "x" * 129}), "id"),
    ('{"targetUrl": "https://example.com", "extra": 1}', "extra"),
    ('{"target_url": "https://example.com"}', "targetUrl"),
]


@pytest.mark.parametrize(("body", "named"), MALFORMED_REGISTRATIONS)
def test_malformed_registrations_are_422_with_a_message_and_store_nothing(stack, body, named):
    response = register(stack, body)

    assert response.status == 422, response.body
    message = response.json()["message"]
    assert named in message
    assert stack.table_items() == []


def test_a_body_over_16_kib_is_413_and_stores_nothing(stack):
    body = json.dumps({"targetUrl": "https://example.com/", "id": "big", "pad": "x" * 1_000_000})

    response = register(stack, body)

    assert response.status == 413
    assert "larger than" in response.json()["message"]
    assert stack.table_items() == []


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{}",
        '{"newTargetUrl": 1}',
        '{"newTargetUrl": "ftp://x"}',
        '{"targetUrl": "https://e.com"}',
        '{"newTargetUrl": "https://e.com", "id": "other"}',
    ],
)
def test_malformed_updates_are_422_and_leave_the_webhook_unchanged(stack, body):
    before = register(stack, {"targetUrl": "https://example.com/a", "id": "w"}).json()
    before.pop("secret")

    response = update(stack, "w", body)

    assert response.status == 422
    assert response.json()["message"]
    assert get(stack, "w").json() == before


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=abc", "limit=-1"])
def test_an_invalid_limit_is_422(stack, query):
    response = list_page(stack, query)
    assert response.status == 422
    assert "limit" in response.json()["message"]


@pytest.mark.parametrize(
    "token", ["garbage", "eyJpZCI6ICJ4In0", "eyJpZCI6ICJ4In0.0000000000000000", "a.b.c"]
)
def test_a_forged_or_malformed_next_token_is_422(stack, token):
    response = list_page(stack, f"nextToken={token}")
    assert response.status == 422
    assert "nextToken" in response.json()["message"]


def test_an_invalid_id_in_the_path_is_422(stack):
    response = get(stack, "a%20b")
    assert response.status in (404, 422)
    assert response.json()["message"]


def test_listing_2500_webhooks_page_by_page_returns_each_exactly_once(stack):
    expected = {f"w{number:05d}" for number in range(2500)}
    seed_webhooks(
        stack, {webhook_id: f"https://example.com/{webhook_id}" for webhook_id in expected}
    )

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        query = "limit=300" + (f"&nextToken={token}" if token else "")
        page = list_page(stack, query).json()
        pages += 1
        assert len(page["webhooks"]) <= 300
        seen.extend(webhook["id"] for webhook in page["webhooks"])
        token = page["nextToken"]
        if token is None:
            break

    assert len(seen) == len(set(seen)) == 2500
    assert set(seen) == expected
    assert pages >= 9


def test_an_empty_registry_lists_no_webhooks_and_no_next_token(stack):
    assert list_page(stack).json() == {"webhooks": [], "nextToken": None}


def test_concurrent_registrations_of_one_id_give_one_201_and_the_rest_409(stack):
    stack.module("RegisterWebhookFunction")  # import once, before the threads race
    statuses: list[int] = []
    start = threading.Barrier(20)

    def register_racing(number: int) -> None:
        start.wait()
        response = register(stack, {"targetUrl": f"https://example.com/{number}", "id": "race"})
        statuses.append(response.status)

    threads = [threading.Thread(target=register_racing, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [201] + [409] * 19
    assert len(stack.table_items()) == 1


def rotate(stack: InProcessStack, webhook_id: str):
    return stack.call_api(
        "RotateWebhookSecretFunction",
        "POST",
        f"/webhooks/{webhook_id}/secret/rotate",
        route="/webhooks/{id}/secret/rotate",
    )


def test_each_webhook_gets_its_own_signing_secret_shown_only_at_registration(stack):
    first = register(stack, {"targetUrl": "https://example.com/a", "id": "a"}).json()
    second = register(stack, {"targetUrl": "https://example.com/b", "id": "b"}).json()

    for created in (first, second):
        assert created["secret"].startswith("whsec_")
        assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) >= 24
    assert first["secret"] != second["secret"]
    listing = list_page(stack).body.decode()
    for secret in (first["secret"], second["secret"]):
        assert secret not in listing
        assert secret not in get(stack, "a").body.decode()
        assert secret not in update(stack, "a", {"newTargetUrl": "https://e.com"}).body.decode()


def test_rotation_returns_a_new_secret_once_and_keeps_the_old_one_signing_for_a_day(stack):
    old = register(stack, {"targetUrl": "https://example.com/a", "id": "r"}).json()["secret"]

    response = rotate(stack, "r")

    assert response.status == 200
    rotated = response.json()
    assert rotated["id"] == "r"
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != old
    assert rotated["previousSecretExpiresAt"].endswith("Z")
    assert rotated["secret"] not in get(stack, "r").body.decode()


def test_rotating_an_unknown_webhook_is_404_and_creates_nothing(stack):
    response = rotate(stack, "ghost")

    assert response.status == 404
    assert stack.table_items() == []
