"""Request bodies are validated strictly: contract names only, right types, sane sizes."""

import pytest
from pydantic import ValidationError

from webhook_fanout.models import RegisterWebhookRequest, UpdateWebhookRequest, Webhook


def test_register_request_reads_the_contract_names():
    request = RegisterWebhookRequest.model_validate(
        {"targetUrl": "https://example.com/a", "id": "orders.v1:eu-1_x"}
    )
    assert request.target_url == "https://example.com/a"
    assert request.webhook_id == "orders.v1:eu-1_x"


def test_register_request_without_id_leaves_it_to_the_service():
    assert RegisterWebhookRequest.model_validate({"targetUrl": "https://e.com"}).webhook_id is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id": "abc"},
        {"targetUrl": 5},
        {"targetUrl": None},
        {"targetUrl": ""},
        {"targetUrl": ["https://example.com"]},
        {"targetUrl": "https://example.com", "id": ""},
        {"targetUrl": "https://example.com", "id": "a/b"},
        {"targetUrl": "https://example.com", "id": "a b"},
        {"targetUrl": "https://example.com", "id": "x" * 129},
        {"targetUrl": "https://example.com", "id": 7},
        {"targetUrl": "https://example.com", "unknown": 1},
        {"target_url": "https://example.com"},
        {"targetUrl": "ftp://example.com"},
    ],
)
def test_register_request_refuses(body):
    with pytest.raises(ValidationError):
        RegisterWebhookRequest.model_validate(body)


def test_an_id_of_128_characters_is_the_longest_accepted():
    body = {"targetUrl": "https://example.com", "id": "x" * 128}
    assert RegisterWebhookRequest.model_validate(body).webhook_id == "x" * 128


def test_update_request_needs_new_target_url_and_nothing_else():
    assert (
        UpdateWebhookRequest.model_validate({"newTargetUrl": "https://e.com/b"}).new_target_url
        == "https://e.com/b"
    )
    for body in ({}, {"targetUrl": "https://e.com"}, {"newTargetUrl": "https://e.com", "id": "a"}):
        with pytest.raises(ValidationError):
            UpdateWebhookRequest.model_validate(body)


def test_webhook_serializes_with_contract_names():
    webhook = Webhook(webhook_id="a", target_url="https://e.com", created_at="t1", updated_at="t2")
    assert webhook.model_dump() == {
        "id": "a",
        "targetUrl": "https://e.com",
        "createdAt": "t1",
        "updatedAt": "t2",
    }
