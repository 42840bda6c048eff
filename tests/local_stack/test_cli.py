"""The command line: options, the ready line, clean shutdown and one-line errors."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from local_stack.cli import parse_parameter_overrides
from local_stack.dynamodb_local import install
from local_stack.errors import StartupError
from local_stack.template import PROJECT_ROOT
from tests.support.local_stack_process import LocalStackProcess

FIXTURES = Path(__file__).parent / "fixtures"
HTTP_API = str(FIXTURES / "http_api.yaml")


@pytest.mark.parametrize(
    ("arguments", "overrides"),
    [
        (
            ["MaxAttempts=3 RetryDelaysSeconds=1,1"],
            {"MaxAttempts": "3", "RetryDelaysSeconds": "1,1"},
        ),
        (
            ["MaxAttempts=3", "RetryDelaysSeconds=1"],
            {"MaxAttempts": "3", "RetryDelaysSeconds": "1"},
        ),
        (["ParameterKey=MaxAttempts,ParameterValue=2"], {"MaxAttempts": "2"}),
        (['Greeting="good day"'], {"Greeting": "good day"}),
        (["Empty="], {"Empty": ""}),
    ],
)
def test_parameter_overrides_are_read_as_sam_reads_them(arguments, overrides):
    assert parse_parameter_overrides(arguments) == overrides


def run_cli(*arguments: str, environment: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "local_stack", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(environment or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(completed: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert completed.returncode != 0
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("local_stack: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_a_malformed_parameter_override_is_a_usage_error():
    completed = run_cli("--parameter-overrides", "MaxAttempts", "--port", "0")

    assert completed.returncode == 2
    assert "--parameter-overrides: MaxAttempts is not Key=Value" in completed.stderr


def test_an_unknown_parameter_is_named():
    completed = run_cli("--parameter-overrides", "NoSuchParameter=1", "--port", "0")

    assert_one_line_error(completed, "unknown parameter(s): NoSuchParameter")


def test_a_parameter_outside_its_range_is_named():
    completed = run_cli("--parameter-overrides", "MaxAttempts=0", "--port", "0")

    assert_one_line_error(completed, "MaxAttempts=0 is below 1")


def test_a_port_in_use_is_named(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        completed = run_cli("--port", str(port), "--state-file", str(tmp_path / "s.json"))

    assert_one_line_error(completed, f"cannot listen on 127.0.0.1:{port}", "in use")


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("rest_api.yaml", "ServerlessRestApi: REST APIs"),
        ("not_yaml.yaml", "cannot read"),
        ("no_such_template.yaml", "cannot read"),
    ],
)
def test_a_template_the_stack_cannot_read_is_named(tmp_path, template, fragment):
    completed = run_cli("--template", str(FIXTURES / template), "--port", "0")

    assert_one_line_error(completed, fragment)


def test_a_handler_that_fails_to_import_names_the_function(tmp_path):
    completed = run_cli(
        "--template",
        str(FIXTURES / "broken_import.yaml"),
        "--port",
        "0",
        "--state-file",
        str(tmp_path / "s.json"),
    )

    assert_one_line_error(completed, "BrokenFunction", "a_module_that_does_not_exist")
    assert not (tmp_path / "s.json").exists()


def test_dynamodb_local_without_java_is_named():
    completed = run_cli("--dynamodb", "dynamodb-local", environment={"PATH": "/nonexistent"})

    assert_one_line_error(completed, "needs Java", "java is not on PATH")


def test_installing_dynamodb_local_without_npm_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(StartupError, match="npm is not on PATH"):
        install(tmp_path / "dynamodb-local")


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie is gone too: only its parent's wait() is missing.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT])
def test_the_stack_prints_one_ready_line_and_stops_cleanly(tmp_path, signal_number):
    stack = LocalStackProcess(["--template", HTTP_API], tmp_path).start()
    workers = child_pids(stack.process.pid)
    state_written = stack.state_file.exists()

    stop_started = time.monotonic()
    exit_status = stack.stop(signal_number)
    stop_seconds = time.monotonic() - stop_started

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", stack.url)
    assert sum(line.startswith("API listening on ") for line in stack.lines) == 1
    assert any(line.startswith("Admin token (generated") for line in stack.lines)
    assert state_written
    assert not stack.state_file.exists()
    assert exit_status == 0
    assert stop_seconds < 15  # "within a few seconds", generously for a busy machine
    assert len(workers) == 7  # one warm worker per function of the fixture template
    assert all(gone(pid) for pid in workers)


def test_the_admin_token_is_taken_from_the_environment_and_not_printed(tmp_path):
    stack = LocalStackProcess(["--template", HTTP_API], tmp_path, {"ADMIN_TOKEN": "t0ken"})
    stack.start()
    stack.stop()

    assert not any("t0ken" in line for line in stack.lines)
    assert "t0ken" not in stack.log_path.read_text()


def test_env_vars_override_declared_variables_only(tmp_path):
    env_vars = tmp_path / "env.json"
    env_vars.write_text(
        json.dumps(
            {
                "Parameters": {"GREETING": "from-parameters"},
                "EchoFunction": {"GREETING": "from-function", "UNDECLARED": "x"},
            }
        )
    )
    stack = LocalStackProcess(["--template", HTTP_API, "--env-vars", str(env_vars)], tmp_path)
    stack.start()
    try:
        answer = requests.get(f"{stack.url}/items/1", timeout=10).json()
    finally:
        stack.stop()

    assert answer["greeting"] == "from-function"
    assert answer["undeclared"] is None
    assert "EchoFunction does not declare UNDECLARED" in stack.log_path.read_text()


def test_json_log_format_gives_one_object_per_invocation(tmp_path):
    stack = LocalStackProcess(["--template", HTTP_API, "--log-format", "json"], tmp_path).start()
    try:
        requests.get(f"{stack.url}/items/7", timeout=10)
        line = stack.wait_for_line(lambda line: "/items/7" in line, 10)
    finally:
        stack.stop()

    record = json.loads(line)
    assert record["function"] == "EchoFunction"
    assert record["outcome"] == "ok"
    assert record["method"] == "GET"
    assert record["path"] == "/items/7"
    assert record["status"] == 200
    assert record["durationMs"] > 0
    assert record["time"].endswith("Z")
