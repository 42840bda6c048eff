"""The HTTP session that posts to targets: one per warm container, pooled, hardened.

requests-hardened pins each connection to an address it checked, so a DNS answer that
changes between the check and the connect cannot reach an internal address; it also
refuses redirects and applies default timeouts.
"""

import requests
from requests_hardened import Config, HTTPSession

USER_AGENT = "webhook-fanout/0.1"


def create_http_session(
    *, allow_private_targets: bool, timeout_seconds: float
) -> requests.Session:
    session: requests.Session = HTTPSession(
        Config(
            ip_filter_enable=not allow_private_targets,
            ip_filter_allow_loopback_ips=False,
            never_redirect=True,
            default_timeout=(timeout_seconds, timeout_seconds),
            user_agent_override=USER_AGENT,
        )
    )
    # Proxy variables and .netrc would route around the address filter or add
    # credentials; a sender to arbitrary URLs uses neither.
    session.trust_env = False
    return session
