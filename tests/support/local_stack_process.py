"""`python -m local_stack` as a subprocess, the way a developer or CI starts it."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_stack.template import PROJECT_ROOT

READY_PREFIX = "API listening on "


class StackDidNotStart(Exception):
    """No ready line came before the timeout; the message ends with its stderr."""


class LocalStackProcess:
    """Starts the stack on a free port and keeps every line it prints on stdout.

    Its stderr (the functions' own logs) goes to `log_path`, to read when a test fails.
    """

    def __init__(
        self,
        arguments: list[str],
        work_folder: Path,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.state_file = work_folder / "stack.json"
        self.log_path = work_folder / "stack-stderr.log"
        self.arguments = ["--port", "0", "--state-file", str(self.state_file), *arguments]
        self.environment = {**os.environ, **(environment or {})}
        self.lines: list[str] = []
        self.url = ""
        self._changed = threading.Condition()
        self._process: subprocess.Popen[str] | None = None

    @property
    def process(self) -> subprocess.Popen[str]:
        assert self._process is not None, "call start() first"
        return self._process

    def start(self, timeout_seconds: float = 120) -> "LocalStackProcess":
        with open(self.log_path, "w") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local_stack", *self.arguments],
                cwd=PROJECT_ROOT,
                env=self.environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        try:
            ready = self.wait_for_line(lambda line: line.startswith(READY_PREFIX), timeout_seconds)
        except TimeoutError:
            self.stop()
            raise StackDidNotStart(
                f"no ready line; stderr ends with: {self.stderr_tail()}"
            ) from None
        self.url = ready.removeprefix(READY_PREFIX)
        return self

    def _read_stdout(self) -> None:
        assert self._process is not None
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for_line(self, predicate: Callable[[str], bool], timeout_seconds: float) -> str:
        deadline = time.monotonic() + timeout_seconds
        with self._changed:
            while True:
                found = next((line for line in self.lines if predicate(line)), None)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise TimeoutError(f"no such line among {len(self.lines)}")
                self._changed.wait(min(remaining, 0.5))

    def invocation_lines(self, function: str) -> list[str]:
        with self._changed:
            return [line for line in self.lines if f" {function} " in line]

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_file.read_text())  # type: ignore[no-any-return]

    def stderr_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text() if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, signal_number: int = signal.SIGTERM, timeout_seconds: float = 20) -> int:
        process = self.process
        if process.poll() is None:
            process.send_signal(signal_number)
            try:
                process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode
