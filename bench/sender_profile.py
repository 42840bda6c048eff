"""Where one sender invocation spends its time, and what it asks of AWS.

One invocation takes 10 messages of 10 targets (the event source's BatchSize), as in the
end-to-end benchmark, against bench.delayed_receiver answering in 50 ms. moto runs in
its own process (bench/counted_moto.py), which counts the AWS calls the invocation makes;
the sender runs in this one, with each stage timed by a wrapper around it, and the CPU
time of this process during the invocation (the sender's own work, as moto and the
receiver run elsewhere) measured too:

- webhook lookup: BatchGetItem of the targets' URLs and signing secrets;
- POST window: every target through the sliding window of 10;
- requeue and dead-letter writes: SendMessageBatch for targets that failed (none here);
- metrics and delivery log: the recorders, after the messages are settled.

With 10 POSTs in flight and 50 ms per answer, the window alone needs 100 x 50 / 10 =
500 ms. One more invocation runs with Powertools logging at INFO and metrics on, as
deployed, to measure the bytes it writes to its log (what CloudWatch Logs ingests).

    .venv/bin/python -m bench.sender_profile [--runs 10]
"""

import argparse
import contextlib
import io
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from bench.cost_model import dynamodb_item_bytes
from bench.counted_moto import CountedMoto
from bench.delayed_receiver import DelayedReceiver
from bench.delivery_log_cost import TimedRecorder
from bench.support import in_process_stack, median
from tests.support.operations import sender_event
from tests.support.stack import InProcessStack, seed_webhooks
from webhook_fanout.observability import logger

TARGETS = 100
RECEIVER_DELAY_MS = 50
POSTS_IN_FLIGHT = 10
_Result = TypeVar("_Result")


def measure(runs: int) -> dict[str, Any]:
    stage_seconds: dict[str, list[float]] = {}
    invocation_seconds: list[float] = []
    invocation_cpu_seconds: list[float] = []
    with (
        CountedMoto() as moto,
        in_process_stack(moto.url) as make_stack,
        DelayedReceiver(RECEIVER_DELAY_MS) as receiver,
    ):
        stack = make_stack()
        seed_webhooks(
            stack,
            {str(uuid.uuid4()): receiver.target_url("/profile", n) for n in range(TARGETS)},
        )
        _time_stages(stack, stage_seconds)
        for run in range(runs + 1):
            event = _queued_event(stack)
            calls_before = moto.calls()
            started, cpu_started = time.perf_counter(), time.process_time()
            # Powertools prints a metric's values itself once they reach 100.
            with contextlib.redirect_stdout(io.StringIO()):
                response = stack.invoke("SenderFunction", event)
            elapsed = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            calls = moto.calls() - calls_before
            assert response == {"batchItemFailures": []}, response
            if not run:  # the first run pays for connections and the import
                for timings in stage_seconds.values():
                    timings.clear()
            else:
                invocation_seconds.append(elapsed)
                invocation_cpu_seconds.append(cpu_seconds)
        log_bytes = _log_bytes_of_one_invocation(stack)
        log_items = stack.table_items("DeliveryLogTable")
    stages_ms = {name: round(median(s) * 1000, 1) for name, s in stage_seconds.items()}
    total_ms = round(median(invocation_seconds) * 1000, 1)
    return {
        "targets": TARGETS,
        "receiver_delay_ms": RECEIVER_DELAY_MS,
        "runs": runs,
        "window_floor_ms": TARGETS * RECEIVER_DELAY_MS / POSTS_IN_FLIGHT,
        "invocation_ms": total_ms,
        "invocation_cpu_ms": round(median(invocation_cpu_seconds) * 1000, 1),
        "stage_ms": stages_ms | {"other": round(total_ms - sum(stages_ms.values()), 1)},
        "api_calls": dict(sorted(calls.calls.items())),
        "log_bytes_per_invocation": log_bytes,
        "delivery_log_item_bytes": round(
            median([dynamodb_item_bytes(item) for item in log_items if "webhookId" in item])
        ),
    }


def _time_stages(stack: InProcessStack, stage_seconds: dict[str, list[float]]) -> None:
    """Wrap the sender's stages, on this instance only, with timers."""
    sender = stack.module("SenderFunction").sender
    stages = {
        "webhook lookup": (sender.store, "sending_details"),
        "POST window": (sender, "_attempt_all"),
        "requeue and dead-letter writes": (sender, "_settle"),
    }
    for name, (owner, attribute) in stages.items():
        timings = stage_seconds.setdefault(name, [])
        setattr(owner, attribute, _timed(getattr(owner, attribute), timings))
    recorder_names = {"DeliveryMetricsRecorder": "metrics", "DeliveryLogRecorder": "delivery log"}
    sender.recorders = [
        TimedRecorder(
            recorder,
            stage_seconds.setdefault(recorder_names.get(type(recorder).__name__, "other"), []),
        )
        for recorder in sender.recorders
    ]


def _timed(function: Callable[..., _Result], timings: list[float]) -> Callable[..., _Result]:
    def timed(*args: Any, **kwargs: Any) -> _Result:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            timings.append(time.perf_counter() - started)

    return timed


def _queued_event(stack: InProcessStack) -> dict[str, Any]:
    stack.call_api("TriggerFunction", "GET", "/action")
    event = sender_event(stack)
    assert len(event["Records"]) == TARGETS // 10, len(event["Records"])
    return event


def _log_bytes_of_one_invocation(stack: InProcessStack) -> int:
    """Bytes of log lines and EMF metrics one invocation writes at INFO, as deployed."""
    event = _queued_event(stack)
    buffer = io.StringIO()
    with _deployed_logging(buffer), contextlib.redirect_stdout(buffer):
        stack.invoke("SenderFunction", event)
    return len(buffer.getvalue().encode())


@contextlib.contextmanager
def _deployed_logging(stream: io.StringIO) -> Iterator[None]:
    handler = logger.registered_handler
    level = logger.log_level
    metrics_disabled = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    previous_stream = handler.setStream(stream)  # type: ignore[attr-defined]
    logger.setLevel("INFO")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
    try:
        yield
    finally:
        handler.setStream(previous_stream)  # type: ignore[attr-defined]
        logger.setLevel(level)
        os.environ["POWERTOOLS_METRICS_DISABLED"] = metrics_disabled or "true"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    figures = measure(parser.parse_args().runs)
    print(
        f"sender invocation, {figures['targets']} targets x {figures['receiver_delay_ms']} ms"
        f" (window floor {figures['window_floor_ms']:.0f} ms):"
        f" median {figures['invocation_ms']} ms"
    )
    for name, milliseconds in figures["stage_ms"].items():
        print(f"  {name:<32} {milliseconds:8.1f} ms")
    print(f"  AWS calls: {figures['api_calls']}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
