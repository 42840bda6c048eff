"""The delivery log's cost on the sender's hot path: time per attempt with and without it.

Each run is one sender invocation of 100 targets (10 messages of 10) against a receiver
that answers at once, so that recording is as large a share of the invocation as it can
be. Runs alternate between the sender with no recorders, with the metrics recorder only,
and as deployed (metrics and the delivery log), so that drift hits all three alike. The
time inside each recorder is measured on its own too. DynamoDB is moto's server on
loopback: on AWS a BatchWriteItem takes longer, so read the log's figure as a floor.

    .venv/bin/python -m bench.delivery_log_cost [--runs 15]
"""

import argparse
import contextlib
import io
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench.support import in_process_stack
from local_stack.receiver import WebhookReceiver
from tests.support.operations import sender_event
from tests.support.stack import InProcessStack, seed_webhooks
from webhook_fanout import aws_clients
from webhook_fanout.delivery_log import DeliveryLogStore
from webhook_fanout.delivery_recording import DeliveryLogRecorder, DeliveryMetricsRecorder
from webhook_fanout.observability import logger
from webhook_fanout.sender import ResultRecorder, TargetResult

TARGETS = 100


class TimedRecorder:
    """Passes results on to a recorder and remembers how long it took."""

    def __init__(self, recorder: ResultRecorder, timings: list[float]) -> None:
        self.recorder = recorder
        self.timings = timings

    def record(self, results: Sequence[TargetResult], failed_message_ids: Sequence[str]) -> None:
        started = time.perf_counter()
        self.recorder.record(results, failed_message_ids)
        self.timings.append(time.perf_counter() - started)


def queued_event(stack: InProcessStack) -> dict[str, list[dict[str, str]]]:
    stack.call_api("TriggerFunction", "GET", "/action")
    return sender_event(stack)


def measure(runs: int) -> dict[str, Any]:
    # The functions share this logger; a line per batch at INFO would bury the figures.
    logger.setLevel("WARNING")
    invocation_seconds: dict[str, list[float]] = defaultdict(list)
    recorder_seconds: dict[str, list[float]] = defaultdict(list)
    with in_process_stack() as make_stack, WebhookReceiver() as receiver:
        stack = make_stack()
        seed_webhooks(stack, {f"w{n}": receiver.url(f"ok/{n}") for n in range(TARGETS)})
        sender = stack.module("SenderFunction").sender
        log_store = DeliveryLogStore(
            stack.physical_id("DeliveryLogTable"), client=aws_clients.dynamodb_for_quick_writes()
        )
        setups = {
            "no recorders": [],
            "metrics only": [
                TimedRecorder(DeliveryMetricsRecorder(), recorder_seconds["metrics"])
            ],
            "metrics and delivery log": [
                TimedRecorder(DeliveryMetricsRecorder(), recorder_seconds["metrics"]),
                TimedRecorder(DeliveryLogRecorder(log_store), recorder_seconds["delivery log"]),
            ],
        }
        for run in range(runs + 1):
            for name, recorders in setups.items():
                event = queued_event(stack)
                assert len(event["Records"]) == TARGETS // 10
                sender.recorders = recorders
                started = time.perf_counter()
                # Powertools prints a metric's values itself once they reach 100.
                with contextlib.redirect_stdout(io.StringIO()):
                    response = stack.invoke("SenderFunction", event)
                elapsed = time.perf_counter() - started
                assert response == {"batchItemFailures": []}, response
                if run:  # the first round pays for cold starts and connection set-up
                    invocation_seconds[name].append(elapsed)
            if not run:
                for timings in recorder_seconds.values():
                    timings.clear()

    def per_attempt_ms(seconds: list[float]) -> float:
        return round(statistics.median(seconds) * 1000 / TARGETS, 3)

    baseline = per_attempt_ms(invocation_seconds["no recorders"])
    deployed = per_attempt_ms(invocation_seconds["metrics and delivery log"])
    return {
        "targets_per_invocation": TARGETS,
        "runs": runs,
        "per_attempt_ms": {name: per_attempt_ms(s) for name, s in invocation_seconds.items()},
        "recorder_per_attempt_ms": {
            name: per_attempt_ms(s) for name, s in recorder_seconds.items()
        },
        "recorder_per_invocation_ms_p90": {
            name: round(sorted(s)[int(0.9 * (len(s) - 1))] * 1000, 1)
            for name, s in recorder_seconds.items()
        },
        "added_per_attempt_ms": round(deployed - baseline, 3),
        "added_percent": round(100 * (deployed - baseline) / baseline, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    figures = measure(parser.parse_args().runs)
    print(
        f"sender, {figures['targets_per_invocation']} targets an invocation, median per attempt:"
    )
    for name, milliseconds in figures["per_attempt_ms"].items():
        print(f"  {name:<26} {milliseconds:7.3f} ms")
    for name, milliseconds in figures["recorder_per_attempt_ms"].items():
        print(f"  inside the {name} recorder: {milliseconds:.3f} ms per attempt")
    print(
        f"  the deployed recorders add {figures['added_per_attempt_ms']} ms per attempt"
        f" ({figures['added_percent']}%) against a receiver that answers at once"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
