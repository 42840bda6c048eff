"""The command line: `python -m local_stack [options]` and `python -m local_stack invoke ...`.

Options follow `sam local start-api` and `sam local invoke` where they exist there. A
problem that stops the stack is one line on stderr, `local_stack: error: ...`, and a
non-zero exit status.
"""

import argparse
import json
import logging
import os
import shlex
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local_stack.env_vars import EnvVars, EnvVarsError, load_env_vars
from local_stack.errors import StartupError
from local_stack.http_server import PortInUse
from local_stack.invocation_log import LOG_FORMATS, InvocationLog
from local_stack.invoke import invoke_once, read_event
from local_stack.stack import DYNAMODB_BACKENDS, LocalStack, StackOptions
from local_stack.state_file import DEFAULT_STATE_FILE
from local_stack.template import TEMPLATE_PATH, TemplateError

EXIT_ERROR = 1

_EXPECTED_ERRORS = (TemplateError, StartupError, PortInUse, EnvVarsError)


class _StopRequested(Exception):
    """Raised in the main thread by the SIGINT and SIGTERM handlers, to stop cleanly."""


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    logging.basicConfig(format="local_stack: %(levelname)s: %(message)s", level=logging.WARNING)
    # cfn-lint logs the template problems it also returns; they reach the user once, as
    # the one-line error.
    logging.getLogger("cfnlint").setLevel(logging.CRITICAL)
    try:
        if arguments[:1] == ["invoke"]:
            return _invoke(_invoke_parser().parse_args(arguments[1:]))
        return _serve(_start_parser().parse_args(arguments))
    except _EXPECTED_ERRORS as error:
        print(f"local_stack: error: {error}", file=sys.stderr, flush=True)
        return EXIT_ERROR


def parse_parameter_overrides(items: list[str]) -> dict[str, str]:
    """`Key=Value` pairs, as one argument or many, or SAM's ParameterKey=..,ParameterValue=.."""
    overrides: dict[str, str] = {}
    for item in items:
        for token in shlex.split(item):
            if token.startswith("ParameterKey="):
                key_part, _, value_part = token.partition(",ParameterValue=")
                name, value = key_part.removeprefix("ParameterKey="), value_part
            else:
                name, separator, value = token.partition("=")
                if not separator:
                    raise argparse.ArgumentTypeError(token)
            if not name:
                raise argparse.ArgumentTypeError(token)
            overrides[name] = value
    return overrides


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-t",
        "--template",
        type=Path,
        default=TEMPLATE_PATH,
        help="the SAM template (default: template.yaml of this project)",
    )
    parser.add_argument(
        "--parameter-overrides",
        nargs="+",
        default=[],
        metavar="Key=Value",
        help="template parameters, for example MaxAttempts=3 RetryDelaysSeconds=1,1",
    )
    parser.add_argument(
        "-n",
        "--env-vars",
        type=Path,
        metavar="FILE",
        help='JSON of variable overrides: {"Parameters": {...}, "<LogicalId>": {...}}',
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=DEFAULT_STATE_FILE,
        help="where a running stack records its resources (default: .local/stack.json)",
    )


def _start_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack",
        description="Run the service locally: AWS endpoint, functions, HTTP API and SQS "
        "event sources from template.yaml. `python -m local_stack invoke --help` runs one "
        "function once.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("-p", "--port", type=_port, default=3000, help="0 picks a free port")
    _common_options(parser)
    parser.add_argument("--dynamodb", choices=DYNAMODB_BACKENDS, default="moto")
    parser.add_argument("--log-format", choices=LOG_FORMATS, default="text")
    return parser


def _invoke_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m local_stack invoke",
        description="Invoke one function with an event and print its response as JSON; "
        "against the running local stack's resources if there is one.",
    )
    parser.add_argument("logical_id", metavar="LogicalId")
    parser.add_argument("-e", "--event", type=Path, required=True, metavar="FILE")
    _common_options(parser)
    return parser


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 65535")
    return port


def _overrides_and_env_vars(
    parser: argparse.ArgumentParser, options: argparse.Namespace
) -> tuple[dict[str, str], EnvVars]:
    try:
        overrides = parse_parameter_overrides(options.parameter_overrides)
    except argparse.ArgumentTypeError as error:
        parser.error(f"--parameter-overrides: {error} is not Key=Value")
    env_vars = load_env_vars(options.env_vars) if options.env_vars else {}
    return overrides, env_vars


def _serve(options: argparse.Namespace) -> int:
    overrides, env_vars = _overrides_and_env_vars(_start_parser(), options)
    stack = LocalStack(
        StackOptions(
            host=options.host,
            port=options.port,
            parameter_overrides=overrides,
            env_vars=env_vars,
            dynamodb=options.dynamodb,
            log_format=options.log_format,
            admin_token=os.environ.get("ADMIN_TOKEN") or None,
            template_path=options.template,
            state_file=options.state_file,
        )
    )
    # Ctrl-C and SIGTERM interrupt the main thread, whether it is starting or waiting.
    signal.signal(signal.SIGINT, _request_stop)
    signal.signal(signal.SIGTERM, _request_stop)
    try:
        stack.start()
        if stack.token_generated:
            print(f"Admin token (generated; set ADMIN_TOKEN to choose it): {stack.admin_token}")
        print(f"API listening on {stack.url}", flush=True)
        threading.Event().wait()
    except _StopRequested:
        pass
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave processes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
    return 0


def _request_stop(signal_number: int, frame: FrameType | None) -> None:
    raise _StopRequested


def _invoke(options: argparse.Namespace) -> int:
    overrides, env_vars = _overrides_and_env_vars(_invoke_parser(), options)
    invocation = invoke_once(
        options.logical_id,
        read_event(options.event),
        template_path=options.template,
        parameter_overrides=overrides,
        env_vars=env_vars,
        state_file=options.state_file,
    )
    # The response alone goes to stdout, so that it can be piped; the summary to stderr.
    InvocationLog("text", sys.stderr).invocation(invocation)
    print(json.dumps(invocation.payload, indent=2))
    return 0 if invocation.succeeded else EXIT_ERROR
