"""Fan-out through the whole local stack, against the machine's limit and the naive approach.

Starts `python -m local_stack` (SenderConcurrency 10) and bench.delayed_receiver, each in a
process of its own on loopback, registers the targets through the admin API, and then,
for each scenario, runs these three in turn, `runs` times over:

- limit: a thread pool with 100 POSTs in flight posting to every target directly;
- naive: lockstep batches of 10 behind 10 workers (bench/baselines.py has the model);
- stack: GET /action until the last target has had its answer.

Scenarios: `even`, every target answers in 50 ms; `uneven`, the same but 10% of the
targets (drawn with a fixed seed) answer in 2 s. Each figure is the median of the runs;
the ratios are stack over limit and stack over naive.

While it runs it also records, for the stack: the timeline of each fan-out from the
stack's invocation log (trigger, first and last sender invocation, messages per
invocation); the CPU seconds each kind of process used; the peak RSS of the stack's
whole process tree (sampled every 100 ms) and each sender worker's own peak (VmHWM).

    .venv/bin/python -m bench.local_stack_throughput [--targets 1000] [--runs 3]
"""

import argparse
import json
import math
import random
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from bench.baselines import lockstep_seconds, thread_pool_seconds
from bench.delayed_receiver import DelayedReceiver
from bench.process_tree import (
    ProcessTreeSampler,
    ProcessUsage,
    cpu_seconds_by_label,
    tree_pss_bytes,
    tree_usage,
    usage,
)
from bench.support import median
from tests.support.local_stack_process import LocalStackProcess

RECEIVER_DELAY_MS = 50
SLOW_DELAY_MS = 2000
SLOW_FRACTION = 0.1
SLOW_TARGETS_SEED = 7
SENDER_CONCURRENCY = 10
POSTS_PER_SENDER = 10
TARGETS_PER_MESSAGE = 10
REGISTRATION_THREADS = 8
STACK_PREFIX = "/stack/targets"
# Admin routes are throttled to 50 a second by default; registering thousands would
# measure the throttle. Functions log at WARNING, so that logging does not take the CPU.
STACK_ARGUMENTS = [
    "--log-format",
    "json",
    "--parameter-overrides",
    f"SenderConcurrency={SENDER_CONCURRENCY}",
    "AdminThrottleRateLimit=100000",
    "AdminThrottleBurstLimit=100000",
]
ENV_VARS = {"Parameters": {"POWERTOOLS_LOG_LEVEL": "WARNING"}}
# Limitation: the stack, the receiver and the comparisons share this machine's cores; on
# two cores the stack's fan-out is bound by CPU (its figures say how much each process
# used), where on AWS each sender invocation has a CPU share of its own.
SCENARIOS = {"even": 0.0, "uneven": SLOW_FRACTION}


def measure(targets: int, runs: int, work_folder: Path) -> dict[str, Any]:
    receiver = DelayedReceiver(RECEIVER_DELAY_MS)
    token = secrets.token_urlsafe(24)
    env_vars = work_folder / "env.json"
    env_vars.write_text(json.dumps(ENV_VARS))
    stack = LocalStackProcess(
        [*STACK_ARGUMENTS, "--env-vars", str(env_vars)], work_folder, {"ADMIN_TOKEN": token}
    )
    try:
        stack.start()
        _wait_for_sender_workers(stack.process.pid)
        register(stack.url, token, [receiver.target_url(STACK_PREFIX, n) for n in range(targets)])
        idle = tree_usage(stack.process.pid)
        idle_pss_bytes = tree_pss_bytes(stack.process.pid)
        with ProcessTreeSampler(stack.process.pid) as sampler:
            scenarios = {
                name: _run_scenario(receiver, stack, targets, runs, name, slow_fraction)
                for name, slow_fraction in SCENARIOS.items()
            }
        busy = tree_usage(stack.process.pid)
        busy_pss_bytes = tree_pss_bytes(stack.process.pid)
    finally:
        stack.stop()
        receiver.stop()
    return {
        "targets": targets,
        "runs": runs,
        "receiver_delay_ms": RECEIVER_DELAY_MS,
        "sender_concurrency": SENDER_CONCURRENCY,
        "posts_in_flight": SENDER_CONCURRENCY * POSTS_PER_SENDER,
        "scenarios": scenarios,
        "memory": _memory(idle, busy, sampler.peak_rss_bytes)
        | {"tree_idle_pss_mib": _mib(idle_pss_bytes), "tree_after_pss_mib": _mib(busy_pss_bytes)},
    }


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


