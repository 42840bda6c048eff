"""Target URL checks: the shape of the URL, and the addresses its host resolves to.

The shape is checked when a request is validated. The addresses are checked when a webhook
is registered or changed, and again before every send, because DNS answers change.
Sending also pins the connection to a checked address (see `webhook_fanout.http_client`),
so an answer that changes between this check and the connect cannot reach an internal host.
"""

import contextlib
import ipaddress
import re
import socket
from collections.abc import Callable, Sequence
from urllib.parse import SplitResult, urlsplit

from webhook_fanout.errors import TargetUrlRejected

MAX_TARGET_URL_LENGTH = 2048
ALLOWED_SCHEMES = ("http", "https")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

# Ranges that `is_global` does not already exclude on every supported Python, or that embed
# an IPv4 address a relay could forward to (NAT64, 6to4, Teredo).
_EXTRA_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in (
        "100.64.0.0/10",  # carrier-grade NAT, often routes to internal workloads
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # 6to4 relay anycast
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "2001::/32",  # Teredo
        "2002::/16",  # 6to4
    )
)


def parse_target_url(url: str) -> SplitResult:
    """Return the parts of `url`, or raise TargetUrlRejected naming what is wrong with it."""
    if len(url) > MAX_TARGET_URL_LENGTH:
        raise TargetUrlRejected(f"URL is longer than {MAX_TARGET_URL_LENGTH} characters")
    if any(character.isspace() or ord(character) < 0x20 for character in url):
        raise TargetUrlRejected("URL contains white space or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as error:
        raise TargetUrlRejected(f"URL cannot be parsed: {error}") from None
    if parts.scheme not in ALLOWED_SCHEMES:
        raise TargetUrlRejected("URL scheme must be http or https")
    if not parts.hostname:
        raise TargetUrlRejected("URL has no host")
    if _literal_address(parts.hostname) is None and not _is_host_name(parts.hostname):
        raise TargetUrlRejected(f"URL host {parts.hostname!r} is not a valid host name")
    return parts


def check_target_address(
    url: str, *, allow_private: bool, resolve: Resolver | None = None
) -> None:
    """Raise TargetUrlRejected if any address of the URL's host is not a public one.

    A host that does not resolve is accepted: DNS may be down for a moment, and the check
    before each send refuses it later if it then resolves to an internal address.
    """
    parts = parse_target_url(url)
    if allow_private:
        return
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in addresses_of(host, port, resolve or resolve_with_dns):
        if is_blocked_address(address):
            raise TargetUrlRejected(
                f"host {host} resolves to {address}, which is not a public address"
            )


def addresses_of(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """The addresses `host` stands for: itself if it is a literal, else what DNS answers."""
    literal = _literal_address(host)
    if literal is not None:
        return [literal]
    if host == "localhost" or host.endswith(".localhost"):
        # RFC 6761: these names always mean the loopback interface, whatever DNS says.
        return [ipaddress.IPv4Address("127.0.0.1")]
    return [ipaddress.ip_address(answer.split("%", 1)[0]) for answer in resolve(host, port)]


def resolve_with_dns(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [str(socket_address[0]) for *_, socket_address in answers]


def is_blocked_address(address: IPAddress) -> bool:
    """True for every address that is not globally routable unicast."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        not address.is_global
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or any(address in network for network in _EXTRA_BLOCKED_NETWORKS)
    )


_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _is_host_name(host: str) -> bool:
    """A DNS name of letters, digits, hyphens and underscores, non-ASCII ones via IDNA."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.lower().removesuffix(".").split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.match(label) for label in labels)


def _literal_address(host: str) -> IPAddress | None:
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host)
    # The C resolver also reads IPv4 in forms `ipaddress` refuses, such as 2130706433,
    # 0x7f000001 and 127.1; read them the same way so that they cannot slip past.
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
