"""Webhook targets inside the deployment are refused unless the operator allows them."""

from __future__ import annotations

import ipaddress

import pytest

from broker.events import ssrf


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.5/hook",
        "http://172.16.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://[::1]/hook",
        "http://[fd00::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://224.0.0.1/hook",
    ],
)
def test_internal_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(ssrf.UnsafeTarget, match="internal address"):
        ssrf.resolve(url, allow_private=False)


def test_internal_targets_are_allowed_when_configured() -> None:
    target = ssrf.resolve("http://127.0.0.1:9/hook?x=1", allow_private=True)
    assert (target.address, target.port, target.host) == ("127.0.0.1", 9, "127.0.0.1")


def test_a_public_address_passes() -> None:
    target = ssrf.resolve("https://93.184.216.34/hook", allow_private=False)
    assert target.scheme == "https" and target.port == 443


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/x", "http:// or https://"),
        ("http://user:pw@example.org/", "user name"),
        ("http:///nohost", "needs a host"),
        ("http://example.org:99999/", "port"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(ssrf.UnsafeTarget, match=message):
        ssrf.resolve(url, allow_private=True)


def test_every_internal_range_is_classified() -> None:
    for text in ("127.0.0.2", "10.0.0.0", "169.254.0.1", "::1", "fc00::", "100.127.255.255"):
        assert ssrf.is_internal(ipaddress.ip_address(text)), text
    for text in ("8.8.8.8", "2001:4860:4860::8888", "100.128.0.1"):
        assert not ssrf.is_internal(ipaddress.ip_address(text)), text
