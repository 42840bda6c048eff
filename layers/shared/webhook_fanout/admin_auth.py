"""The admin bearer token check used by the HTTP API's Lambda authorizer."""

import hmac

_SCHEME = "bearer"


def is_admin_authorization(header_value: str | None, admin_token: str) -> bool:
    """True when the header is `Bearer <admin_token>`; compares in constant time."""
    if not header_value or not admin_token:
        return False
    scheme, _, presented_token = header_value.strip().partition(" ")
    if scheme.lower() != _SCHEME:
        return False
    # compare_digest takes time independent of where the first difference is, so the
    # token cannot be guessed byte by byte from response times.
    return hmac.compare_digest(presented_token.strip().encode(), admin_token.encode())
