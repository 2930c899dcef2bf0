"""Webhook signatures: HMAC-SHA256 over timestamp and body, checked against a plain reference."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any

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


def test_the_readme_recipe_verifies_what_the_service_signs() -> None:
    """The README's receiver-side ``verify`` (run as printed) accepts a real signature and refuses a
    changed body, another secret, a replay and a malformed header."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Alerts: webhooks") :]
    (recipe,) = re.findall(r"```python\n(.*?)```", section[: section.index("\n## ", 1)], flags=re.S)
    namespace: dict[str, Any] = {}
    exec(recipe, namespace)  # the README's own snippet, under test
    verify = namespace["verify"]
    body = b'{"id":"k","type":"exchange.status"}'
    header = signing.signature_header("whsec_x", int(time.time()), body)
    assert verify("whsec_x", header, body)
    assert not verify("whsec_x", header, body + b" ")
    assert not verify("whsec_y", header, body)
    assert not verify("whsec_x", signing.signature_header("whsec_x", int(time.time()) - 3600, body), body)
    assert not verify("whsec_x", "v1=abc", body)
