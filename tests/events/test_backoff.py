"""The retry schedule: exponential, capped, jittered into [delay/2, delay]."""

from __future__ import annotations

import random

import pytest

from broker.events.backoff import retry_delay_s


def test_delays_double_and_stay_within_jitter_and_cap() -> None:
    rng = random.Random(1)
    for attempt in range(1, 40):
        full = min(30.0 * 2 ** (attempt - 1), 3600.0)
        delay = retry_delay_s(attempt, base_s=30.0, cap_s=3600.0, rng=rng)
        assert full / 2 <= delay <= full


def test_attempt_counts_from_one() -> None:
    with pytest.raises(ValueError):
        retry_delay_s(0, base_s=1.0, cap_s=10.0)