def _run_scenario(
    receiver: DelayedReceiver,
    stack: LocalStackProcess,
    targets: int,
    runs: int,
    name: str,
    slow_fraction: float,
) -> dict[str, Any]:
    slow = random.Random(SLOW_TARGETS_SEED).sample(range(targets), round(targets * slow_fraction))
    receiver.set_slow_targets(slow, SLOW_DELAY_MS)
    in_flight = SENDER_CONCURRENCY * POSTS_PER_SENDER
    results: list[dict[str, Any]] = []
    for run in range(runs):
        prefix = f"/{name}-{run}"
        limit = _with_cpu(
            receiver,
            None,
            lambda p=prefix: thread_pool_seconds(receiver, targets, f"{p}-limit", in_flight),
        )
        naive = _with_cpu(
            receiver,
            None,
            lambda p=prefix: lockstep_seconds(receiver, targets, f"{p}-naive", SENDER_CONCURRENCY),
        )
        fan_out = _with_cpu(receiver, stack, lambda: _stack_fan_out(receiver, stack, targets))
        results.append({"limit": limit, "naive": naive, "stack": fan_out})
        print(_run_summary(name, run, results[-1]), flush=True)
    limit_seconds = median([r["limit"]["seconds"] for r in results])
    naive_seconds = median([r["naive"]["seconds"] for r in results])
    stack_seconds = median([r["stack"]["seconds"] for r in results])
    return {
        "slow_targets": len(slow),
        "slow_delay_ms": SLOW_DELAY_MS if slow else None,
        "limit_seconds": round(limit_seconds, 2),
        "naive_seconds": round(naive_seconds, 2),
        "stack_seconds": round(stack_seconds, 2),
        "stack_to_limit": round(stack_seconds / limit_seconds, 2),
        "stack_to_naive": round(stack_seconds / naive_seconds, 2),
        "action_seconds": round(median([r["stack"]["action_seconds"] for r in results]), 2),
        "runs": results,
    }


def _stack_fan_out(
    receiver: DelayedReceiver, stack: LocalStackProcess, targets: int
) -> dict[str, Any]:
    """GET /action until the last target had its answer, and the stack's own timeline."""
    delivered_before = receiver.count(STACK_PREFIX)
    lines_before = len(stack.lines)
    started = time.time()
    answer = requests.get(f"{stack.url}/action", timeout=60)
    answered = time.time()
    assert answer.status_code == 202, answer.text
    assert answer.json()["queued"] == targets, answer.json()
    last_answer = receiver.answered_by(STACK_PREFIX, delivered_before + targets)
    messages = math.ceil(targets / TARGETS_PER_MESSAGE)
    invocations = _invocations_settled(stack, lines_before, messages)
    return {
        "seconds": last_answer - started,
        "action_seconds": round(answered - started, 3),
        **_timeline(invocations, started),
    }


