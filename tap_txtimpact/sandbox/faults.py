"""Deterministic fault injection for the sandbox's report endpoints.

Faults are counter based: the sandbox numbers report requests that pass the API key check
and the rate limit from 1, and a fault set to "every N" hits requests N, 2N, 3N and so on.
Setting new faults restarts the count. Zero or None turns a fault off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Fault actions that replace the normal response, in the order they take precedence
# when several faults hit the same request.
FAIL_FIRST = "fail_first"
RESET = "reset"
DISCONNECT = "disconnect"
TRUNCATE = "truncate"
SERVER_ERROR = "server_error"
RATE_LIMIT = "rate_limit"


@dataclass
class Faults:
    """Faults to inject into report requests.

    Attributes:
        server_error_every: Every Nth request gets a 5xx with a JSON body, alternating
            500 and 503 starting with 500.
        slow_every: Every Nth request waits `slow_seconds` before its response.
        slow_seconds: Delay for `slow_every`, in seconds.
        truncate_every: Every Nth request gets a 200 whose body is cut in half, with a
            Content-Length that matches the cut body, so the client fails to parse JSON.
        disconnect_every: Every Nth request gets headers announcing the full body, half
            of the body, then a closed connection.
        reset_every: Every Nth request has its connection closed with a TCP reset and
            no response.
        rate_limit_every: Every Nth request gets a 429 with `Retry-After: retry_after`.
        retry_after: Retry-After value for `rate_limit_every`, in whole seconds.
        page_size_cap: Serve at most this many rows per page, whatever pageSize asks,
            with unchanged totals.
        fail_first: The first N requests get a 500.
    """

    server_error_every: int = 0
    slow_every: int = 0
    slow_seconds: float = 1.0
    truncate_every: int = 0
    disconnect_every: int = 0
    reset_every: int = 0
    rate_limit_every: int = 0
    retry_after: int = 1
    page_size_cap: int | None = None
    fail_first: int = 0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"fault {field.name} must be a number, got {value!r}")
            if value is not None and value < 0:
                raise ValueError(f"fault {field.name} must be zero or more, got {value!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        """Build faults from a mapping such as a parsed JSON body, with absent fields off.

        Raises:
            ValueError: A key is not a fault name or a value is not a non-negative number.
        """
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown fault names {unknown}; valid names: {sorted(names)}")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the faults as a plain dict."""
        return dataclasses.asdict(self)

    def action_for(self, number: int) -> str | None:
        """Return the fault action that replaces the response to request `number`, or None."""
        if number <= self.fail_first:
            return FAIL_FIRST
        for action, every in (
            (RESET, self.reset_every),
            (DISCONNECT, self.disconnect_every),
            (TRUNCATE, self.truncate_every),
            (SERVER_ERROR, self.server_error_every),
            (RATE_LIMIT, self.rate_limit_every),
        ):
            if every and number % every == 0:
                return action
        return None

    def server_error_status(self, number: int) -> int:
        """Return 500 or 503 for the server error that hits request `number`."""
        occurrence = number // self.server_error_every if self.server_error_every else 1
        return 500 if occurrence % 2 else 503

    def delay_for(self, number: int) -> float:
        """Return how long to wait before responding to request `number`, in seconds."""
        if self.slow_every and number % self.slow_every == 0:
            return float(self.slow_seconds)
        return 0.0
