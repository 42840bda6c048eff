"""One POST to one target, and what its result means for the delivery."""

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import requests
import urllib3
from requests_hardened.ip_filter import InvalidIPAddress

from webhook_fanout.errors import TargetUrlRejected
from webhook_fanout.retry_policy import parse_retry_after
from webhook_fanout.url_guard import check_target_address

# A target's answer is not used; at most this much of it is read, so that a huge or
# endless body cannot hold a sender slot or its memory.
MAX_RESPONSE_BYTES = 64 * 1024
_READ_CHUNK_BYTES = 16 * 1024

# 410 Gone says the endpoint will never come back: retrying only adds load.
_PERMANENT_STATUS_CODES = frozenset({410})


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # worth another attempt
    REFUSED = "refused"  # no attempt can succeed: dead-letter it now


@dataclass(frozen=True)
class AttemptResult:
    outcome: Outcome
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    retry_after_seconds: float | None = None
    # UNIX time the attempt started; the delivery log orders a delivery's attempts by it.
    started_at: float = field(default_factory=time.time)


def attempt_delivery(
    session: requests.Session,
    url: str,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout_seconds: float,
    allow_private_targets: bool,
) -> AttemptResult:
    started = time.monotonic()
    started_at = time.time()

    def result(outcome: Outcome, **details: Any) -> AttemptResult:
        elapsed_ms = round((time.monotonic() - started) * 1000)
        return AttemptResult(outcome, elapsed_ms, started_at=started_at, **details)

    try:
        # Checked again at send time: what a name resolves to may have changed since
        # registration. The session then connects only to an address it checked itself.
        check_target_address(url, allow_private=allow_private_targets)
        response = session.post(
            url,
            data=body,
            headers=headers,
            timeout=(timeout_seconds, timeout_seconds),
            allow_redirects=False,
            stream=True,
        )
    except TargetUrlRejected as error:
        return result(Outcome.REFUSED, error=f"blocked address: {error}")
    except InvalidIPAddress:
        return result(Outcome.REFUSED, error="blocked address: resolved to a non-public address")
    except requests.Timeout:
        return result(Outcome.FAILED, error="timeout")
    except requests.ConnectionError:
        return result(Outcome.FAILED, error="connection error")
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as error:
        return result(Outcome.REFUSED, error=f"invalid URL: {type(error).__name__}")
    except requests.RequestException as error:
        return result(Outcome.FAILED, error=f"request error: {type(error).__name__}")

    with response:
        _drain(response, deadline=started + timeout_seconds * 2)
    status = response.status_code
    if 200 <= status < 300:
        return result(Outcome.DELIVERED, status_code=status)
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if status in _PERMANENT_STATUS_CODES:
        return result(Outcome.REFUSED, status_code=status, error=f"status {status}")
    kind = "redirect" if 300 <= status < 400 else "status"
    return result(
        Outcome.FAILED,
        status_code=status,
        error=f"{kind} {status}",
        retry_after_seconds=retry_after,
    )


def _drain(response: requests.Response, deadline: float) -> None:
    """Read and drop up to MAX_RESPONSE_BYTES, so that a short answer frees the connection."""
    received = 0
    try:
        while received < MAX_RESPONSE_BYTES and time.monotonic() < deadline:
            chunk = response.raw.read(_READ_CHUNK_BYTES, decode_content=False)
            if not chunk:
                return
            received += len(chunk)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
        # The status line and headers have arrived; a broken body changes nothing.
        return
