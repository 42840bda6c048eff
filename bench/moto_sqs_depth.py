"""moto's SQS as its queue deepens, without and with the local stack's patch.

Ten threads send N messages of about 2 KB (ten targets' worth) with SendMessageBatch,
then ten threads drain them with ReceiveMessage and DeleteMessageBatch, against moto's
server on loopback in this process. Prints seconds per phase for each N, unpatched and
patched (local_stack/moto_sqs_patch.py), and the figures as JSON.

    .venv/bin/python -m bench.moto_sqs_depth [--messages 100 1000]
"""

import argparse
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local_stack.moto_sqs_patch import apply_sqs_patch, remove_sqs_patch

THREADS = 10
BODY = json.dumps({"targets": [{"targetUrl": "https://example.com/" + "x" * 150}] * 10})


def measure(messages: int, patched: bool) -> dict[str, Any]:
    if patched:
        apply_sqs_patch()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{server.get_host_and_port()[1]}"
        queue_url = _client(endpoint).create_queue(QueueName=f"depth-{uuid.uuid4().hex}")[
            "QueueUrl"
        ]
        send_seconds = _in_threads(lambda index: _send(endpoint, queue_url, messages, index))
        received: list[str] = []
        drain_seconds = _in_threads(lambda _: received.extend(_drain(endpoint, queue_url)))
    finally:
        server.stop()
        remove_sqs_patch()
    return {
        "messages": messages,
        "patched": patched,
        "send_seconds": round(send_seconds, 2),
        "drain_seconds": round(drain_seconds, 2),
        # Unpatched, concurrent receives can hand one message to two consumers.
        "received_twice": len(received) - len(set(received)),
        "lost": messages - len(set(received)),
    }


def _client(endpoint: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106 - moto's dummy key
    )


def _in_threads(work: Callable[[int], object]) -> float:
    threads = [threading.Thread(target=work, args=(index,)) for index in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _send(endpoint: str, queue_url: str, messages: int, thread_index: int) -> None:
    client = _client(endpoint)
    batches = range(thread_index * 10, messages, THREADS * 10)
    for first in batches:
        count = min(10, messages - first)
        client.send_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(n), "MessageBody": BODY} for n in range(count)],
        )


def _drain(endpoint: str, queue_url: str) -> list[str]:
    """The ids of the messages this consumer received, until the queue is empty."""
    client = _client(endpoint)
    drained: list[str] = []
    while True:
        batch = client.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if not batch:
            return drained
        client.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]}
                for n, message in enumerate(batch)
            ],
        )
        drained += [message["MessageId"] for message in batch]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, nargs="+", default=[100, 1000])
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    figures = []
    for messages in options.messages:
        for patched in (False, True):
            result = measure(messages, patched)
            figures.append(result)
            label = "patched  " if patched else "unpatched"
            print(
                f"{messages:>6} messages, moto {label}: send {result['send_seconds']:>6.2f} s,"
                f" drain {result['drain_seconds']:>6.2f} s, received twice"
                f" {result['received_twice']}, lost {result['lost']}",
                flush=True,
            )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
