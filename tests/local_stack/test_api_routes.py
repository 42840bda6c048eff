"""Routes, authorizers and throttling read from the translated template."""

from pathlib import Path

import pytest

from local_stack.api_routes import ACCOUNT_BURST_LIMIT, Throttle, http_api_config
from local_stack.template import TemplateError, load_template

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def config():
    return http_api_config(load_template(template_path=FIXTURES / "http_api.yaml"))


@pytest.mark.parametrize(
    ("method", "path", "route_key", "parameters"),
    [
        ("GET", "/items/42", "GET /items/{id}", {"id": "42"}),
        ("GET", "/items/special", "GET /items/special", {}),
        ("GET", "/items/a%20b", "GET /items/{id}", {"id": "a b"}),
        ("PUT", "/files/a/b/c.txt", "ANY /files/{proxy+}", {"proxy": "a/b/c.txt"}),
        ("DELETE", "/files/x", "ANY /files/{proxy+}", {"proxy": "x"}),
        ("POST", "/echo", "POST /echo", {}),
        ("GET", "/echo", "$default", {}),
        ("GET", "/files/", "$default", {}),
        ("GET", "/items/42/more", "$default", {}),
        ("PATCH", "/anything/at/all", "$default", {}),
    ],
)
def test_the_most_specific_route_serves_a_request(config, method, path, route_key, parameters):
    route, found_parameters = config.find(method, path)

    assert route.route_key == route_key
    assert found_parameters == parameters


def test_routes_lead_to_the_functions_and_authorizers_of_the_template(config):
    private, _ = config.find("GET", "/private")
    public, _ = config.find("GET", "/items/1")

    assert private.function_logical_id == "EchoFunction"
    assert private.authorizer.function_logical_id == "AuthorizerFunction"
    assert private.authorizer.result_ttl_seconds == 300
    assert [source.name for source in private.authorizer.identity_sources] == ["authorization"]
    assert public.authorizer is None


def test_throttling_comes_from_the_stage(config):
    throttled, _ = config.find("GET", "/throttled")
    other, _ = config.find("POST", "/echo")

    assert throttled.throttle == Throttle(rate_limit=1.0, burst_limit=2)
    assert other.throttle.burst_limit == ACCOUNT_BURST_LIMIT


def test_the_service_template_routes_action_without_the_authorizer():
    config = http_api_config(load_template())

    action, _ = config.find("GET", "/action")
    webhook, parameters = config.find("DELETE", "/webhooks/abc")

    assert action.function_logical_id == "TriggerFunction"
    assert action.authorizer is None
    assert action.throttle == Throttle(rate_limit=10.0, burst_limit=20)
    assert webhook.function_logical_id == "DeleteWebhookFunction"
    assert webhook.authorizer.name == "AdminAuthorizer"
    assert parameters == {"id": "abc"}


def test_a_rest_api_is_refused_naming_the_resource():
    template = load_template(template_path=FIXTURES / "rest_api.yaml")

    with pytest.raises(TemplateError, match="ServerlessRestApi: REST APIs"):
        http_api_config(template)
