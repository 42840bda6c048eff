"""What the stack's fan-out is compared with: the machine's limit and the naive approach.

Both post one request per target straight to the receiver, with the same number of POSTs
in flight as the stack may have (SenderConcurrency x 10), and return the seconds from
their start until the last target had its answer.

- The limit (`thread_pool_seconds`): one thread pool of that many threads takes targets
  one by one, so a thread that finishes starts the next target at once.
- The naive approach (`lockstep_seconds`): what a sender without a sliding window does.
  Targets are packed as the stack packs them, 10 to a message and 10 messages to a batch;
  `workers` workers (SenderConcurrency) each take a batch at a time, as an invocation
  would, and post a message's 10 targets at once, waiting for the slowest of them before
  starting the next message. A slow target thus idles the 9 slots beside it.
"""

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import requests

from bench.delayed_receiver import DelayedReceiver

T = TypeVar("T")

TARGETS_PER_MESSAGE = 10
MESSAGES_PER_BATCH = 10


class _Poster:
    """POSTs the contract's body with one kept-alive session per thread."""

    def __init__(self, receiver: DelayedReceiver, prefix: str) -> None:
        self.receiver = receiver
        self.prefix = prefix
        self.body = {"ipAddress": "127.0.0.1", "timestamp": int(time.time())}
        self._local = threading.local()

    def post(self, index: int) -> None:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        url = self.receiver.target_url(self.prefix, index)
        self._local.session.post(url, json=self.body, timeout=30).raise_for_status()


def thread_pool_seconds(
    receiver: DelayedReceiver, targets: int, prefix: str, in_flight: int
) -> float:
    poster = _Poster(receiver, prefix)
    return _timed(
        receiver,
        prefix,
        targets,
        lambda: _run_all(ThreadPoolExecutor(in_flight), poster.post, range(targets)),
    )


def lockstep_seconds(receiver: DelayedReceiver, targets: int, prefix: str, workers: int) -> float:
    poster = _Poster(receiver, prefix)
    messages = _chunks(list(range(targets)), TARGETS_PER_MESSAGE)
    batches = _chunks(messages, MESSAGES_PER_BATCH)

    def send_batch(batch: Sequence[Sequence[int]]) -> None:
        with ThreadPoolExecutor(TARGETS_PER_MESSAGE) as posts:
            for message in batch:
                list(posts.map(poster.post, message))  # waits for the slowest

    return _timed(
        receiver,
        prefix,
        targets,
        lambda: _run_all(ThreadPoolExecutor(workers), send_batch, batches),
    )


def _timed(receiver: DelayedReceiver, prefix: str, targets: int, run: Callable[[], None]) -> float:
    started = time.time()
    run()
    return receiver.answered_by(prefix, targets) - started


def _run_all(
    executor: ThreadPoolExecutor, work: Callable[..., None], items: Sequence[object]
) -> None:
    with executor:
        list(executor.map(work, items))


def _chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
