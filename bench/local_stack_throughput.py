"""Fan-out through the whole local stack, against a plain thread pool posting directly.

Starts `python -m local_stack` and a receiver that answers every POST after 50 ms, each
in its own process on loopback. For each target count it registers that many webhooks
(through the admin API), then measures:

- pool: a ThreadPoolExecutor with as many threads as the sender may have POSTs in flight
  (SenderConcurrency x 10) posting one request per target, from start to last arrival;
- stack: GET /action until the last target's POST has arrived at the receiver.

Target of issue 4: for 1,000 targets, stack within 3 times pool. Prints both times and
their ratio per count, then the figures as JSON.

    .venv/bin/python -m bench.local_stack_throughput [--targets 1000 10000]
"""

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from local_stack.template import PROJECT_ROOT
from tests.support.local_stack_process import LocalStackProcess

RECEIVER_DELAY_MS = 50
SENDER_CONCURRENCY = 10
POSTS_PER_SENDER = 10
REGISTRATION_THREADS = 8
# Admin routes are throttled to 50 a second by default; registering thousands would
# measure the throttle. Functions log at WARNING, so that logging does not take the CPU.
STACK_ARGUMENTS = [
    "--parameter-overrides",
    f"SenderConcurrency={SENDER_CONCURRENCY}",
    "AdminThrottleRateLimit=100000",
    "AdminThrottleBurstLimit=100000",
]
ENV_VARS = {"Parameters": {"POWERTOOLS_LOG_LEVEL": "WARNING"}}


class Receiver:
    """bench.delayed_receiver in a subprocess."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.delayed_receiver", f"--delay-ms={RECEIVER_DELAY_MS}"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip().removeprefix("listening on ")

    def count(self, prefix: str) -> int:
        answer = requests.get(f"{self.url}/count", params={"prefix": prefix}, timeout=30)
        return int(answer.json()["count"])

    def arrival_of(self, prefix: str, count: int) -> float:
        """When the `count`-th POST under `prefix` arrived (waits for it)."""
        answer = requests.get(
            f"{self.url}/wait", params={"prefix": prefix, "count": count}, timeout=1000
        )
        answer.raise_for_status()
        return float(answer.json()["arrivedAt"])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def register(stack_url: str, token: str, target_urls: list[str]) -> None:
    local = threading.local()

    def post(target_url: str) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {token}"
        answer = local.session.post(f"{stack_url}/webhooks", json={"targetUrl": target_url})
        assert answer.status_code == 201, answer.text

    with ThreadPoolExecutor(REGISTRATION_THREADS) as pool:
        list(pool.map(post, target_urls))


def pool_seconds(receiver: Receiver, targets: int, run: str) -> float:
    """A thread pool of the sender's total concurrency posting to every target once."""
    prefix = f"/pool-{run}"
    local = threading.local()
    body = {"ipAddress": "127.0.0.1", "timestamp": int(time.time())}

    def post(index: int) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        local.session.post(f"{receiver.url}{prefix}/{index}", json=body, timeout=30)

    started = time.time()
    with ThreadPoolExecutor(SENDER_CONCURRENCY * POSTS_PER_SENDER) as pool:
        list(pool.map(post, range(targets)))
    return receiver.arrival_of(prefix, targets) - started


def stack_seconds(receiver: Receiver, stack_url: str, targets: int) -> tuple[float, float]:
    """GET /action until the last target received its POST; and /action's own time."""
    delivered_before = receiver.count("/stack/targets")
    started = time.time()
    answer = requests.get(f"{stack_url}/action", timeout=60)
    answered = time.time()
    assert answer.status_code == 202, answer.text
    assert answer.json()["queued"] == targets, answer.json()
    last_arrival = receiver.arrival_of("/stack/targets", delivered_before + targets)
    return last_arrival - started, answered - started


def measure(target_counts: list[int], work_folder: Path) -> list[dict[str, Any]]:
    receiver = Receiver()
    token = secrets.token_urlsafe(24)
    env_vars = work_folder / "env.json"
    env_vars.write_text(json.dumps(ENV_VARS))
    stack = LocalStackProcess(
        [*STACK_ARGUMENTS, "--env-vars", str(env_vars)], work_folder, {"ADMIN_TOKEN": token}
    )
    figures = []
    try:
        stack.start()
        registered = 0
        for targets in sorted(target_counts):
            urls = [f"{receiver.url}/stack/targets/{n}" for n in range(registered, targets)]
            register(stack.url, token, urls)
            registered = targets
            direct = pool_seconds(receiver, targets, run=str(targets))
            through_stack, action_seconds = stack_seconds(receiver, stack.url, targets)
            figures.append(
                {
                    "targets": targets,
                    "receiver_delay_ms": RECEIVER_DELAY_MS,
                    "concurrency": SENDER_CONCURRENCY * POSTS_PER_SENDER,
                    "pool_seconds": round(direct, 2),
                    "stack_seconds": round(through_stack, 2),
                    "action_answer_seconds": round(action_seconds, 2),
                    "ratio": round(through_stack / direct, 2),
                }
            )
            print(_summary(figures[-1]), flush=True)
    finally:
        stack.stop()
        receiver.stop()
    return figures


def _summary(figure: dict[str, Any]) -> str:
    return (
        f"{figure['targets']:>6} targets x {figure['receiver_delay_ms']} ms,"
        f" {figure['concurrency']} in flight: pool {figure['pool_seconds']:.2f} s,"
        f" local stack {figure['stack_seconds']:.2f} s (GET /action answered in"
        f" {figure['action_answer_seconds']:.2f} s), ratio {figure['ratio']:.2f}"
        f" (target for 1,000: <= 3)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, nargs="+", default=[1000, 10000])
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_folder:
        figures = measure(options.targets, Path(work_folder))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
