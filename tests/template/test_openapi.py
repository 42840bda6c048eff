"""The committed OpenAPI document is the one the code generates, and covers every route."""

import json

from local_stack.api_routes import http_api_config
from local_stack.openapi import DOCUMENT_PATH, build_document, render
from local_stack.template import load_template


def test_the_committed_document_matches_the_code():
    committed = DOCUMENT_PATH.read_text()
    assert committed == render(build_document()), (
        "layers/shared/webhook_fanout/openapi.json is stale: run python -m local_stack.openapi"
    )


def test_every_route_of_the_template_is_documented_with_its_authorization():
    document = json.loads(DOCUMENT_PATH.read_text())
    for route in http_api_config(load_template(local_defaults={})).routes:
        method, path = route.route_key.split(" ", 1)
        if path == "/openapi.json":
            continue
        operation = document["paths"][path][method.lower()]
        secured = route.authorizer is not None
        assert ("security" in operation) is secured, route.route_key
        assert any(status.startswith("2") for status in operation["responses"]), route.route_key
        assert "500" in operation["responses"], route.route_key
