"""Invoking a function the way Lambda does: in worker processes that stay warm.

A pool belongs to one function. It starts a worker when an invocation finds none idle,
up to the function's concurrency limit, and keeps it for the next invocations. Each
worker runs one invocation at a time. A worker that outlives the function's timeout is
killed and the invocation fails as `Sandbox.Timedout`; one that dies is replaced by the
next invocation that needs it.
"""

import json
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from local_stack.functions import FunctionSpec
from local_stack.template import LOCAL_REGION, PROJECT_ROOT
from local_stack.worker_protocol import PipeClosed, read_message, write_message

# Lambda allows 10 s for a cold start; a two-core machine starting ten workers at once
# needs more, and a slow cold start here is not the bug a timeout would suggest.
INIT_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 2.0


class FunctionInitError(Exception):
    """A function's handler could not be loaded; the message names the function."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class Invocation:
    """What one invocation returned, or Lambda's error object when it failed."""

    function_name: str
    request_id: str
    payload: Any
    error_type: str | None
    duration_ms: float
    init_ms: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_type is None

    @property
    def outcome(self) -> str:
        if self.error_type is None:
            return "ok"
        if self.error_type == TIMED_OUT:
            return "timeout"
        return f"error {self.error_type}"


TIMED_OUT = "Sandbox.Timedout"
EXITED = "Runtime.ExitError"
STOPPED = "LocalStack.Stopped"
THROTTLED = "TooManyRequestsException"


def worker_environment(spec: FunctionSpec, endpoint_variables: dict[str, str]) -> dict[str, str]:
    """Everything a worker's process sees in os.environ: no variable of this shell leaks in."""
    variables = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
        "LAMBDA_TASK_ROOT": str(spec.code_path),
        "_HANDLER": spec.handler,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout_seconds),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.logical_id}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_REGION": LOCAL_REGION,
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        # Keep a developer's real AWS profile and credentials out of reach of the code.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        # There is no X-Ray daemon to send traces to.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_SAM_LOCAL": "true",
    }
    return {**variables, **endpoint_variables, **spec.environment}


class WorkerPool:
    """The warm workers of one function, at most `max_workers` of them."""

    def __init__(self, spec: FunctionSpec, environment: dict[str, str], max_workers: int) -> None:
        self.spec = spec
        self.environment = environment
        self.max_workers = max_workers
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._starting = 0
        self._closed = False

    @property
    def size(self) -> int:
        with self._lock:
            return len(self._idle) + len(self._busy) + self._starting

    @property
    def busy(self) -> int:
        """Invocations running now."""
        with self._lock:
            return len(self._busy)

    def warm(self) -> None:
        """Start one worker now, so that a handler that cannot load fails the start-up."""
        worker = _Worker.start(self.spec, self.environment)
        with self._lock:
            self._idle.append(worker)
            self._lock.notify()

    def prewarm(self, count: int) -> None:
        """Start workers, one at a time, until the pool has `count` (or its limit).

        Lambda keeps the environments of a burst warm for the next one. Started ahead,
        they spare a laptop ten cold starts competing for its cores at the first burst.
        """
        while True:
            with self._lock:
                if self._closed or self.size >= min(count, self.max_workers):
                    return
                self._starting += 1
            try:
                worker = _Worker.start(self.spec, self.environment)
            except FunctionInitError:
                with self._lock:
                    self._starting -= 1
                return
            with self._lock:
                self._starting -= 1
                if self._closed:
                    worker.stop()
                    return
                self._idle.append(worker)
                self._lock.notify()

    def invoke(self, event: Any) -> Invocation:
        request_id = str(uuid.uuid4())
        if self.max_workers == 0:
            # Reserved concurrency 0 is how a function is switched off on AWS.
            return self._failure(request_id, THROTTLED, "Rate Exceeded.")
        worker, init_ms = self._acquire()
        if worker is None:
            return self._failure(request_id, STOPPED, "the local stack is stopping", 0.0)
        if isinstance(worker, FunctionInitError):
            return self._failure(request_id, worker.error_type, worker.message)
        started = time.monotonic()
        try:
            payload, error_type = worker.invoke(request_id, event, self.spec.timeout_seconds)
        finally:
            self._release(worker)
        duration_ms = (time.monotonic() - started) * 1000
        return Invocation(
            self.spec.logical_id, request_id, payload, error_type, duration_ms, init_ms
        )

    def close(self) -> None:
        """Stop every worker; invocations still running fail, as if their sandbox died."""
        with self._lock:
            self._closed = True
            idle, busy = list(self._idle), list(self._busy)
            self._idle.clear()
            self._lock.notify_all()
        for worker in idle:
            worker.stop()
        # A busy worker's pipes belong to the thread invoking it: killing the process makes
        # that thread see the end of the pipe, fail the invocation and clean up.
        for worker in busy:
            worker.process.kill()

    def _acquire(self) -> tuple["_Worker | FunctionInitError | None", float | None]:
        with self._lock:
            while not self._idle and self.size >= self.max_workers and not self._closed:
                self._lock.wait()
            if self._closed:
                return None, None
            if self._idle:
                worker = self._idle.pop()
                self._busy.add(worker)
                return worker, None
            self._starting += 1
        started = time.monotonic()
        try:
            worker = _Worker.start(self.spec, self.environment)
        except FunctionInitError as error:
            with self._lock:
                self._starting -= 1
                self._lock.notify()
            return error, None
        with self._lock:
            self._starting -= 1
            self._busy.add(worker)
            if self._closed:
                self._lock.notify_all()
        return worker, (time.monotonic() - started) * 1000

    def _release(self, worker: "_Worker") -> None:
        with self._lock:
            self._busy.discard(worker)
            if worker.alive and not self._closed:
                self._idle.append(worker)
            else:
                worker.stop()
            self._lock.notify()

    def _failure(
        self, request_id: str, error_type: str, message: str, duration_ms: float = 0.0
    ) -> Invocation:
        payload = {"errorType": error_type, "errorMessage": message}
        return Invocation(self.spec.logical_id, request_id, payload, error_type, duration_ms)


