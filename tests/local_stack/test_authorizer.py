"""The Lambda authorizer as API Gateway runs it: 401, 403, 500 and its cache."""

from typing import Any

import pytest

from local_stack.api_routes import IdentitySource, LambdaAuthorizerConfig
from local_stack.authorizer import LambdaAuthorizers, Verdict
from local_stack.http_events import http_api_event
from local_stack.worker_pool import Invocation


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedAuthorizer:
    """Stands in for the authorizer function: answers `payload` or fails with `error_type`."""

    def __init__(self, payload: Any = None, error_type: str | None = None) -> None:
        self.payload = payload
        self.error_type = error_type
        self.events: list[dict[str, Any]] = []

    def __call__(self, logical_id: str, event: dict[str, Any]) -> Invocation:
        self.events.append(event)
        return Invocation(logical_id, "request-id", self.payload, self.error_type, 1.0)


def config(ttl_seconds: int = 60) -> LambdaAuthorizerConfig:
    return LambdaAuthorizerConfig(
        name="Admin",
        function_logical_id="AuthorizerFunction",
        identity_sources=(IdentitySource("header", "authorization"),),
        result_ttl_seconds=ttl_seconds,
    )


def request(authorization: str | None) -> dict[str, Any]:
    headers = {} if authorization is None else {"Authorization": authorization}
    return http_api_event(
        method="GET",
        path="/webhooks/a",
        route_key="GET /webhooks/{id}",
        source_ip="192.0.2.1",
        raw_query="limit=1",
        headers=headers,
        path_parameters={"id": "a"},
    )


@pytest.mark.parametrize("authorization", [None, ""])
def test_a_missing_identity_source_is_401_without_invoking(authorization):
    authorizer = ScriptedAuthorizer({"isAuthorized": True})

    decision = LambdaAuthorizers(authorizer).decide(config(), request(authorization))

    assert decision.verdict is Verdict.UNAUTHORIZED
    assert authorizer.events == []


def test_the_authorizer_gets_a_payload_2_request_event():
    authorizer = ScriptedAuthorizer({"isAuthorized": True, "context": {"user": "admin"}})

    decision = LambdaAuthorizers(authorizer).decide(config(), request("Bearer t"))

    (event,) = authorizer.events
    assert decision.verdict is Verdict.ALLOWED
    assert decision.context == {"user": "admin"}
    assert event["version"] == "2.0"
    assert event["type"] == "REQUEST"
    assert event["identitySource"] == ["Bearer t"]
    assert event["routeKey"] == "GET /webhooks/{id}"
    assert event["routeArn"].endswith("/$default/GET/webhooks/a")
    assert event["pathParameters"] == {"id": "a"}
    assert event["queryStringParameters"] == {"limit": "1"}
    assert event["requestContext"]["http"]["sourceIp"] == "192.0.2.1"


@pytest.mark.parametrize(
    ("payload", "error_type", "verdict"),
    [
        ({"isAuthorized": False}, None, Verdict.FORBIDDEN),
        ({"isAuthorized": "yes"}, None, Verdict.FAILED),
        ("yes", None, Verdict.FAILED),
        ({"isAuthorized": True, "context": "not an object"}, None, Verdict.FAILED),
        ({"errorType": "RuntimeError"}, "RuntimeError", Verdict.FAILED),
        ({"errorType": "Sandbox.Timedout"}, "Sandbox.Timedout", Verdict.FAILED),
    ],
)
def test_refusals_and_failures(payload, error_type, verdict):
    authorizer = ScriptedAuthorizer(payload, error_type)

    decision = LambdaAuthorizers(authorizer).decide(config(), request("Bearer t"))

    assert decision.verdict is verdict


def test_answers_are_cached_per_identity_for_the_ttl():
    clock = FakeClock()
    authorizer = ScriptedAuthorizer({"isAuthorized": True})
    authorizers = LambdaAuthorizers(authorizer, clock)

    first = authorizers.decide(config(ttl_seconds=60), request("Bearer a"))
    cached = authorizers.decide(config(ttl_seconds=60), request("Bearer a"))
    other_identity = authorizers.decide(config(ttl_seconds=60), request("Bearer b"))
    clock.now = 61
    expired = authorizers.decide(config(ttl_seconds=60), request("Bearer a"))

    assert first.invocation is not None
    assert cached.invocation is None
    assert cached.verdict is Verdict.ALLOWED
    assert other_identity.invocation is not None
    assert expired.invocation is not None
    assert len(authorizer.events) == 3


def test_refusals_are_cached_too_but_failures_are_not():
    refusing = ScriptedAuthorizer({"isAuthorized": False})
    failing = ScriptedAuthorizer(None, "RuntimeError")
    refusing_authorizers = LambdaAuthorizers(refusing)
    failing_authorizers = LambdaAuthorizers(failing)

    for _ in range(3):
        refused = refusing_authorizers.decide(config(), request("Bearer a"))
        failed = failing_authorizers.decide(config(), request("Bearer a"))

    assert refused.verdict is Verdict.FORBIDDEN
    assert len(refusing.events) == 1
    assert failed.verdict is Verdict.FAILED
    assert len(failing.events) == 3


def test_a_ttl_of_zero_invokes_every_time():
    authorizer = ScriptedAuthorizer({"isAuthorized": True})
    authorizers = LambdaAuthorizers(authorizer)

    for _ in range(3):
        authorizers.decide(config(ttl_seconds=0), request("Bearer a"))

    assert len(authorizer.events) == 3
