"""The service's functions run in this process against resources made from template.yaml."""

import time
import uuid
from types import ModuleType
from typing import Any

from local_stack.functions import (
    FunctionSpec,
    LocalLambdaContext,
    function_environment,
    function_specs,
    import_handler_module,
)
from local_stack.http_events import HttpResponse, http_api_event, http_response_from_result
from local_stack.resources import LocalEndpoints
from local_stack.template import StackTemplate
from webhook_fanout.signing import new_signing_secret

VISITOR_IP = "198.51.100.23"


class InProcessStack:
    """One provisioned copy of the stack, with handlers imported as on a cold start."""

    def __init__(self, template: StackTemplate, endpoints: LocalEndpoints, admin_token: str):
        self.template = template
        self.endpoints = endpoints
        self.admin_token = admin_token
        self.specs: dict[str, FunctionSpec] = function_specs(template)
        self._modules: dict[str, ModuleType] = {}

    def physical_id(self, logical_id: str) -> str:
        return self.template.physical_ids[logical_id]

    def module(self, logical_id: str) -> ModuleType:
        if logical_id not in self._modules:
            spec = self.specs[logical_id]
            with function_environment(spec.environment):
                self._modules[logical_id] = import_handler_module(
                    spec, f"handler_{logical_id}_{uuid.uuid4().hex[:8]}"
                )
        return self._modules[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        spec = self.specs[logical_id]
        module = self.module(logical_id)
        context = LocalLambdaContext(
            spec, str(uuid.uuid4()), time.monotonic() + spec.timeout_seconds
        )
        with function_environment(spec.environment):
            return getattr(module, spec.function_name)(event, context)

    def call_api(
        self,
        logical_id: str,
        method: str,
        path: str,
        *,
        route: str | None = None,
        body: bytes | str | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        source_ip: str = VISITOR_IP,
    ) -> HttpResponse:
        """Send one request to the function behind `route` (default: `path`)."""
        route_path = route or path
        event = http_api_event(
            method=method,
            path=path,
            route_key=f"{method} {route_path}",
            source_ip=source_ip,
            raw_query=query,
            headers={"content-type": "application/json", **(headers or {})},
            body=body.encode() if isinstance(body, str) else body,
            path_parameters=_path_parameters(route_path, path),
        )
        return http_response_from_result(self.invoke(logical_id, event))

    def table_items(self, logical_id: str = "WebhooksTable") -> list[dict[str, Any]]:
        client = self.endpoints.client("dynamodb")
        pages = client.get_paginator("scan").paginate(TableName=self.physical_id(logical_id))
        return [item for page in pages for item in page["Items"]]


def _path_parameters(route_path: str, path: str) -> dict[str, str]:
    parameters = {}
    for route_part, path_part in zip(route_path.split("/"), path.split("/"), strict=False):
        if route_part.startswith("{") and route_part.endswith("}"):
            parameters[route_part[1:-1]] = path_part
    return parameters


def seed_webhooks(stack: InProcessStack, urls_by_id: dict[str, str]) -> None:
    """Write webhooks straight to the table: registering thousands through the API is slow."""
    client = stack.endpoints.client("dynamodb")
    table_name = stack.physical_id("WebhooksTable")
    items = [
        {
            "PutRequest": {
                "Item": {
                    "id": {"S": webhook_id},
                    "targetUrl": {"S": url},
                    "createdAt": {"S": "2026-01-01T00:00:00Z"},
                    "updatedAt": {"S": "2026-01-01T00:00:00Z"},
                    "signingSecret": {"S": new_signing_secret()},
                }
            }
        }
        for webhook_id, url in urls_by_id.items()
    ]
    for start in range(0, len(items), 25):
        unprocessed: dict[str, Any] = {table_name: items[start : start + 25]}
        while unprocessed:
            unprocessed = client.batch_write_item(RequestItems=unprocessed)["UnprocessedItems"]
