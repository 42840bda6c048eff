"""One line per invocation on the stack's stdout, for a person (text) or a machine (json).

Text: `16:43:46.609 RegisterWebhookFunction 8.9 ms ok POST /webhooks 201`, with the cold
start's duration when the invocation started a worker. JSON: one object per line with
the keys time, function, requestId, durationMs, outcome and, where they apply,
initDurationMs, errorType, method, path, status, source and messages.
"""

import json
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any, TextIO

from local_stack.worker_pool import Invocation

LOG_FORMATS = ("text", "json")


class InvocationLog:
    def __init__(self, log_format: str = "text", stream: TextIO | None = None) -> None:
        if log_format not in LOG_FORMATS:
            raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
        self.log_format = log_format
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def invocation(self, invocation: Invocation, **details: Any) -> None:
        """Log an invocation; `details` say what caused it (method, path, status, ...)."""
        record: dict[str, Any] = {
            "function": invocation.function_name,
            "requestId": invocation.request_id,
            "durationMs": round(invocation.duration_ms, 1),
            "outcome": invocation.outcome,
        }
        if invocation.init_ms is not None:
            record["initDurationMs"] = round(invocation.init_ms, 1)
        if invocation.error_type is not None:
            record["errorType"] = invocation.error_type
        self._write({**record, **details})

    def answered_by_gateway(self, method: str, path: str, status: int) -> None:
        """Log a request that API Gateway answered itself (404, 401, 429, 413...)."""
        self._write({"function": "-", "method": method, "path": path, "status": status})

    def _write(self, record: dict[str, Any]) -> None:
        now = time.time()
        if self.log_format == "json":
            stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
            line = json.dumps({"time": stamp.replace("+00:00", "Z"), **record})
        else:
            line = _text_line(now, record)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()


def _text_line(now: float, record: dict[str, Any]) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(now)) + f".{int(now % 1 * 1000):03d}"
    parts = [stamp, record["function"]]
    if "durationMs" in record:
        parts += [f"{record['durationMs']:.1f} ms", record["outcome"]]
    if "initDurationMs" in record:
        parts.append(f"(cold start {record['initDurationMs']:.0f} ms)")
    if "method" in record:
        parts += [record["method"], record["path"]]
    if "status" in record:
        parts.append(str(record["status"]))
    if "source" in record:
        parts += [record["source"], f"{record['messages']} messages"]
        if "failedMessages" in record:
            parts.append(f"{record['failedMessages']} failed")
    return " ".join(parts)
