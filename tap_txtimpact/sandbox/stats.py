"""Counters of report requests, for tests and benchmarks to read back."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class RequestStats:
    """Thread-safe counts of report requests by endpoint, campaign and status."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Set every count back to zero."""
        with self._lock:
            self._total = 0
            self._by_endpoint: Counter[str] = Counter()
            self._by_campaign: Counter[str] = Counter()
            self._by_status: Counter[str] = Counter()

    def record(self, endpoint: str, campaign: str | None, status: str) -> None:
        """Count one request by its HTTP status, or by "reset" when it got no response."""
        with self._lock:
            self._total += 1
            self._by_endpoint[endpoint] += 1
            if campaign is not None:
                self._by_campaign[campaign] += 1
            self._by_status[status] += 1

    def snapshot(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict."""
        with self._lock:
            return {
                "total": self._total,
                "by_endpoint": dict(self._by_endpoint),
                "by_campaign": dict(self._by_campaign),
                "by_status": dict(self._by_status),
                "rate_limited": self._by_status["429"],
                "bad_request": self._by_status["400"],
            }
