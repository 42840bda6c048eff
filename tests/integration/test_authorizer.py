"""The admin authorizer reads the token from Secrets Manager and answers API Gateway."""

import pytest


def authorize(stack, headers):
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeKey": "POST /webhooks",
        "headers": headers,
        "identitySource": list(headers.values()),
    }
    return stack.invoke("AdminAuthorizerFunction", event)


def test_the_token_from_the_secret_is_authorized(stack):
    assert authorize(stack, {"authorization": f"Bearer {stack.admin_token}"}) == {
        "isAuthorized": True
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": ""},
        {"authorization": "Bearer "},
        {"authorization": "Bearer wrong-token"},
        {"authorization": "Basic dXNlcjpwYXNz"},
        {"x-api-key": "whatever"},
    ],
)
def test_anything_else_is_refused(stack, headers):
    assert authorize(stack, headers) == {"isAuthorized": False}
