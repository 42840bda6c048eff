"""The HTTP API's Lambda authorizer, run as API Gateway runs one with payload format 2.0.

- A request missing any identity source value is refused with 401 before the
  authorizer runs.
- The authorizer answers with a simple response, `{"isAuthorized": bool, "context": {...}}`;
  False is a 403, and an error, a timeout or a malformed answer is a 500.
- Answers are cached per authorizer and identity source values for
  `authorizerResultTtlInSeconds` (no cache when 0), allowed and refused alike.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from local_stack.api_routes import LambdaAuthorizerConfig
from local_stack.template import LOCAL_ACCOUNT_ID, LOCAL_REGION
from local_stack.worker_pool import Invocation


class Verdict(Enum):
    ALLOWED = "allowed"
    UNAUTHORIZED = "unauthorized"  # 401: identity source missing
    FORBIDDEN = "forbidden"  # 403: the authorizer said no
    FAILED = "failed"  # 500: the authorizer failed or answered nonsense


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    context: dict[str, Any] | None = None
    invocation: Invocation | None = None  # None when the answer came from the cache


InvokeFunction = Callable[[str, dict[str, Any]], Invocation]


class LambdaAuthorizers:
    """Decides requests for every authorizer of the API, with API Gateway's cache."""

    def __init__(
        self, invoke: InvokeFunction, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._invoke = invoke
        self._clock = clock
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, Decision]] = {}
        self._lock = threading.Lock()

    def decide(
        self, authorizer: LambdaAuthorizerConfig, request_event: dict[str, Any]
    ) -> Decision:
        """`request_event` is the payload 2.0 event the route's function would receive."""
        identity = _identity_values(authorizer, request_event)
        if identity is None:
            return Decision(Verdict.UNAUTHORIZED)
        cache_key = (authorizer.name, identity)
        cached = self._cached(cache_key)
        if cached is not None:
            return cached
        invocation = self._invoke(
            authorizer.function_logical_id, authorizer_event(request_event, identity)
        )
        decision = _decision(invocation)
        if authorizer.result_ttl_seconds > 0 and decision.verdict is not Verdict.FAILED:
            with self._lock:
                expires_at = self._clock() + authorizer.result_ttl_seconds
                self._cache[cache_key] = (expires_at, Decision(decision.verdict, decision.context))
        return decision

    def _cached(self, cache_key: tuple[str, tuple[str, ...]]) -> Decision | None:
        with self._lock:
            entry = self._cache.get(cache_key)
            if entry is None:
                return None
            expires_at, decision = entry
            if self._clock() >= expires_at:
                del self._cache[cache_key]
                return None
            return decision


def authorizer_event(request_event: dict[str, Any], identity: tuple[str, ...]) -> dict[str, Any]:
    """The REQUEST event of an authorizer with payload format 2.0."""
    context = request_event["requestContext"]
    method = context["http"]["method"]
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": (
            f"arn:aws:execute-api:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{context['apiId']}"
            f"/{context['stage']}/{method}{request_event['rawPath']}"
        ),
        "identitySource": list(identity),
        **{
            key: request_event[key]
            for key in (
                "routeKey",
                "rawPath",
                "rawQueryString",
                "cookies",
                "headers",
                "queryStringParameters",
                "pathParameters",
                "stageVariables",
            )
            if key in request_event
        },
        "requestContext": context,
    }


def _identity_values(
    authorizer: LambdaAuthorizerConfig, request_event: dict[str, Any]
) -> tuple[str, ...] | None:
    values = []
    for source in authorizer.identity_sources:
        if source.place == "header":
            value = (request_event.get("headers") or {}).get(source.name)
        else:
            value = (request_event.get("queryStringParameters") or {}).get(source.name)
        if not value:
            return None
        values.append(value)
    return tuple(values)


def _decision(invocation: Invocation) -> Decision:
    answer = invocation.payload
    if not invocation.succeeded or not isinstance(answer, dict):
        return Decision(Verdict.FAILED, invocation=invocation)
    authorized = answer.get("isAuthorized")
    context = answer.get("context")
    if not isinstance(authorized, bool) or not isinstance(context, dict | None):
        return Decision(Verdict.FAILED, invocation=invocation)
    verdict = Verdict.ALLOWED if authorized else Verdict.FORBIDDEN
    return Decision(verdict, context, invocation)
