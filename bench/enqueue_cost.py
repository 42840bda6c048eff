"""What one GET /action asks of AWS, and how long it takes, for 100 to 10,000 targets.

The trigger runs in this process against moto in another (bench/counted_moto.py), which
counts every SQS and DynamoDB call it answers. For each target count a fresh stack gets
that many webhooks written straight to its table (ids and URLs as long as real ones:
a UUID, and an https URL of about 70 characters); one GET /action warms the function,
then `runs` more are timed and counted, the queue being emptied after each.

Target of issue 7: at most 1.1 SendMessageBatch calls per 100 targets, plus the table's
read pages. moto answers a parallel scan segment in one page; DynamoDB ends a page at
1 MB of items read, so `aws_scan_pages` gives the pages AWS would need for the measured
item size, and `scan_read_units` what a strongly consistent scan of them costs.

    .venv/bin/python -m bench.enqueue_cost [--targets 100 1000 10000] [--runs 3]
"""

import argparse
import json
import math
import time
import uuid
from typing import Any

from bench.cost_model import DYNAMODB_PAGE_BYTES, dynamodb_item_bytes, scan_read_units
from bench.counted_moto import CountedMoto
from bench.support import in_process_stack, median
from tests.support.stack import InProcessStack, seed_webhooks
from webhook_fanout.fan_out import SCAN_SEGMENTS

SQS_PAYLOAD_CHUNK_BYTES = 64 * 1024
# Limitation: moto answers each scan segment in one page whatever its size, so the pages
# AWS would need (aws_scan_pages) are computed from the item sizes, not counted.


def measure(target_counts: list[int], runs: int) -> list[dict[str, Any]]:
    figures = []
    with CountedMoto() as moto, in_process_stack(moto.url) as make_stack:
        for targets in target_counts:
            stack = make_stack()
            seed_webhooks(stack, _realistic_webhooks(targets))
            item_bytes = [dynamodb_item_bytes(item) for item in stack.table_items()]
            _action(stack)
            message_bytes = _message_bytes(stack)
            _drain(stack)
            seconds = []
            for _ in range(runs):
                before = moto.calls()
                started = time.perf_counter()
                _action(stack)
                seconds.append(time.perf_counter() - started)
                calls = moto.calls() - before
                _drain(stack)
            figures.append(_figures(targets, seconds, calls, item_bytes, message_bytes))
            print(_summary(figures[-1]), flush=True)
    return figures


def _figures(
    targets: int, seconds: list[float], calls: Any, item_bytes: list[int], message_bytes: int
) -> dict[str, Any]:
    send_batches = calls.calls["sqs.SendMessageBatch"]
    table_bytes = sum(item_bytes)
    segment_bytes = table_bytes / SCAN_SEGMENTS
    return {
        "targets": targets,
        "action_seconds": round(median(seconds), 3),
        "api_calls": dict(sorted(calls.calls.items())),
        "moto_seconds": {name: round(s, 3) for name, s in sorted(calls.seconds.items())},
        "send_message_batch_per_100_targets": round(100 * send_batches / targets, 2),
        "scan_pages_moto": calls.calls["dynamodb.Scan"],
        "aws_scan_pages": SCAN_SEGMENTS * max(1, math.ceil(segment_bytes / DYNAMODB_PAGE_BYTES)),
        "webhook_item_bytes": round(median(item_bytes)),
        "scan_read_units": scan_read_units(table_bytes, SCAN_SEGMENTS),
        "message_body_bytes": message_bytes,
        "billed_requests_per_send_batch": math.ceil(10 * message_bytes / SQS_PAYLOAD_CHUNK_BYTES),
    }


def _realistic_webhooks(count: int) -> dict[str, str]:
    # Never contacted: GET /action only queues. The sizes make the item and message sizes.
    return {
        str(uuid.uuid4()): f"https://hooks.example.com/webhooks/{uuid.uuid4()}"
        for _ in range(count)
    }


def _action(stack: InProcessStack) -> None:
    response = stack.call_api("TriggerFunction", "GET", "/action")
    assert response.status == 202, response.body


def _message_bytes(stack: InProcessStack) -> int:
    """Median body size of the full messages (10 targets) now in the delivery queue."""
    client = stack.endpoints.client("sqs")
    messages = client.receive_message(
        QueueUrl=stack.physical_id("DeliveryQueue"), MaxNumberOfMessages=10
    ).get("Messages", [])
    sizes = [len(m["Body"].encode()) for m in messages if json.loads(m["Body"])["targets"][9:]]
    return round(median(sizes)) if sizes else 0


def _drain(stack: InProcessStack) -> None:
    """Empty the delivery queue, so that every run starts from an empty one.

    moto allows one PurgeQueue a minute, as SQS does; receiving is not limited.
    """
    client = stack.endpoints.client("sqs")
    queue_url = stack.physical_id("DeliveryQueue")
    while messages := client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                for n, message in enumerate(messages)
            ],
        )


def _summary(figure: dict[str, Any]) -> str:
    calls = figure["api_calls"]
    return (
        f"{figure['targets']:>6} targets: GET /action {figure['action_seconds']:.2f} s,"
        f" {calls.get('sqs.SendMessageBatch', 0)} SendMessageBatch"
        f" ({figure['send_message_batch_per_100_targets']} per 100 targets),"
        f" {calls.get('dynamodb.Scan', 0)} Scan, {calls.get('dynamodb.PutItem', 0)} PutItem"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(json.dumps(measure(options.targets, options.runs)))


if __name__ == "__main__":
    main()
