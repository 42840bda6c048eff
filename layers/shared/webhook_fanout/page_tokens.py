"""Opaque `nextToken` values for paginated listings.

A token carries the key at which DynamoDB stopped, plus a checksum so that a token this
API did not issue (truncated, hand-edited, or made up) is refused with a 422 before it
reaches DynamoDB. The checksum is not a secret: a token only chooses where a page starts,
in data the caller may read anyway.
"""

import base64
import binascii
import hashlib
import json
from collections.abc import Collection

from webhook_fanout.errors import InvalidPageToken

_CHECKSUM_LENGTH = 16


def encode_page_token(key: dict[str, str]) -> str:
    payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{encoded}.{_checksum(encoded)}"


def decode_page_token(token: str, key_names: Collection[str]) -> dict[str, str]:
    """Return the key inside `token`, which must have exactly `key_names`, all strings."""
    encoded, _, checksum = token.partition(".")
    if not encoded or checksum != _checksum(encoded):
        raise InvalidPageToken
    try:
        key = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidPageToken from None
    if not isinstance(key, dict) or set(key) != set(key_names):
        raise InvalidPageToken
    if not all(isinstance(value, str) and value for value in key.values()):
        raise InvalidPageToken
    return key


def _checksum(encoded: str) -> str:
    digest = hashlib.sha256(b"webhook-fanout page token\n" + encoded.encode()).hexdigest()
    return digest[:_CHECKSUM_LENGTH]
