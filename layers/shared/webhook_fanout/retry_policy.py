"""When a failed delivery is tried again, and when it is given up."""

import math
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# SQS cannot delay a message for longer than this.
MAX_DELAY_SECONDS = 900

# Delays are spread by up to this fraction either way, so that targets that failed
# together (one outage) are not all retried in the same second.
JITTER_FRACTION = 0.2


def retry_delay_seconds(
    attempts_made: int,
    delays_seconds: Sequence[int],
    retry_after_seconds: float | None = None,
    rng: random.Random | None = None,
) -> int:
    """Seconds to wait before the attempt after `attempts_made` attempts.

    The schedule's last delay repeats for later attempts. A `Retry-After` from the target
    wins over the schedule, as the target knows best when it will be back; it is not
    jittered (a retry must never come sooner than the target asked), only capped.
    """
    if retry_after_seconds is not None:
        return min(math.ceil(max(retry_after_seconds, 0)), MAX_DELAY_SECONDS)
    scheduled = delays_seconds[min(attempts_made, len(delays_seconds)) - 1]
    spread = (rng or random).uniform(1 - JITTER_FRACTION, 1 + JITTER_FRACTION)
    return min(round(scheduled * spread), MAX_DELAY_SECONDS)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() also accepts digits like '¹', which float() refuses.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
