"""Webhook signatures: HMAC-SHA256 over timestamp and body, checked against a plain reference."""

from __future__ import annotations

import hashlib
import hmac

from broker.events import signing


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"id":"dlv_1","type":"match.reviewed"}'
    header = signing.signature_header("whsec_test", 1_700_000_000, body)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert signing.verify("whsec_test", header, body, now=1_700_000_010)


def test_changed_body_wrong_secret_or_old_timestamp_fail() -> None:
    body = b'{"a":1}'
    header = signing.signature_header("s1", 1000, body)
    assert not signing.verify("s1", header, b'{"a":2}', now=1000)
    assert not signing.verify("s2", header, body, now=1000)
    assert not signing.verify("s1", header, body, now=1000 + signing.DEFAULT_TOLERANCE_S + 1)
    assert not signing.verify("s1", "garbage", body, now=1000)
    assert not signing.verify("s1", "t=notanumber,v1=00", body, now=1000)


def test_new_secrets_differ_and_are_long() -> None:
    a, b = signing.new_secret(), signing.new_secret()
    assert a != b and len(a) > 40
