"""Signatures of deliveries, following the Standard Webhooks specification.

Each webhook has its own secret, `whsec_` and 32 random bytes in base64. A delivery is
signed as HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` over the exact bytes
sent, so that a receiver can check who sent it, and that neither body nor time was changed:
https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
"""

import base64
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature_headers(
    delivery_id: str, timestamp: int, body: bytes, signing_secrets: Iterable[str]
) -> dict[str, str]:
    """The webhook-* headers of one attempt.

    Several secrets give several space-separated signatures: during a rotation the
    delivery is signed with the new and the previous secret, so that a receiver still
    holding the previous one keeps accepting deliveries until it updates.
    """
    sent_at = datetime.fromtimestamp(timestamp, UTC)
    payload = body.decode()
    signatures = [
        Webhook(secret).sign(delivery_id, sent_at, payload) for secret in signing_secrets
    ]
    headers = {"webhook-id": delivery_id, "webhook-timestamp": str(timestamp)}
    if signatures:
        headers["webhook-signature"] = " ".join(signatures)
    return headers
