"""Token-bucket rate limiting per API key, in real (wall-clock) time."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBucketLimiter:
    """Allow `rate` requests per second per key, with bursts of up to `rate` requests.

    Each key's bucket contains at most `rate` tokens and refills at `rate` tokens per
    second. A rate of 0 disables the limit.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 0:
            raise ValueError(f"requests_per_second must be zero or more, got {rate}")
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def acquire(self, key: str) -> int:
        """Take a token for `key` and return 0, or return the whole seconds to wait (at least 1)."""
        if self.rate == 0:
            return 0
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - updated) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self.rate))
