"""The API's OpenAPI document, built from the same models that validate requests.

Each function serves one route with its own resolver; this imports every function the
template routes to, asks each resolver for its part of the document, and merges the
parts. It then adds what API Gateway and the shared error handling contribute to every
route (bearer auth, 401/403/413/429/500 and the error body schemas).

    python -m local_stack.openapi          # rewrite layers/shared/webhook_fanout/openapi.json
    python -m local_stack.openapi --check  # exit 1 if the committed copy is out of date
"""

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from local_stack.api_routes import http_api_config
from local_stack.functions import function_environment, function_specs, import_handler_module
from local_stack.template import PROJECT_ROOT, load_template

DOCUMENT_PATH = PROJECT_ROOT / "layers/shared/webhook_fanout/openapi.json"

_POWERTOOLS_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")
_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
_COMMON_ERRORS = {
    "429": "Throttled: too many requests on this route",
    "500": "Internal error; the body never carries details",
}
_ADMIN_ERRORS = {
    "401": "No Authorization header",
    "403": "The bearer token is not the admin token",
}


def build_document() -> dict[str, Any]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template = load_template(local_defaults={})
    specs = function_specs(template)
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": _info(),
        "paths": {},
        "components": {
            "schemas": {},
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
        },
    }
    for route in http_api_config(template).routes:
        method, path = route.route_key.lower().split(" ", 1)[0], route.route_key.split(" ", 1)[1]
        spec = specs[route.function_logical_id]
        with function_environment(spec.environment):
            module = import_handler_module(spec, f"openapi_{route.function_logical_id}")
        part = module.app.get_openapi_schema().model_dump(
            by_alias=True, exclude_none=True, mode="json"
        )
        operation = part.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue  # a route left out of the document on purpose (the document itself)
        if not any(status.startswith("2") for status in operation["responses"]):
            raise ValueError(f"{route.route_key}: no success response is documented")
        _describe_errors(operation, secured=route.authorizer is not None)
        document["paths"].setdefault(path, {})[method] = operation
        document["components"]["schemas"].update(part.get("components", {}).get("schemas", {}))
    _add_error_schemas(document["components"]["schemas"])
    return document


def _info() -> dict[str, str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return {
        "title": "Webhook fan-out",
        "version": project["version"],
        "description": project["description"],
    }


def _describe_errors(operation: dict[str, Any], *, secured: bool) -> None:
    responses = operation["responses"]
    responses["422"] = {
        "description": "The request is invalid; errors says where",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ValidationErrorBody"}}
        },
    }
    extra = dict(_COMMON_ERRORS)
    if secured:
        extra |= _ADMIN_ERRORS
        operation["security"] = [{"adminToken": []}]
    if "requestBody" in operation:
        extra["413"] = "The request body is larger than 16 KiB"
    for status, description in extra.items():
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/json": {"schema": _ERROR_SCHEMA}},
            },
        )
    if "204" in responses:
        responses["204"] = {"description": responses["204"]["description"]}


def _add_error_schemas(schemas: dict[str, Any]) -> None:
    from webhook_fanout.models import ErrorBody, ValidationErrorBody

    for name in _POWERTOOLS_ERROR_SCHEMAS:
        schemas.pop(name, None)
    for model in (ErrorBody, ValidationErrorBody):
        schema = model.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}"
        )
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the copy")
    options = parser.parse_args(argv)
    rendered = render(build_document())
    if options.check:
        if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text() != rendered:
            sys.exit(f"{DOCUMENT_PATH} is out of date: run python -m local_stack.openapi")
        return
    DOCUMENT_PATH.write_text(rendered)
    print(f"wrote {Path(DOCUMENT_PATH).relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
