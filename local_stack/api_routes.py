"""The HTTP APIs of the translated template: routes, their functions, authorizers, throttling.

The SAM translator writes an HttpApi's routes and authorizers into the OpenAPI `Body` of
its AWS::ApiGatewayV2::Api, and its throttling into the AWS::ApiGatewayV2::Stage. This
module reads them from there, so that a route added to template.yaml works locally as is.
Route selection follows API Gateway's rules for HTTP APIs:
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
"""

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from local_stack.functions import function_ids_by_reference
from local_stack.template import StackTemplate, TemplateError

DEFAULT_ROUTE = "$default"
# API Gateway's account-level limits apply where a stage sets none.
ACCOUNT_RATE_LIMIT = 10_000.0
ACCOUNT_BURST_LIMIT = 5_000

_METHODS = ("get", "post", "put", "patch", "delete", "head", "options")
_ANY_METHOD = "x-amazon-apigateway-any-method"
_INTEGRATION = "x-amazon-apigateway-integration"
_AUTHORIZER = "x-amazon-apigateway-authorizer"
_FUNCTION_IN_URI = re.compile(r"functions/(?P<arn>.+)/invocations$")
_IDENTITY_SOURCE = re.compile(r"^\$request\.(?P<place>header|querystring)\.(?P<name>.+)$")


@dataclass(frozen=True)
class IdentitySource:
    """Where API Gateway reads one identity value: a request header or query parameter."""

    place: str
    name: str


@dataclass(frozen=True)
class LambdaAuthorizerConfig:
    name: str
    function_logical_id: str
    identity_sources: tuple[IdentitySource, ...]
    result_ttl_seconds: int


@dataclass(frozen=True)
class Throttle:
    rate_limit: float
    burst_limit: int


