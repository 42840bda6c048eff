"""What API Gateway does with an HTTP API request: route, throttle, authorize, invoke, answer.

The answers API Gateway gives itself, with its own bodies, are kept as they are, since
clients (and the black-box tests) see them: 404 for no route, 429 when throttled, 401 and
403 from the authorizer, 413 for a body over 10 MB, and 500 when a function fails, times
out or returns something that is not a valid response.
"""

import binascii
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from local_stack.api_routes import HttpApiConfig, Route
from local_stack.authorizer import LambdaAuthorizers, Verdict
from local_stack.http_events import HttpResponse, http_api_event, http_response_from_result
from local_stack.invocation_log import InvocationLog
from local_stack.throttling import RouteThrottling
from local_stack.worker_pool import Invocation

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# Limitation: Lambda's own 6 MB limit on a synchronous invocation's event and response is
# not enforced; a request between 6 and 10 MB reaches the function here but not on AWS.

InvokeFunction = Callable[[str, dict[str, Any]], Invocation]

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiRequest:
    method: str
    target: str  # the request line's path and query, as sent
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str  # the TCP peer; X-Forwarded-For and the like are never trusted for it


class ApiGateway:
    def __init__(
        self,
        config: HttpApiConfig,
        invoke: InvokeFunction,
        log: InvocationLog,
        throttling: RouteThrottling | None = None,
        authorizers: LambdaAuthorizers | None = None,
    ) -> None:
        self.config = config
        self.invoke = invoke
        self.log = log
        self.throttling = throttling or RouteThrottling()
        self.authorizers = authorizers or LambdaAuthorizers(invoke)

    def handle(self, request: ApiRequest) -> HttpResponse:
        raw_path, _, raw_query = request.target.partition("?")
        found = self.config.find(request.method, raw_path)
        if found is None:
            return self.gateway_answer(request.method, raw_path, HTTPStatus.NOT_FOUND)
        route, path_parameters = found
        if not self.throttling.allow(route.route_key, route.throttle):
            return self.gateway_answer(request.method, raw_path, HTTPStatus.TOO_MANY_REQUESTS)

        event = http_api_event(
            method=request.method,
            path=raw_path,
            route_key=route.route_key,
            source_ip=request.source_ip,
            raw_query=raw_query,
            headers=_merged_headers(request.headers),
            body=request.body,
            path_parameters=path_parameters,
        )
        refusal = self._authorize(route, event, request.method, raw_path)
        if refusal is not None:
            return refusal

        invocation = self.invoke(route.function_logical_id, event)
        response = _response_of(invocation)
        response.headers.append(("apigw-requestid", event["requestContext"]["requestId"]))
        self.log.invocation(
            invocation, method=request.method, path=raw_path, status=response.status
        )
        return response

    def gateway_answer(self, method: str, path: str, status: HTTPStatus) -> HttpResponse:
        """API Gateway's own answer, such as `404 {"message":"Not Found"}`."""
        self.log.answered_by_gateway(method, path, status)
        return gateway_response(status)

    def _authorize(
        self, route: Route, event: dict[str, Any], method: str, path: str
    ) -> HttpResponse | None:
        if route.authorizer is None:
            return None
        decision = self.authorizers.decide(route.authorizer, event)
        if decision.invocation is not None:
            self.log.invocation(decision.invocation, method=method, path=path)
        if decision.verdict is Verdict.UNAUTHORIZED:
            return self.gateway_answer(method, path, HTTPStatus.UNAUTHORIZED)
        if decision.verdict is Verdict.FORBIDDEN:
            return self.gateway_answer(method, path, HTTPStatus.FORBIDDEN)
        if decision.verdict is Verdict.FAILED:
            return self.gateway_answer(method, path, HTTPStatus.INTERNAL_SERVER_ERROR)
        event["requestContext"]["authorizer"] = {"lambda": decision.context or {}}
        return None


def gateway_response(status: HTTPStatus) -> HttpResponse:
    body = json.dumps({"message": status.phrase}, separators=(",", ":")).encode()
    return HttpResponse(int(status), [("Content-Type", "application/json")], body)


def _merged_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    # API Gateway joins a repeated header's values with commas; cookies are joined the way
    # one Cookie header would hold them, since the event splits them on semicolons.
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        separator = "; " if key == "cookie" else ","
        merged[key] = f"{merged[key]}{separator}{value}" if key in merged else value
    return merged


def _response_of(invocation: Invocation) -> HttpResponse:
    if not invocation.succeeded:
        return gateway_response(HTTPStatus.INTERNAL_SERVER_ERROR)
    try:
        response = http_response_from_result(invocation.payload)
    except (KeyError, TypeError, ValueError, binascii.Error):
        _logger.warning("%s returned an invalid response", invocation.function_name)
        return gateway_response(HTTPStatus.INTERNAL_SERVER_ERROR)
    if not 100 <= response.status <= 599:
        return gateway_response(HTTPStatus.INTERNAL_SERVER_ERROR)
    return response
