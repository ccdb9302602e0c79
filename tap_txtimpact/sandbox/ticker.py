"""A background thread that advances the sandbox clock at a fixed real-time interval."""

from __future__ import annotations

import logging
import threading

from tap_txtimpact.sandbox.data import SandboxData
from tap_txtimpact.sandbox.timestamps import format_time

logger = logging.getLogger("tap_txtimpact.sandbox")


class ClockTicker:
    """Advance `data` by `advance` simulated seconds every `interval` real seconds.

    An interval of 0 pauses the ticker. Once `set_interval` returns, no tick with the
    old interval starts any more, so after setting 0 the clock stays where it is.
    """

    def __init__(self, data: SandboxData, interval: float, advance: float) -> None:
        if interval < 0 or advance < 0:
            raise ValueError(f"tick interval and advance must be zero or more, got {interval} and {advance}")
        self.data = data
        self.advance = advance
        self._interval = interval
        # Held while a tick runs and while the interval changes, so the two never overlap.
        self._lock = threading.Lock()
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._active = False
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        """Real seconds between ticks, or 0 when paused."""
        return self._interval

    def set_interval(self, interval: float) -> None:
        """Change the interval, and start the thread when an active ticker was paused."""
        if interval < 0:
            raise ValueError(f"tick interval must be zero or more, got {interval}")
        with self._lock:
            self._interval = interval
        self._wakeup.set()
        paused = self._thread is None or not self._thread.is_alive()
        if self._active and interval > 0 and paused:
            self._start_thread()

    def start(self) -> None:
        """Start ticking if the interval is above 0, and follow later interval changes."""
        self._stopping.clear()
        self._active = True
        if self._interval > 0:
            self._start_thread()

    def stop(self) -> None:
        """Stop ticking and wait for the thread to end."""
        self._active = False
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _start_thread(self) -> None:
        self._wakeup.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            interval = self._interval
            if interval <= 0:
                return
            if self._wakeup.wait(interval):
                # The interval changed or the ticker is stopping, so wait again from the start.
                self._wakeup.clear()
                continue
            with self._lock:
                if self._interval != interval or self._stopping.is_set():
                    continue
                self.data.advance(self.advance)
            logger.info("Clock advanced by %g s to %s", self.advance, format_time(self.data.now))
