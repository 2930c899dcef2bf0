"""When to retry a failed webhook: exponential backoff with jitter, capped."""

from __future__ import annotations

import random


def retry_delay_s(attempt: int, *, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1 = the first).

    ``base_s * 2**(attempt-1)``, capped at ``cap_s``, then scaled by a random factor in [0.5, 1]
    so that receivers coming back from an outage are not hit by every sender at once.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    exponent = min(attempt - 1, 30)  # 2**30 s is past any cap; keeps the float finite
    delay = min(base_s * 2.0**exponent, cap_s)
    return delay * (0.5 + 0.5 * (rng or random).random())
