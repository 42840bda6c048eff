import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from webhook_fanout.retry_policy import (
    JITTER_FRACTION,
    MAX_DELAY_SECONDS,
    parse_retry_after,
    retry_delay_seconds,
)

SCHEDULE = (10, 60, 300, 900)


@pytest.mark.parametrize(
    ("attempts_made", "scheduled"), [(1, 10), (2, 60), (3, 300), (4, 900), (9, 900)]
)
def test_delays_follow_the_schedule_within_the_jitter(attempts_made, scheduled):
    rng = random.Random(1)
    delays = [retry_delay_seconds(attempts_made, SCHEDULE, rng=rng) for _ in range(200)]
    low = round(scheduled * (1 - JITTER_FRACTION))
    high = min(round(scheduled * (1 + JITTER_FRACTION)), MAX_DELAY_SECONDS)
    assert all(low <= delay <= high for delay in delays)
    assert len(set(delays)) > 1 or low == high


def test_a_zero_schedule_retries_at_once():
    assert retry_delay_seconds(3, (0,)) == 0


def test_retry_after_wins_over_the_schedule_and_is_never_shortened():
    assert retry_delay_seconds(1, SCHEDULE, retry_after_seconds=2) == 2
    assert retry_delay_seconds(1, SCHEDULE, retry_after_seconds=2.1) == 3
    assert retry_delay_seconds(4, SCHEDULE, retry_after_seconds=0) == 0


def test_retry_after_is_capped_at_the_longest_sqs_delay():
    assert retry_delay_seconds(1, SCHEDULE, retry_after_seconds=86400) == MAX_DELAY_SECONDS


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after(" 7 ") == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(hours=1), usegmt=True), now) == 0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5e3", "Thu, 99 Foo 2026"])
def test_unusable_retry_after_values_are_ignored(value):
    assert parse_retry_after(value) is None
