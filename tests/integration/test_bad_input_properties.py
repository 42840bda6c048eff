"""Arbitrary requests to the admin handlers: a 4xx with a message, never a 5xx."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_properties import json_values

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(body=json_values.map(json.dumps) | st.text(max_size=200))
def test_register_answers_every_body_without_a_server_error(stack, body):
    response = stack.call_api("RegisterWebhookFunction", "POST", "/webhooks", body=body)

    assert response.status in (201, 409, 413, 422), response.body
    if response.status != 201:
        assert response.json()["message"]


@FUZZ
@given(
    query=st.lists(
        st.tuples(st.sampled_from(["limit", "nextToken", "other"]), st.text(max_size=40)),
        max_size=3,
    )
)
def test_list_answers_every_query_without_a_server_error(stack, query):
    from urllib.parse import urlencode

    response = stack.call_api("ListWebhooksFunction", "GET", "/webhooks", query=urlencode(query))

    assert response.status in (200, 422), response.body
    if response.status == 422:
        assert response.json()["message"]


@FUZZ
@given(webhook_id=st.text(min_size=1, max_size=150).filter(lambda text: "/" not in text))
def test_get_answers_every_id_without_a_server_error(stack, webhook_id):
    from urllib.parse import quote

    response = stack.call_api(
        "GetWebhookFunction",
        "GET",
        f"/webhooks/{quote(webhook_id, safe='')}",
        route="/webhooks/{id}",
    )

    assert response.status in (404, 422), response.body
    assert response.json()["message"]
