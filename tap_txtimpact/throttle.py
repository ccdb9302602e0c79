"""One request budget for the whole process.

The API allows a fixed number of requests per second per account, whichever stream,
campaign or retry sends them, so every request goes through one shared session.
"""

from __future__ import annotations

import threading
import time
import typing as t

import requests


class RequestThrottle:
    """Spaces requests at least ``1 / requests_per_second`` seconds apart.

    Even spacing, rather than bursts, keeps a token-bucket limiter on the server from
    ever running dry, so a run alone on the account gets no 429.
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: t.Callable[[], float] = time.monotonic,
        sleep: t.Callable[[float], None] = time.sleep,
    ) -> None:
        if requests_per_second <= 0:
            msg = f"requests_per_second must be greater than 0, got {requests_per_second}"
            raise ValueError(msg)

        self.interval = 1.0 / requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._next_slot = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next request may be sent, then book its slot."""
        with self._lock:
            now = self._clock()
            delay = self._next_slot - now
            if delay > 0:
                self._sleep(delay)
                now = self._next_slot

            self._next_slot = now + self.interval


class ThrottledSession(requests.Session):
    """A ``requests.Session`` whose every send waits for the shared throttle."""

    def __init__(self, throttle: RequestThrottle) -> None:
        super().__init__()
        self.throttle = throttle

    def send(
        self,
        request: requests.PreparedRequest,
        **kwargs: t.Any,  # noqa: ANN401
    ) -> requests.Response:
        """Send ``request`` once the throttle allows it."""
        self.throttle.wait()
        return super().send(request, **kwargs)
