"""Webhook targets: refuse addresses inside the deployment (SSRF) unless the operator allows them.

A URL's host is resolved and every address it resolves to must be public: loopback, private
(RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254 among them), carrier-grade NAT,
multicast, reserved and unspecified addresses are refused. The check runs when a subscription is
saved and again before every delivery, and the POST then goes to the address that was checked
(so a DNS answer that changes in between cannot redirect it). ``BROKER_WEBHOOK_ALLOW_PRIVATE=true``
lifts the refusal for internal deployments and tests.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class UnsafeTarget(ValueError):
    """The URL is not one a webhook may be sent to."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # as written in the URL (the Host header and, for https, the TLS server name)
    port: int
    address: str  # the checked address the POST connects to


def is_internal(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT)
    )


def parse(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a webhook URL, or ``UnsafeTarget`` saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeTarget("a webhook URL must start with http:// or https://")
    if parts.username or parts.password:
        raise UnsafeTarget("a webhook URL must not carry a user name or password")
    host = parts.hostname
    if not host:
        raise UnsafeTarget("a webhook URL needs a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("the webhook URL's port is not a number between 0 and 65535") from None
    return parts.scheme, host, port


def resolve(url: str, *, allow_private: bool) -> Target:
    """Resolve ``url`` and check every address; the first checked address is the one to connect to."""
    scheme, host, port = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"the webhook host {host!r} does not resolve ({exc})") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    if not addresses:
        raise UnsafeTarget(f"the webhook host {host!r} does not resolve")
    internal = [str(a) for a in addresses if is_internal(a)]
    if internal and not allow_private:
        raise UnsafeTarget(
            f"the webhook host {host!r} resolves to an internal address ({internal[0]}); such targets "
            "are refused unless BROKER_WEBHOOK_ALLOW_PRIVATE is set"
        )
    return Target(url=url, scheme=scheme, host=host, port=port, address=str(addresses[0]))
