"""The HTTP API emulation over HTTP, with a fixture template of one route per behaviour."""

import base64
import json
import math
import re
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.support.local_stack_process import LocalStackProcess

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    arguments = [
        "--template",
        str(FIXTURES / "http_api.yaml"),
        "--parameter-overrides",
        "Greeting=howdy",
    ]
    process = LocalStackProcess(arguments, tmp_path_factory.mktemp("http-api")).start()
    yield process
    process.stop()


def event_of(response: requests.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_a_request_becomes_a_payload_2_event(stack):
    response = requests.get(
        f"{stack.url}/items/42?a=1&a=2&b=x%20y",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Custom": "v", "Cookie": "c1=1; c2=2"},
        timeout=10,
    )

    event = event_of(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert event["headers"]["x-custom"] == "v"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert response.json()["greeting"] == "howdy"
    assert response.headers["X-Function"] == "EchoFunction"
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]


def test_a_greedy_path_variable_takes_the_rest_of_the_path(stack):
    response = requests.put(f"{stack.url}/files/a/b/c.txt", data=b"{}", timeout=10)

    event = event_of(response)
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}


def test_a_binary_body_arrives_base64_encoded_and_text_as_is(stack):
    binary = bytes(range(256))

    binary_event = event_of(
        requests.post(
            f"{stack.url}/echo",
            data=binary,
            headers={"Content-Type": "application/octet-stream"},
            timeout=10,
        )
    )
    text_event = event_of(requests.post(f"{stack.url}/echo", json={"a": "é"}, timeout=10))

    assert binary_event["isBase64Encoded"] is True
    assert base64.b64decode(binary_event["body"]) == binary
    assert text_event["isBase64Encoded"] is False
    assert json.loads(text_event["body"]) == {"a": "é"}


def test_a_chunked_request_body_is_read_whole(stack):
    chunks = (part for part in [b'{"parts": ', b'"two"}'])

    event = event_of(
        requests.post(
            f"{stack.url}/echo",
            data=chunks,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
    )

    assert json.loads(event["body"]) == {"parts": "two"}


def test_the_function_response_is_mapped_faithfully(stack):
    answer = {
        "statusCode": 201,
        "headers": {"X-One": "1", "Content-Type": "application/octet-stream"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": base64.b64encode(b"\x00\x01binary").decode(),
        "isBase64Encoded": True,
    }

    response = requests.post(f"{stack.url}/shaped", json=answer, timeout=10)

    assert response.status_code == 201
    assert response.headers["X-One"] == "1"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert response.content == b"\x00\x01binary"


def test_a_response_without_status_code_is_a_200_json_body(stack):
    response = requests.post(f"{stack.url}/shaped", json={"hello": "world"}, timeout=10)

    assert response.status_code == 200
    assert response.json() == {"hello": "world"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/fail", None),
        ("GET", "/slow?seconds=30", None),
        ("GET", "/crash", None),
        ("POST", "/shaped", {"statusCode": "not a number"}),
    ],
)
def test_a_failing_function_is_api_gateways_500(stack, method, path, body):
    response = requests.request(method, f"{stack.url}{path}", json=body, timeout=30)

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_a_crashed_or_timed_out_function_serves_the_next_request(stack):
    requests.get(f"{stack.url}/crash", timeout=30)
    requests.get(f"{stack.url}/slow?seconds=30", timeout=30)

    assert requests.get(f"{stack.url}/slow?seconds=0", timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("authorization", "status", "body"),
    [
        (None, 401, {"message": "Unauthorized"}),
        ("", 401, {"message": "Unauthorized"}),
        ("Bearer wrong", 403, {"message": "Forbidden"}),
        ("Bearer boom", 500, {"message": "Internal Server Error"}),
        ("Bearer garbage", 500, {"message": "Internal Server Error"}),
    ],
)
def test_the_authorizer_refuses_as_api_gateway_does(stack, authorization, status, body):
    headers = {} if authorization is None else {"Authorization": authorization}

    response = requests.get(f"{stack.url}/private", headers=headers, timeout=10)

    assert response.status_code == status
    assert response.json() == body


def test_an_authorized_request_carries_the_authorizer_context(stack):
    response = requests.get(
        f"{stack.url}/private", headers={"Authorization": "Bearer good-1"}, timeout=10
    )

    assert event_of(response)["requestContext"]["authorizer"] == {"lambda": {"token": "good-1"}}


def test_the_authorizer_answer_is_cached_per_identity(stack):
    def authorizer_calls() -> int:
        return sum("GET /private" in line for line in stack.invocation_lines("AuthorizerFunction"))

    before = authorizer_calls()
    for token in ["good-cached", "good-cached", "good-cached", "good-other"]:
        response = requests.get(
            f"{stack.url}/private", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert response.status_code == 200
    stack.wait_for_line(lambda line: "EchoFunction" in line and "/private" in line, 10)

    assert authorizer_calls() - before == 2


def test_a_route_beyond_its_burst_is_throttled_with_429(stack):
    started = time.monotonic()
    responses = [requests.get(f"{stack.url}/throttled", timeout=10) for _ in range(6)]
    elapsed = time.monotonic() - started

    statuses = [response.status_code for response in responses]
    # A burst of 2, then one more per second: allow for a slow machine.
    assert statuses[:2] == [200, 200]
    assert statuses.count(200) <= 2 + math.ceil(elapsed)
    refused = [response for response in responses if response.status_code == 429]
    if elapsed < 3:
        assert refused
    assert all(response.json() == {"message": "Too Many Requests"} for response in refused)


def test_a_body_over_10_mb_is_refused_with_413(stack):
    host, port = stack.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10485761\r\n\r\n"
        )
        # Headers and body may arrive in separate segments; the server then closes.
        received = b""
        while chunk := connection.recv(4096):
            received += chunk
        answer = received.decode()

    assert answer.startswith("HTTP/1.1 413")
    assert answer.endswith('{"message":"Request Entity Too Large"}')


def test_each_invocation_is_one_log_line(stack):
    requests.get(f"{stack.url}/items/log-me", timeout=10)

    line = stack.wait_for_line(lambda line: "/items/log-me" in line, 10)

    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} EchoFunction \d+\.\d ms ok "
        r"(\(cold start \d+ ms\) )?GET /items/log-me 200",
        line,
    ), line