def _invocations_settled(
    stack: LocalStackProcess, first_line: int, messages: int, timeout_seconds: float = 120
) -> list[dict[str, Any]]:
    """The invocation log's records from `first_line` on, once senders took `messages`."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        records = [json.loads(line) for line in stack.lines[first_line:] if line.startswith("{")]
        taken = sum(r.get("messages", 0) for r in records if r["function"] == "SenderFunction")
        if taken >= messages or time.monotonic() > deadline:
            return records
        time.sleep(0.05)


def _timeline(records: list[dict[str, Any]], started: float) -> dict[str, Any]:
    """Seconds after GET /action was sent; the log stamps an invocation when it ends."""
    senders = [r for r in records if r["function"] == "SenderFunction"]
    trigger = next(r for r in records if r["function"] == "TriggerFunction")
    ends = [_epoch(r["time"]) - started for r in senders]
    starts = [end - r["durationMs"] / 1000 for end, r in zip(ends, senders, strict=True)]
    per_message_ms = [r["durationMs"] / r["messages"] for r in senders if r["messages"]]
    return {
        "trigger_ms": trigger["durationMs"],
        "first_sender_start_seconds": round(min(starts), 3),
        "last_sender_end_seconds": round(max(ends), 3),
        "sender_invocations": len(senders),
        "messages_per_invocation": sorted(r["messages"] for r in senders),
        "sender_median_ms": round(median([r["durationMs"] for r in senders]), 1),
        "sender_max_ms": max(r["durationMs"] for r in senders),
        "sender_ms_per_message": round(median(per_message_ms), 1),
        "failed_messages": sum(r.get("failedMessages", 0) for r in senders),
    }


def _with_cpu(
    receiver: DelayedReceiver,
    stack: LocalStackProcess | None,
    run: Callable[[], float | dict[str, Any]],
) -> dict[str, Any]:
    """Run one fan-out; adds the CPU seconds of this process, the receiver and the stack."""
    receiver_before = usage(receiver.pid)
    stack_before = cpu_seconds_by_label(tree_usage(stack.process.pid)) if stack else {}
    bench_before = time.process_time()
    outcome = run()
    bench_cpu = time.process_time() - bench_before
    receiver_after = usage(receiver.pid)
    result = outcome if isinstance(outcome, dict) else {"seconds": outcome}
    result["seconds"] = round(result["seconds"], 3)
    cpu = {"bench": bench_cpu}
    if receiver_before and receiver_after:
        cpu["receiver"] = receiver_after.cpu_seconds - receiver_before.cpu_seconds
    if stack is not None:
        stack_after = cpu_seconds_by_label(tree_usage(stack.process.pid))
        for label, seconds in stack_after.items():
            cpu[label] = seconds - stack_before.get(label, 0.0)
    result["cpu_seconds"] = {label: round(s, 2) for label, s in cpu.items() if s > 0}
    return result


def _memory(
    idle: list[ProcessUsage], busy: list[ProcessUsage], tree_peak_bytes: int
) -> dict[str, Any]:
    idle_senders = [p for p in idle if p.label == "SenderFunction"]
    busy_senders = [p for p in busy if p.label == "SenderFunction"]
    stack_process = next(p for p in busy if p.label == "local_stack")
    return {
        "tree_idle_rss_mib": _mib(sum(p.rss_bytes for p in idle)),
        "tree_peak_rss_mib": _mib(tree_peak_bytes),
        "processes": len(busy),
        "stack_process_peak_rss_mib": _mib(stack_process.peak_rss_bytes),
        "sender_worker_idle_rss_mib": _mib(median([p.rss_bytes for p in idle_senders])),
        "sender_worker_peak_rss_mib": _mib(max(p.peak_rss_bytes for p in busy_senders)),
    }


def _mib(size_bytes: float) -> float:
    return round(size_bytes / (1024 * 1024), 1)


def _wait_for_sender_workers(stack_pid: int, timeout_seconds: float = 180) -> None:
    """The stack warms its senders in the background; measuring starts once all are up."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        workers = [p for p in tree_usage(stack_pid) if p.label == "SenderFunction"]
        if len(workers) >= SENDER_CONCURRENCY:
            return
        time.sleep(0.5)
    raise TimeoutError("the stack did not start its sender workers")


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def _run_summary(name: str, run: int, result: dict[str, Any]) -> str:
    stack = result["stack"]
    return (
        f"{name} run {run + 1}: limit {result['limit']['seconds']:.2f} s,"
        f" naive {result['naive']['seconds']:.2f} s, stack {stack['seconds']:.2f} s"
        f" (GET /action {stack['action_seconds']:.2f} s,"
        f" last sender ended {stack['last_sender_end_seconds']:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work_folder:
        figures = measure(options.targets, options.runs, Path(work_folder))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
