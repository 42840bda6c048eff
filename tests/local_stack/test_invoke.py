"""`python -m local_stack invoke`: every sample event, with and without a running stack."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from local_stack.api_routes import http_api_config
from local_stack.template import LOCAL_STACK_NAME, PROJECT_ROOT, load_template
from tests.support.local_stack_process import LocalStackProcess

EVENTS = sorted((PROJECT_ROOT / "events").glob("*.json"))
ADMIN_TOKEN = "sample-admin-token"  # the token the sample events carry


def function_for(event: dict) -> str:
    """The function the template gives this event to: by route, authorizer or queue."""
    template = load_template()
    if "Records" in event:
        queue = event["Records"][0]["eventSourceARN"].rsplit(":", 1)[1]
        queue_logical_id = queue.removeprefix(f"{LOCAL_STACK_NAME}-")
        mappings = template.resources_of_type("AWS::Lambda::EventSourceMapping").values()
        (mapping,) = [
            m
            for m in mappings
            if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue_logical_id, "Arn"]}
        ]
        return str(mapping["Properties"]["FunctionName"]["Ref"])
    route, _ = http_api_config(template).find(
        event["requestContext"]["http"]["method"], event["rawPath"]
    )
    if event.get("type") == "REQUEST":
        return route.authorizer.function_logical_id
    return route.function_logical_id


def invoke(logical_id: str, event: Path, state_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "local_stack",
            "invoke",
            logical_id,
            "--event",
            str(event),
            "--state-file",
            str(state_file),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "ADMIN_TOKEN": ADMIN_TOKEN},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    process = LocalStackProcess(
        [], tmp_path_factory.mktemp("invoke"), {"ADMIN_TOKEN": ADMIN_TOKEN}
    )
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def sample_invocations(stack) -> dict[Path, subprocess.CompletedProcess[str]]:
    """Every sample event invoked once; four at a time, each command being a process."""

    def run(event: Path) -> subprocess.CompletedProcess[str]:
        return invoke(function_for(json.loads(event.read_text())), event, stack.state_file)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(EVENTS, pool.map(run, EVENTS), strict=True))


@pytest.mark.parametrize("event", EVENTS, ids=[path.stem for path in EVENTS])
def test_every_sample_event_invokes_its_function_against_the_running_stack(
    sample_invocations, event
):
    completed = sample_invocations[event]

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) is not None


def test_an_invocation_uses_the_running_stacks_resources(stack, tmp_path):
    event = json.loads((PROJECT_ROOT / "events/register_webhook.json").read_text())
    event["body"] = json.dumps({"id": "invoked", "targetUrl": "http://127.0.0.1:8000/ok/x"})
    event_file = tmp_path / "register.json"
    event_file.write_text(json.dumps(event))

    completed = invoke("RegisterWebhookFunction", event_file, stack.state_file)
    response = requests.get(
        f"{stack.url}/webhooks/invoked",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )

    assert json.loads(completed.stdout)["statusCode"] == 201
    assert response.status_code == 200
    assert response.json()["targetUrl"] == "http://127.0.0.1:8000/ok/x"


def test_without_a_running_stack_an_invocation_gets_fresh_resources(tmp_path):
    completed = invoke(
        "RegisterWebhookFunction",
        PROJECT_ROOT / "events/register_webhook.json",
        tmp_path / "no-stack.json",
    )

    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["statusCode"] == 201


def test_the_authorizer_sample_event_is_allowed_with_the_matching_token(stack):
    completed = invoke(
        "AdminAuthorizerFunction", PROJECT_ROOT / "events/authorizer.json", stack.state_file
    )

    assert json.loads(completed.stdout)["isAuthorized"] is True


def test_an_unknown_function_is_named_with_those_that_exist(tmp_path):
    completed = invoke("NoSuchFunction", PROJECT_ROOT / "events/action.json", tmp_path / "x.json")

    assert completed.returncode == 1
    assert "the template has no function NoSuchFunction; it has" in completed.stderr
    assert "TriggerFunction" in completed.stderr


def test_an_event_that_is_not_json_is_named(tmp_path):
    event = tmp_path / "event.json"
    event.write_text("{not json")

    completed = invoke("TriggerFunction", event, tmp_path / "x.json")

    assert completed.returncode == 1
    assert f"event file {event} is not valid JSON" in completed.stderr
