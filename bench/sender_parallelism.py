"""One sender invocation with 10 targets against a receiver that answers in 200 ms.

Target: under 1.3 x 200 ms, which only a window that keeps all 10 POSTs in flight at
once can reach. Runs in-process against moto's server on loopback; prints its figures.

    .venv/bin/python -m bench.sender_parallelism [--runs 20]
"""

import argparse
import json
import statistics
import time

from bench.support import in_process_stack
from local_stack.receiver import Reply, WebhookReceiver
from tests.support.sqs_pump import take_all
from tests.support.stack import seed_webhooks

RECEIVER_DELAY_SECONDS = 0.2
TARGETS = 10


def measure(runs: int) -> dict[str, float]:
    with (
        in_process_stack() as make_stack,
        WebhookReceiver(
            lambda request, earlier: Reply(delay_seconds=RECEIVER_DELAY_SECONDS)
        ) as receiver,
    ):
        stack = make_stack()
        seed_webhooks(stack, {f"w{n}": receiver.url(f"t/{n}") for n in range(TARGETS)})
        durations = []
        for run in range(runs + 1):
            stack.call_api("TriggerFunction", "GET", "/action")
            (message,) = take_all(stack, "DeliveryQueue")
            event = {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]}
            started = time.perf_counter()
            response = stack.invoke("SenderFunction", event)
            elapsed = time.perf_counter() - started
            assert response == {"batchItemFailures": []}, response
            if run:  # the first run pays for the cold start
                durations.append(elapsed)
    median = statistics.median(durations)
    return {
        "targets": TARGETS,
        "receiver_delay_ms": RECEIVER_DELAY_SECONDS * 1000,
        "runs": runs,
        "median_ms": round(median * 1000, 1),
        "p90_ms": round(sorted(durations)[int(0.9 * (len(durations) - 1))] * 1000, 1),
        "ratio_to_one_request": round(median / RECEIVER_DELAY_SECONDS, 2),
        "target_ratio": 1.3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    figures = measure(parser.parse_args().runs)
    print(
        f"sender invocation, {figures['targets']} targets x {figures['receiver_delay_ms']:.0f} ms:"
        f" median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms,"
        f" {figures['ratio_to_one_request']} x one request (target < {figures['target_ratio']})"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
