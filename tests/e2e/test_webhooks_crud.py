"""Registering, reading, changing and deleting webhooks through the admin routes."""

import pytest

pytestmark = pytest.mark.e2e

TARGET = "https://example.com/hooks/a"
OTHER_TARGET = "https://example.org/hooks/b"


def test_a_webhook_goes_through_its_whole_life(admin, unique_id):
    created = admin.request("POST", "/webhooks", json={"id": unique_id, "targetUrl": TARGET})
    admin.registered.append(unique_id)
    assert created.status_code == 201
    assert created.json()["id"] == unique_id
    assert created.json()["targetUrl"] == TARGET

    fetched = admin.get(unique_id)
    assert fetched.status_code == 200
    assert fetched.json()["targetUrl"] == TARGET

    changed = admin.request("PUT", f"/webhooks/{unique_id}", json={"newTargetUrl": OTHER_TARGET})
    assert changed.status_code == 200
    assert changed.json()["id"] == unique_id
    assert changed.json()["targetUrl"] == OTHER_TARGET
    assert admin.get(unique_id).json()["targetUrl"] == OTHER_TARGET

    deleted = admin.request("DELETE", f"/webhooks/{unique_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = admin.get(unique_id)
    assert gone.status_code == 404
    assert gone.json()["message"]


def test_an_id_is_generated_when_none_is_given(admin):
    first = admin.register(TARGET)
    second = admin.register(TARGET)

    assert first["id"]
    assert first["id"] != second["id"]
    assert admin.get(first["id"]).status_code == 200


def test_a_taken_id_is_409_and_the_first_webhook_is_kept(admin, unique_id):
    admin.register(TARGET, unique_id)

    again = admin.request("POST", "/webhooks", json={"id": unique_id, "targetUrl": OTHER_TARGET})

    assert again.status_code == 409
    assert again.json()["message"]
    assert admin.get(unique_id).json()["targetUrl"] == TARGET


@pytest.mark.parametrize(
    ("method", "body"),
    [("GET", None), ("PUT", {"newTargetUrl": TARGET}), ("DELETE", None)],
)
def test_an_unknown_id_is_404_with_a_message(admin, unique_id, method, body):
    response = admin.request(method, f"/webhooks/{unique_id}", json=body)

    assert response.status_code == 404
    assert response.json()["message"]
    assert admin.get(unique_id).status_code == 404


def test_a_listed_webhook_has_the_fields_of_a_fetched_one(admin, unique_id):
    admin.register(TARGET, unique_id)

    listed = collect_all_pages(admin, limit=100)

    (mine,) = [webhook for webhook in listed if webhook["id"] == unique_id]
    assert mine == admin.get(unique_id).json()


def collect_all_pages(admin, limit: int) -> list[dict]:
    webhooks, next_token = [], None
    for _ in range(1000):
        params = {"limit": limit} | ({"nextToken": next_token} if next_token else {})
        page = admin.request("GET", "/webhooks", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["webhooks"]) <= limit
        webhooks += body["webhooks"]
        next_token = body["nextToken"]
        if next_token is None:
            return webhooks
    raise AssertionError("the pages never ended")


def test_pages_list_every_webhook_exactly_once(admin):
    registered = {admin.register(f"{TARGET}/{index}")["id"] for index in range(7)}

    listed = [webhook["id"] for webhook in collect_all_pages(admin, limit=3)]

    assert len(listed) == len(set(listed))
    assert registered <= set(listed)
