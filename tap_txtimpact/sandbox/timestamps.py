"""Conversion between epoch seconds and the API's UTC ISO-8601 strings."""

from __future__ import annotations

import time
from datetime import datetime, timezone


def format_time(epoch_seconds: float) -> str:
    """Format epoch seconds as the API's UTC ISO-8601 form, `YYYY-MM-DDTHH:MM:SSZ`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def parse_timestamp(text: str) -> float:
    """Parse an ISO-8601 date or date-time into epoch seconds.

    A trailing `Z` and numeric offsets are accepted, and a value without an offset is
    read as UTC, as the API document states that all times are UTC.

    Raises:
        ValueError: The text is not an ISO-8601 date or date-time.
    """
    value = text.strip()
    if value != text or not value:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}")
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()
