"""The target URL check: shape first, then every address the host stands for."""

import ipaddress

import pytest

from webhook_fanout.errors import TargetUrlRejected
from webhook_fanout.url_guard import (
    MAX_TARGET_URL_LENGTH,
    check_target_address,
    is_blocked_address,
    parse_target_url,
)

PUBLIC_ADDRESS = "93.184.215.14"


def resolve_to(*addresses: str):
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


def no_dns(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} should not need DNS")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/hooks/1",
        "http://example.com:8080/path?query=1#fragment",
        "https://user:password@example.com/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        "https://bücher.example/hook",
        "https://under_score.example.com/",
        "HTTPS://EXAMPLE.COM/",
    ],
)
def test_well_formed_public_urls_are_accepted(url):
    check_target_address(url, allow_private=False, resolve=resolve_to(PUBLIC_ADDRESS))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("example.com/hook", "scheme"),
        ("//example.com/hook", "scheme"),
        ("https://", "no host"),
        ("http:///path-only", "no host"),
        ("https://example.com:99999/", "cannot be parsed"),
        ("https://[::1/", "cannot be parsed"),
        ("https://exa mple.com/", "white space"),
        ("https://example.com/\r\nX-Injected: 1", "white space"),
        ("https://example.com/" + "a" * MAX_TARGET_URL_LENGTH, "longer than"),
        ("https://;/", "not a valid host name"),
        ("https://exa..mple.com/", "not a valid host name"),
        ("https://-leading.example/", "not a valid host name"),
        ("https://" + "a" * 64 + ".example/", "not a valid host name"),
        ("https://a%2fb.example/", "not a valid host name"),
    ],
)
def test_malformed_urls_are_refused_with_the_reason(url, reason):
    with pytest.raises(TargetUrlRejected, match=reason):
        parse_target_url(url)


def test_a_url_of_exactly_the_limit_is_accepted_and_one_more_character_is_not():
    base = "https://example.com/"
    longest = base + "a" * (MAX_TARGET_URL_LENGTH - len(base))
    parse_target_url(longest)
    with pytest.raises(TargetUrlRejected, match="longer than 2048"):
        parse_target_url(longest + "a")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:10.0.0.1]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://localhost/",
        "http://LOCALHOST:8080/",
        "http://api.localhost/",
        "http://[64:ff9b::a00:1]/",
    ],
)
def test_non_public_literal_hosts_are_refused_without_dns(url):
    with pytest.raises(TargetUrlRejected, match="not a public address"):
        check_target_address(url, allow_private=False, resolve=no_dns)


def test_a_name_is_refused_when_any_of_its_addresses_is_private():
    resolve = resolve_to(PUBLIC_ADDRESS, "10.1.2.3")
    with pytest.raises(TargetUrlRejected, match=r"10\.1\.2\.3"):
        check_target_address("https://mixed.example/", allow_private=False, resolve=resolve)


def test_a_name_that_does_not_resolve_is_accepted_and_checked_again_at_send_time():
    check_target_address("https://nowhere.invalid/", allow_private=False, resolve=resolve_to())


def test_allowing_private_targets_skips_the_address_check_but_not_the_shape():
    check_target_address("http://127.0.0.1:8000/hook", allow_private=True, resolve=no_dns)
    with pytest.raises(TargetUrlRejected, match="scheme"):
        check_target_address("ftp://127.0.0.1/", allow_private=True, resolve=no_dns)


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("192.0.2.1", True),  # documentation range
        ("198.18.0.1", True),  # benchmarking range
        ("::ffff:8.8.8.8", False),
        ("2002:7f00:1::", True),  # 6to4 wrapping 127.0.0.1
        ("ff02::1", True),
    ],
)
def test_blocked_addresses(address, blocked):
    assert is_blocked_address(ipaddress.ip_address(address)) is blocked
