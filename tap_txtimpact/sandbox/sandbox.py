"""The `Sandbox` facade: seeded data, an HTTP server on a background thread and a clock ticker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any

from tap_txtimpact.sandbox.data import (
    DEFAULT_ARRIVALS_PER_HOUR,
    DEFAULT_CLOCK_START,
    SandboxData,
)
from tap_txtimpact.sandbox.faults import Faults
from tap_txtimpact.sandbox.server import SandboxServer
from tap_txtimpact.sandbox.stats import RequestStats
from tap_txtimpact.sandbox.ticker import ClockTicker
from tap_txtimpact.sandbox.timestamps import format_time

logger = logging.getLogger("tap_txtimpact.sandbox")

DEFAULT_API_KEY = "sandbox-key"
# The API document allows 3 requests per second per account.
DEFAULT_REQUESTS_PER_SECOND = 3.0
# NOTE: the API document says a too long date range is rejected but names no maximum,
# so 31 days is a guess.
DEFAULT_MAX_RANGE_DAYS = 31
DEFAULT_TICK_ADVANCE = 3600.0
# How often the serving thread checks for a stop request, which bounds how long stop() takes.
SHUTDOWN_POLL_SECONDS = 0.05


class Sandbox:
    """A local fake of the TXTImpact Workflow Report API.

    Use it as a context manager, or call `start()` and `stop()`:

        with Sandbox(seed=7, campaigns={101: 40, 102: 0}) as sandbox:
            requests.get(f"{sandbox.url}/workflow/101/DetailReport",
                         headers={"apikey": "sandbox-key"})

    Args:
        seed: Seed for all generated data.
        campaigns: Campaign id to initial session count, or None for the default layout
            {101: 60, 102: 300, 103: 5000, 104: 0}. Workflow templates are assigned by
            position in this mapping.
        clock_start: Sandbox time at creation (ISO-8601 text, datetime or epoch seconds).
        arrivals_per_hour: Mean new sessions per non-empty campaign per simulated hour.
        workflows: Optional campaign id to prompt texts, replacing the built-in templates.
        api_keys: Accepted values of the `apikey` header.
        requests_per_second: Rate limit per API key, or 0 for none.
        max_range_days: Maximum days from startDateTime to endDateTime, or to the sandbox
            time when endDateTime is absent; 0 disables the check. Requests without
            startDateTime are not checked.
        faults: Faults to inject from the first request.
        host: Address to listen on.
        port: Port to listen on, or 0 for a free port.
        tick_seconds: When above 0, advance the clock every this many real seconds.
            The `tick_seconds` property changes it while running.
        tick_advance: Simulated seconds added by each tick.
    """

    def __init__(
        self,
        seed: int = 7,
        campaigns: Mapping[int, int] | None = None,
        clock_start: str | datetime | float = DEFAULT_CLOCK_START,
        arrivals_per_hour: float = DEFAULT_ARRIVALS_PER_HOUR,
        workflows: Mapping[int, Sequence[str]] | None = None,
        api_keys: Sequence[str] = (DEFAULT_API_KEY,),
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
        max_range_days: float = DEFAULT_MAX_RANGE_DAYS,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        tick_seconds: float = 0,
        tick_advance: float = DEFAULT_TICK_ADVANCE,
    ) -> None:
        if isinstance(api_keys, str):
            api_keys = (api_keys,)
        if max_range_days < 0:
            raise ValueError(f"max_range_days must be zero or more, got {max_range_days}")
        self.data = SandboxData(seed, campaigns, clock_start, arrivals_per_hour, workflows)
        self.api_keys = tuple(api_keys)
        self.requests_per_second = requests_per_second
        self.max_range_days = max_range_days
        self.host = host
        self._ticker = ClockTicker(self.data, tick_seconds, tick_advance)
        self._requested_port = port
        self._initial_faults = faults or Faults()
        self._server: SandboxServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._stats = RequestStats()

    def start(self) -> Sandbox:
        """Start serving on a background thread, and the ticker if `tick_seconds` is set."""
        if self._server is not None:
            raise RuntimeError("sandbox is already running")
        self._server = SandboxServer(
            (self.host, self._requested_port),
            self.data,
            self.api_keys,
            self.requests_per_second,
            self.max_range_days,
            self._initial_faults,
            self._stats,
        )
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS},
            name="sandbox-server",
            daemon=True,
        )
        self._serve_thread.start()
        self._ticker.start()
        logger.info("Sandbox listening on %s", self.url)
        return self

    def stop(self) -> None:
        """Stop the ticker and the server, and close open connections."""
        server = self._server
        if server is None:
            return
        self._ticker.stop()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join()
        self._initial_faults = server.faults
        self._server = None
        self._serve_thread = None
        logger.info("Sandbox stopped")

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def tick_seconds(self) -> float:
        """Real seconds between clock ticks; 0 means no ticks.

        Setting it on a running sandbox takes effect at once: 0 pauses the ticker before
        the setter returns, and a positive value starts or retimes it.
        """
        return self._ticker.interval

    @tick_seconds.setter
    def tick_seconds(self, seconds: float) -> None:
        self._ticker.set_interval(seconds)

    @property
    def tick_advance(self) -> float:
        """Simulated seconds added by each tick."""
        return self._ticker.advance

    @tick_advance.setter
    def tick_advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"tick_advance must be zero or more, got {seconds}")
        self._ticker.advance = seconds

    def _running_server(self) -> SandboxServer:
        if self._server is None:
            raise RuntimeError("sandbox is not running; call start() or use it in a with block")
        return self._server

    @property
    def port(self) -> int:
        """Port the server listens on."""
        return self._running_server().server_address[1]

    @property
    def base_url(self) -> str:
        """Server root, such as `http://127.0.0.1:8080`."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """API base URL to configure in a client, such as `http://127.0.0.1:8080/api/v2`."""
        return f"{self.base_url}/api/v2"

    @property
    def now(self) -> str:
        """Sandbox time as `YYYY-MM-DDTHH:MM:SSZ`."""
        return format_time(self.data.now)

    @property
    def campaign_ids(self) -> list[int]:
        """Ids of all campaigns, in layout order."""
        return list(self.data.campaigns)

    def advance(self, seconds: float) -> None:
        """Move the clock forward, so new sessions arrive and pending sessions get answers."""
        self.data.advance(seconds)

    def add_prompt(self, campaign_id: int, text: str) -> None:
        """Append a free-text prompt to a campaign's workflow.

        Existing sessions show "" for it. Sessions that arrive later may answer it.

        Raises:
            KeyError: The campaign does not exist.
            ValueError: The text is empty or already a prompt of this campaign.
        """
        self.data.add_prompt(campaign_id, text)

    def prompts(self, campaign_id: int) -> list[str]:
        """Return a campaign's prompt texts in workflow order."""
        return self.data.prompts(campaign_id)

    def sessions(self, campaign_id: int) -> list[dict[str, Any]]:
        """Return the visible state of a campaign's sessions, in report order, as plain dicts.

        Keys: session_id, mobile_number, session_start, status ("C" or "P"), name, email,
        custom1 to custom4, dob, answers (prompt text to {"text", "media"} without `.txt`
        URLs, or None when unanswered), dropped_media (the `.txt` URLs left out),
        last_answer_time (the session start when unanswered), prompts_answered and
        last_prompt_text ("" when unanswered). Times are `YYYY-MM-DDTHH:MM:SSZ`.
        """
        return self.data.sessions(campaign_id)

    @property
    def faults(self) -> Faults:
        """Faults in effect."""
        if self._server is None:
            return self._initial_faults
        return self._server.faults

    def set_faults(self, faults: Faults | None = None, **changes: Any) -> Faults:
        """Replace the faults and restart the request count that they use.

        Pass a `Faults`, or keyword fields that start from no faults, or both to
        change some fields of the given `Faults`. `set_faults()` turns faults off.
        """
        chosen = replace(faults or Faults(), **changes)
        if self._server is None:
            self._initial_faults = chosen
        else:
            self._server.set_faults(chosen)
        return chosen

    def stats(self) -> dict[str, Any]:
        """Return report request counts: total, by endpoint, campaign and status."""
        return self._stats.snapshot()

    def reset_stats(self) -> None:
        """Set the request counts back to zero."""
        self._stats.reset()
