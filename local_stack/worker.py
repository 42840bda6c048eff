"""One execution environment of a Lambda function, run by the local stack as a subprocess.

    python -m local_stack.worker --request-fd R --response-fd W --function JSON

Like a Lambda sandbox, the worker imports the handler once (the cold start) and then runs
one invocation at a time for as long as the stack keeps it. Its working directory and the
head of sys.path are the function's code folder (Lambda's /var/task), followed by its
layers' folders (Lambda's /opt/python). The stack gives it exactly the function's
environment. Messages go over the two pipes named on the command line
(see worker_protocol); the handler's own stdout and stderr are the stack's stderr.
"""

import argparse
import decimal
import importlib
import json
import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from local_stack.functions import FunctionSpec, Handler, LocalLambdaContext
from local_stack.worker_protocol import PipeClosed, read_message, write_message

_PARENT_CHECK_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    options = _parse_arguments(argv)
    spec = _function_spec(json.loads(options.function))
    _enter_code_folder(spec)
    # The stack stops its workers itself; a Ctrl-C in the terminal reaches the whole
    # process group and would otherwise interrupt a handler halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _exit_when_orphaned()

    started = time.monotonic()
    try:
        handler = _load_handler(spec)
    except Exception as error:
        # No traceback here: the stack reports the error, with where it was raised, in one
        # line, and a start-up failure must read as one line.
        write_message(
            options.response_fd, {"type": "init_error", "error": _init_error(error, spec)}
        )
        return 1
    init_ms = (time.monotonic() - started) * 1000
    write_message(options.response_fd, {"type": "ready", "initMs": init_ms})

    while True:
        try:
            request = read_message(options.request_fd)
        except PipeClosed:
            return 0
        write_message(options.response_fd, _invoke(handler, spec, request))


def _parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_stack.worker")
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--function", required=True, help="the function's settings as JSON")
    return parser.parse_args(argv)


def _function_spec(settings: dict[str, Any]) -> FunctionSpec:
    return FunctionSpec(
        logical_id=settings["logicalId"],
        code_path=Path(settings["codePath"]),
        handler=settings["handler"],
        timeout_seconds=int(settings["timeoutSeconds"]),
        memory_mb=int(settings["memoryMb"]),
        environment={},
        layer_paths=tuple(Path(path) for path in settings["layerPaths"]),
        reserved_concurrency=None,
    )


# Limitation: a function imports its dependencies from the local virtual environment, not
# from what `sam build` would install from the layer's requirements.txt; a dependency
# missing there is found only on AWS.
# Limitation: between invocations a worker is not frozen as a Lambda sandbox is: threads a
# handler leaves running keep running.
def _enter_code_folder(spec: FunctionSpec) -> None:
    # `python -m` put the stack's own folder first on sys.path; a function must not see it.
    launch_folder = Path.cwd().resolve()
    sys.path[:] = [entry for entry in sys.path if entry and Path(entry).resolve() != launch_folder]
    sys.path[0:0] = [str(spec.code_path), *(str(path) for path in spec.layer_paths)]
    os.chdir(spec.code_path)


def _exit_when_orphaned() -> None:
    """Exit if the stack dies without stopping this worker (for example on SIGKILL)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _load_handler(spec: FunctionSpec) -> Handler:
    module = importlib.import_module(spec.module_name)
    handler = getattr(module, spec.function_name, None)
    if not callable(handler):
        raise _HandlerNotFound(f"Handler '{spec.function_name}' missing on module")
    return handler  # type: ignore[no-any-return]


class _HandlerNotFound(Exception):
    """The handler module has no attribute of the handler's name."""


def _init_error(error: Exception, spec: FunctionSpec) -> dict[str, str]:
    # Where in the function's own code (or its layers) the error came from, rather than
    # the depths of the standard library.
    own_folders = tuple(str(folder) for folder in (spec.code_path, *spec.layer_paths))
    frames = traceback.extract_tb(error.__traceback__)
    own_frames = [frame for frame in frames if frame.filename.startswith(own_folders)]
    frame = (own_frames or frames or [None])[-1]
    location = f"{frame.filename}:{frame.lineno}" if frame else "unknown"
    # The error types Lambda's Python runtime reports for a failed cold start.
    if isinstance(error, _HandlerNotFound):
        error_type, message = "Runtime.HandlerNotFound", str(error)
    elif isinstance(error, ImportError | SyntaxError):
        error_type, message = "Runtime.ImportModuleError", f"Unable to import module: {error}"
    else:
        error_type, message = type(error).__name__, str(error)
    return {"errorType": error_type, "errorMessage": message, "location": location}


def _invoke(handler: Handler, spec: FunctionSpec, request: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + request["remainingMs"] / 1000
    context = LocalLambdaContext(spec, request["requestId"], deadline)
    try:
        result = handler(request["event"], context)
    except Exception as error:
        # Lambda writes the traceback to the function's log and returns only the summary.
        traceback.print_exc()
        return {"type": "error", "error": _invocation_error(error)}
    try:
        payload = json.loads(json.dumps(result, default=_json_default))
    except (TypeError, ValueError) as error:
        return {
            "type": "error",
            "error": {"errorType": "Runtime.MarshalError", "errorMessage": str(error)},
        }
    return {"type": "result", "payload": payload}


def _invocation_error(error: Exception) -> dict[str, Any]:
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": [
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}' for frame in frames
        ],
    }


def _json_default(value: Any) -> Any:
    # Lambda's runtime serialises Decimal (what boto3's DynamoDB resource returns) as a number.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


if __name__ == "__main__":
    sys.exit(main())