@dataclass(frozen=True)
class Route:
    route_key: str
    method: str | None  # None for ANY
    path_segments: tuple[str, ...] | None  # None for $default
    function_logical_id: str
    authorizer: LambdaAuthorizerConfig | None
    throttle: Throttle

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path parameters when this route serves `method path`, else None."""
        if self.method is not None and self.method != method:
            return None
        if self.path_segments is None:
            return {}
        return _match_segments(self.path_segments, path.split("/")[1:])

    @property
    def specificity(self) -> tuple[Any, ...]:
        """Sorts routes as API Gateway prefers them: literal over variable over greedy."""
        if self.path_segments is None:
            return (0,)
        ranks = tuple(_segment_rank(segment) for segment in self.path_segments)
        return (1, ranks, self.method is not None)


@dataclass
class HttpApiConfig:
    """Every route of every HTTP API in the template, most specific first."""

    routes: list[Route] = field(default_factory=list)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            parameters = route.match(method, path)
            if parameters is not None:
                return route, parameters
        return None


def http_api_config(template: StackTemplate) -> HttpApiConfig:
    _refuse_rest_apis(template)
    functions = function_ids_by_reference(template)
    routes: dict[str, Route] = {}
    for api_id, api in template.resources_of_type("AWS::ApiGatewayV2::Api").items():
        body = api.get("Properties", {}).get("Body")
        if not isinstance(body, dict):
            raise TemplateError(
                f"{api_id}: only an HTTP API with an inline OpenAPI Body is supported"
            )
        authorizers = _authorizers(template, api_id, body, functions)
        default_throttle, route_throttles = _stage_throttling(template, api_id)
        for route_key, operation in _operations(body):
            if route_key in routes:
                raise TemplateError(f"{api_id}: route {route_key} is declared by two HTTP APIs")
            routes[route_key] = _route(
                template,
                api_id,
                route_key,
                operation,
                functions,
                authorizers,
                route_throttles.get(route_key, default_throttle),
            )
    ordered = sorted(routes.values(), key=lambda route: route.specificity, reverse=True)
    return HttpApiConfig(ordered)


def _refuse_rest_apis(template: StackTemplate) -> None:
    for logical_id in template.resources_of_type("AWS::ApiGateway::RestApi"):
        raise TemplateError(
            f"{logical_id}: REST APIs (AWS::Serverless::Api) are not supported by the local "
            "stack; use AWS::Serverless::HttpApi"
        )


def _function_of_uri(
    template: StackTemplate, where: str, uri: Any, functions: dict[str, str]
) -> str:
    match = _FUNCTION_IN_URI.search(str(template.resolve(uri)))
    if match is None or match.group("arn") not in functions:
        raise TemplateError(f"{where}: its integration is not a function of this template")
    return functions[match.group("arn")]


def _operations(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    operations = []
    for path, path_item in (body.get("paths") or {}).items():
        for key, operation in path_item.items():
            if key == _ANY_METHOD:
                route_key = DEFAULT_ROUTE if path == DEFAULT_ROUTE else f"ANY {path}"
            elif key in _METHODS:
                route_key = f"{key.upper()} {path}"
            else:
                continue  # OpenAPI's parameters, summary and the like
            operations.append((route_key, operation))
    return operations


def _route(
    template: StackTemplate,
    api_id: str,
    route_key: str,
    operation: dict[str, Any],
    functions: dict[str, str],
    authorizers: dict[str, LambdaAuthorizerConfig],
    throttle: Throttle,
) -> Route:
    where = f"{api_id} route {route_key}"
    integration = operation.get(_INTEGRATION) or {}
    if integration.get("type") != "aws_proxy":
        raise TemplateError(f"{where}: only Lambda proxy integrations are supported")
    if str(integration.get("payloadFormatVersion", "2.0")) != "2.0":
        raise TemplateError(f"{where}: only payload format version 2.0 is supported")
    method, _, path = route_key.partition(" ")
    return Route(
        route_key=route_key,
        method=None if method in ("ANY", DEFAULT_ROUTE) else method,
        path_segments=None if route_key == DEFAULT_ROUTE else tuple(path.split("/")[1:]),
        function_logical_id=_function_of_uri(template, where, integration.get("uri"), functions),
        authorizer=_route_authorizer(where, operation, authorizers),
        throttle=throttle,
    )


def _route_authorizer(
    where: str, operation: dict[str, Any], authorizers: dict[str, LambdaAuthorizerConfig]
) -> LambdaAuthorizerConfig | None:
    names = [name for requirement in operation.get("security") or [] for name in requirement]
    names = [name for name in names if name != "NONE"]
    if not names:
        return None
    if len(names) > 1 or names[0] not in authorizers:
        raise TemplateError(f"{where}: authorizer {', '.join(names)} is not supported")
    return authorizers[names[0]]


def _authorizers(
    template: StackTemplate, api_id: str, body: dict[str, Any], functions: dict[str, str]
) -> dict[str, LambdaAuthorizerConfig]:
    schemes = (body.get("components") or {}).get("securitySchemes") or {}
    authorizers = {}
    for name, scheme in schemes.items():
        settings = scheme.get(_AUTHORIZER)
        where = f"{api_id} authorizer {name}"
        if not settings or settings.get("type") != "request":
            raise TemplateError(f"{where}: only Lambda (request) authorizers are supported")
        if str(settings.get("authorizerPayloadFormatVersion")) != "2.0" or not settings.get(
            "enableSimpleResponses"
        ):
            raise TemplateError(f"{where}: only payload 2.0 with simple responses is supported")
        authorizers[name] = LambdaAuthorizerConfig(
            name=name,
            function_logical_id=_function_of_uri(
                template, where, settings.get("authorizerUri"), functions
            ),
            identity_sources=_identity_sources(where, settings.get("identitySource")),
            result_ttl_seconds=int(settings.get("authorizerResultTtlInSeconds", 0)),
        )
    return authorizers


def _identity_sources(where: str, declared: Any) -> tuple[IdentitySource, ...]:
    if isinstance(declared, str):
        declared = [part.strip() for part in declared.split(",") if part.strip()]
    sources = []
    for expression in declared or []:
        match = _IDENTITY_SOURCE.match(expression)
        if match is None:
            raise TemplateError(f"{where}: identity source {expression} is not supported")
        name = match.group("name")
        sources.append(
            IdentitySource(
                match.group("place"), name.lower() if match.group("place") == "header" else name
            )
        )
    return tuple(sources)


def _stage_throttling(
    template: StackTemplate, api_id: str
) -> tuple[Throttle, dict[str, Throttle]]:
    for stage in template.resources_of_type("AWS::ApiGatewayV2::Stage").values():
        properties = stage.get("Properties", {})
        if properties.get("ApiId") != {"Ref": api_id}:
            continue
        properties = template.resolve(properties)
        default_settings = properties.get("DefaultRouteSettings") or {}
        default = _throttle(default_settings, None)
        per_route = {
            route_key: _throttle(settings, default_settings)
            for route_key, settings in (properties.get("RouteSettings") or {}).items()
        }
        return default, per_route
    return Throttle(ACCOUNT_RATE_LIMIT, ACCOUNT_BURST_LIMIT), {}


def _throttle(settings: dict[str, Any], fallback: dict[str, Any] | None) -> Throttle:
    fallback = fallback or {}
    rate = settings.get("ThrottlingRateLimit", fallback.get("ThrottlingRateLimit"))
    burst = settings.get("ThrottlingBurstLimit", fallback.get("ThrottlingBurstLimit"))
    return Throttle(
        rate_limit=float(rate) if rate is not None else ACCOUNT_RATE_LIMIT,
        burst_limit=int(burst) if burst is not None else ACCOUNT_BURST_LIMIT,
    )


def _segment_rank(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return 0
    if segment.startswith("{") and segment.endswith("}"):
        return 1
    return 2


def _match_segments(route: tuple[str, ...], path: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, segment in enumerate(route):
        rank = _segment_rank(segment)
        if rank == 0:
            rest = path[index:]
            if not rest or rest == [""]:
                return None  # a greedy variable needs at least one character
            parameters[segment[1:-2]] = unquote("/".join(rest))
            return parameters
        if index >= len(path):
            return None
        if rank == 1:
            if not path[index]:
                return None
            parameters[segment[1:-1]] = unquote(path[index])
        elif unquote(path[index]) != segment:
            return None
    return parameters if len(path) == len(route) else None
