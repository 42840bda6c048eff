"""Bad input is a 4xx with a JSON message, and leaves the store as it was."""

import json

import pytest
import requests

pytestmark = pytest.mark.e2e

TARGET = "https://example.com/hooks/input"


def raw_body(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


BAD_REGISTRATIONS = {
    "not json": "{not json",
    "empty body": "",
    "a json array": [{"targetUrl": TARGET}],
    "a json string": "just a string",
    "no targetUrl": {"id": "{id}"},
    "targetUrl null": {"id": "{id}", "targetUrl": None},
    "targetUrl a number": {"id": "{id}", "targetUrl": 42},
    "targetUrl not a url": {"id": "{id}", "targetUrl": "not a url"},
    "targetUrl relative": {"id": "{id}", "targetUrl": "/hooks/relative"},
    "targetUrl ftp": {"id": "{id}", "targetUrl": "ftp://example.com/hooks"},
    "targetUrl too long": {"id": "{id}", "targetUrl": "https://example.com/" + "a" * 2030},
    "id with a slash": {"id": "{id}/x", "targetUrl": TARGET},
    "id too long": {"id": "{id}" + "x" * 200, "targetUrl": TARGET},
    "id empty": {"id": "", "targetUrl": TARGET},
    "unknown field": {"id": "{id}", "targetUrl": TARGET, "color": "red"},
    "snake_case field": {"id": "{id}", "target_url": TARGET},
}


def with_id(body: object, webhook_id: str) -> object:
    if isinstance(body, dict):
        return {k: v.format(id=webhook_id) if isinstance(v, str) else v for k, v in body.items()}
    return body


@pytest.mark.parametrize("case", BAD_REGISTRATIONS, ids=list(BAD_REGISTRATIONS))
def test_a_bad_registration_is_refused_and_stores_nothing(admin, unique_id, case):
    body = with_id(BAD_REGISTRATIONS[case], unique_id)

    response = admin.request(
        "POST",
        "/webhooks",
        data=raw_body(body),
        headers={"Content-Type": "application/json"},
    )

    assert 400 <= response.status_code < 500
    assert response.status_code in (400, 413, 415, 422)
    assert isinstance(response.json()["message"], str)
    assert admin.get(unique_id).status_code == 404


BAD_UPDATES = {
    "not json": "{not json",
    "no newTargetUrl": {},
    "targetUrl instead of newTargetUrl": {"targetUrl": "https://example.org/x"},
    "newTargetUrl not a url": {"newTargetUrl": "nope"},
    "newTargetUrl too long": {"newTargetUrl": "https://example.com/" + "a" * 2030},
    "unknown field": {"newTargetUrl": "https://example.org/x", "id": "other"},
}


@pytest.mark.parametrize("case", BAD_UPDATES, ids=list(BAD_UPDATES))
def test_a_bad_update_is_refused_and_changes_nothing(admin, unique_id, case):
    admin.register(TARGET, unique_id)

    response = admin.request(
        "PUT",
        f"/webhooks/{unique_id}",
        data=raw_body(BAD_UPDATES[case]),
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422
    assert isinstance(response.json()["message"], str)
    assert admin.get(unique_id).json()["targetUrl"] == TARGET


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=-1", "limit=abc", "limit=100000", "nextToken=not-a-token"],
)
def test_a_bad_list_query_is_422(admin, query):
    response = admin.request("GET", f"/webhooks?{query}")

    assert response.status_code == 422
    assert isinstance(response.json()["message"], str)


def test_an_oversized_body_is_refused(admin, unique_id):
    body = {"id": unique_id, "targetUrl": TARGET, "padding": "x" * 64 * 1024}

    response = admin.request("POST", "/webhooks", json=body)

    assert response.status_code in (413, 422)
    assert isinstance(response.json()["message"], str)
    assert admin.get(unique_id).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/no-such-route"), ("POST", "/action"), ("PATCH", "/webhooks")]
)
def test_an_unknown_route_is_api_gateways_404(service, method, path):
    response = requests.request(method, service.url(path), timeout=30)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}
