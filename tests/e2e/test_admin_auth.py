"""Every admin route refuses a request without the admin token, and nothing changes."""

import pytest
import requests

pytestmark = pytest.mark.e2e

TARGET = "https://example.com/hooks/auth"

# (Authorization header or None to leave it out, statuses API Gateway may answer)
BAD_CREDENTIALS = {
    "missing": (None, {401}),
    "empty": ("", {401}),
    "wrong scheme": ("Basic {token}", {401, 403}),
    "no scheme": ("{token}", {401, 403}),
    "wrong token": ("Bearer not-the-admin-token", {401, 403}),
    "empty token": ("Bearer ", {401, 403}),
    "token with a suffix": ("Bearer {token}x", {401, 403}),
}

ADMIN_ROUTES = [
    ("POST", "/webhooks", {"id": "{id}-new", "targetUrl": TARGET}),
    ("GET", "/webhooks", None),
    ("GET", "/webhooks/{id}", None),
    ("PUT", "/webhooks/{id}", {"newTargetUrl": "https://example.org/changed"}),
    ("DELETE", "/webhooks/{id}", None),
    ("POST", "/webhooks/{id}/secret/rotate", None),
    ("GET", "/webhooks/{id}/deliveries", None),
    ("GET", "/triggers/00000000-0000-4000-8000-000000000000", None),
    ("GET", "/dead-letters", None),
    ("POST", "/dead-letters/replay", {}),
]


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS, ids=list(BAD_CREDENTIALS))
@pytest.mark.parametrize(
    ("method", "path", "body"), ADMIN_ROUTES, ids=[f"{m} {p}" for m, p, _ in ADMIN_ROUTES]
)
def test_a_request_without_the_token_is_refused_and_changes_nothing(
    service, admin, unique_id, credentials, method, path, body
):
    admin.register(TARGET, unique_id)
    header, statuses = BAD_CREDENTIALS[credentials]
    headers = {} if header is None else {"Authorization": header.format(token=service.admin_token)}
    if body is not None:
        body = {key: value.format(id=unique_id) for key, value in body.items()}

    response = requests.request(
        method, service.url(path.format(id=unique_id)), json=body, headers=headers, timeout=30
    )

    assert response.status_code in statuses
    assert response.json()["message"]
    assert admin.get(unique_id).json()["targetUrl"] == TARGET
    assert admin.get(f"{unique_id}-new").status_code == 404


def test_the_bearer_scheme_is_case_insensitive(service, unique_id):
    response = requests.get(
        service.url(f"/webhooks/{unique_id}"),
        headers={"Authorization": f"bearer {service.admin_token}"},
        timeout=30,
    )

    assert response.status_code == 404  # authorized; the webhook just does not exist


def test_action_needs_no_token(service):
    response = requests.get(service.url("/action"), timeout=30)

    assert response.status_code == 202