class _Worker:
    """One worker process and the two pipes to it."""

    def __init__(
        self, spec: FunctionSpec, process: subprocess.Popen[bytes], pipes: tuple[int, int]
    ):
        self.spec = spec
        self.process = process
        self.request_fd, self.response_fd = pipes
        self.alive = True

    @classmethod
    def start(cls, spec: FunctionSpec, environment: dict[str, str]) -> "_Worker":
        request_read, request_write = os.pipe()
        response_read, response_write = os.pipe()
        settings = {
            "logicalId": spec.logical_id,
            "codePath": str(spec.code_path),
            "handler": spec.handler,
            "timeoutSeconds": spec.timeout_seconds,
            "memoryMb": spec.memory_mb,
            "layerPaths": [str(path) for path in spec.layer_paths],
        }
        # The handler's stdout and stderr are the stack's stderr (file descriptor 2).
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local_stack.worker",
                f"--request-fd={request_read}",
                f"--response-fd={response_write}",
                f"--function={json.dumps(settings)}",
            ],
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=2,
            stderr=2,
            pass_fds=(request_read, response_write),
        )
        os.close(request_read)
        os.close(response_write)
        worker = cls(spec, process, (request_write, response_read))
        worker._wait_until_ready()
        return worker

    def _wait_until_ready(self) -> None:
        try:
            message = self._read(INIT_TIMEOUT_SECONDS)
        except (PipeClosed, TimeoutError) as error:
            self.stop()
            reason = self._exit_reason() if isinstance(error, PipeClosed) else "timed out"
            raise FunctionInitError(
                "Runtime.ExitError",
                f"{self.spec.logical_id}: its worker did not start ({reason})",
            ) from None
        if message.get("type") != "ready":
            self.stop()
            error = message.get("error", {})
            raise FunctionInitError(
                error.get("errorType", "Runtime.Unknown"),
                f"{self.spec.logical_id}: handler {self.spec.handler} failed to load: "
                f"{error.get('errorType')}: {error.get('errorMessage')} "
                f"(raised at {error.get('location')})",
            )

    def invoke(
        self, request_id: str, event: Any, timeout_seconds: float
    ) -> tuple[Any, str | None]:
        """Run one invocation; returns the payload and, when it failed, Lambda's error type."""
        request = {"requestId": request_id, "event": event, "remainingMs": timeout_seconds * 1000}
        try:
            write_message(self.request_fd, request)
            message = self._read(timeout_seconds)
        except TimeoutError:
            self.kill()
            message_text = f"RequestId: {request_id} Error: Task timed out after "
            return _error(TIMED_OUT, f"{message_text}{timeout_seconds:.2f} seconds")
        except PipeClosed:
            self.kill()
            reason = self._exit_reason()
            return _error(EXITED, f"RequestId: {request_id} Error: Runtime exited ({reason})")
        if message.get("type") == "result":
            return message.get("payload"), None
        error = message.get("error") or {}
        return error, str(error.get("errorType") or "Runtime.Unknown")

    def _read(self, timeout_seconds: float) -> dict[str, Any]:
        readable, _, _ = select.select([self.response_fd], [], [], timeout_seconds)
        if not readable:
            raise TimeoutError
        return read_message(self.response_fd)

    def _exit_reason(self) -> str:
        try:
            code = self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            return "still running"
        return f"signal {-code}" if code < 0 else f"exit status {code}"

    def stop(self) -> None:
        """Ask the worker to exit (end of its request pipe), and kill it if it does not."""
        self._close_pipes()
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.alive = False
        self.process.kill()
        self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        # Each descriptor is closed once: a number closed twice may by then belong to
        # another worker's pipe.
        self.alive = False
        fds = (self.request_fd, self.response_fd)
        self.request_fd = self.response_fd = -1
        for fd in fds:
            if fd >= 0:
                os.close(fd)


def _error(error_type: str, message: str) -> tuple[dict[str, str], str]:
    return {"errorType": error_type, "errorMessage": message}, error_type
