"""What every HTTP API function shares: the resolver, error mapping and the entry point.

Domain errors become status codes here and nowhere else. Every error body is
`{"message": ...}`; a 5xx never carries an exception's text.
"""

import base64
import binascii
import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from webhook_fanout.errors import (
    InvalidPageToken,
    TargetUrlRejected,
    TriggerNotFound,
    WebhookIdTaken,
    WebhookNotFound,
)
from webhook_fanout.models import ErrorBody
from webhook_fanout.observability import logger, tracer

MAX_BODY_BYTES = 16 * 1024

_STATUS_BY_ERROR: dict[type[Exception], HTTPStatus] = {
    WebhookNotFound: HTTPStatus.NOT_FOUND,
    TriggerNotFound: HTTPStatus.NOT_FOUND,
    WebhookIdTaken: HTTPStatus.CONFLICT,
    InvalidPageToken: HTTPStatus.UNPROCESSABLE_ENTITY,
    TargetUrlRejected: HTTPStatus.UNPROCESSABLE_ENTITY,
}

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def create_resolver() -> APIGatewayHttpResolver:
    """A resolver that validates requests against the route's models and maps errors."""
    app = APIGatewayHttpResolver(enable_validation=True)
    app.exception_handler(RequestValidationError)(_invalid_request)
    app.exception_handler(list(_STATUS_BY_ERROR))(_domain_error)
    app.exception_handler(ServiceError)(_service_error)
    app.exception_handler(Exception)(_unexpected_error)
    app.not_found(_route_not_found)
    return app


def lambda_handler_for(app: APIGatewayHttpResolver) -> LambdaHandler:
    """The Lambda entry point of a function that serves `app`'s routes."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        body = _body_bytes(event)
        # Checked before the resolver runs, because its validation would otherwise parse
        # an oversized body first and answer 422 instead of 413.
        if len(body) > MAX_BODY_BYTES:
            message = f"request body is larger than {MAX_BODY_BYTES} bytes"
            return _plain_response(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"message": message})
        # Powertools' validation replaces a list by its first item before the route's model
        # sees it, so that [{...}, {...}] would pass as {...}; every body here is an object.
        if body.lstrip().startswith(b"["):
            problem = {"location": "body", "message": "request body must be a JSON object"}
            return _plain_response(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                {"message": f"invalid request: body: {problem['message']}", "errors": [problem]},
            )
        return app.resolve(event, context)

    return lambda_handler


def documented(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    """One response for a route's `responses=`, so that the OpenAPI document shows it.

    A route that lists any response must list its success response too: Powertools then
    no longer adds one from the return annotation.
    """
    return {"description": description, "content": {"application/json": {"model": model}}}


def error_response(status: HTTPStatus, message: str, **details: Any) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": message, **details}),
    )


def _body_bytes(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not event.get("isBase64Encoded"):
        return str(body).encode()
    try:
        return base64.b64decode(body)
    except (binascii.Error, ValueError):
        return str(body).encode()


def _plain_response(status: HTTPStatus, body: dict[str, Any]) -> dict[str, Any]:
    """A response made without the resolver, for requests refused before it runs."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body),
    }


def _invalid_request(error: RequestValidationError) -> Response[str]:
    problems = [
        {"location": _location(issue["loc"]), "message": _describe(issue)}
        for issue in error.errors()
    ]
    summary = "; ".join(f"{p['location']}: {p['message']}" for p in problems[:5])
    return error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, f"invalid request: {summary}", errors=problems
    )


def _location(loc: Any) -> str:
    # Pydantic adds a list index for JSON decode errors; drop it, it means nothing here.
    return ".".join(str(part) for part in loc if not isinstance(part, int)) or "request"


def _describe(issue: dict[str, Any]) -> str:
    if issue["type"] == "json_invalid":
        return "request body is not valid JSON"
    if issue["type"] == "missing" and tuple(issue["loc"]) == ("body",):
        return "request body is required"
    return str(issue["msg"]).removeprefix("Value error, ")


def _domain_error(error: Exception) -> Response[str]:
    status = next(code for kind, code in _STATUS_BY_ERROR.items() if isinstance(error, kind))
    if status == HTTPStatus.UNPROCESSABLE_ENTITY:
        # Shaped like a validation error, so that a client handles every 422 alike.
        location = getattr(error, "location", "request")
        return error_response(
            status, str(error), errors=[{"location": location, "message": str(error)}]
        )
    return error_response(status, str(error))


def _service_error(error: ServiceError) -> Response[str]:
    return error_response(HTTPStatus(error.status_code), str(error.msg))


def _route_not_found(_: Exception) -> Response[str]:
    return error_response(HTTPStatus.NOT_FOUND, "no such route")


def _unexpected_error(_: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return error_response(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error")
