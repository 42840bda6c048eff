"""Messages between the local stack and a function's worker process.

Each message is a JSON object in a frame: four bytes of big-endian length, then the UTF-8
JSON. Frames travel over two pipes of their own, never over the worker's stdout or
stderr, so that whatever a handler prints (Powertools logs JSON to stdout) cannot be taken
for, or corrupt, a message.

The worker sends `{"type": "ready"}` or `{"type": "init_error", "error": {...}}` once after
importing the handler; then, for every `{"requestId", "event", "remainingMs"}` it reads,
one `{"type": "result", "payload": ...}` or `{"type": "error", "error": {...}}`.
"""

import json
import os
import struct
from typing import Any

_LENGTH = struct.Struct(">I")


class PipeClosed(Exception):
    """The other end closed its pipe: the worker exited, or the stack closed the worker."""


def write_message(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":")).encode()
    _write_all(fd, _LENGTH.pack(len(data)) + data)


def read_message(fd: int) -> dict[str, Any]:
    (length,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size))
    message = json.loads(_read_exactly(fd, length))
    if not isinstance(message, dict):
        raise ValueError("a worker message must be a JSON object")
    return message


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except (BrokenPipeError, OSError) as error:
        raise PipeClosed(str(error)) from error


def _read_exactly(fd: int, size: int) -> bytes:
    chunks = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            raise PipeClosed("end of file")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
