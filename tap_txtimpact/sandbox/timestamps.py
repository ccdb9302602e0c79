"""Conversion between epoch seconds and the API's UTC ISO-8601 strings."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone

# ISO-8601 extended format: a date, optionally a time to minutes, seconds or fractions,
# and optionally `Z` or a numeric offset.
ISO_8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?",
    re.IGNORECASE,
)


def format_time(epoch_seconds: float) -> str:
    """Format epoch seconds as the API's UTC ISO-8601 form, `YYYY-MM-DDTHH:MM:SSZ`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def parse_timestamp(text: str) -> float:
    """Parse an ISO-8601 date or date-time in extended format into epoch seconds.

    A value without an offset is read as UTC, because the API document states that all
    times are UTC.

    Raises:
        ValueError: The text is not an ISO-8601 date or date-time, or names no real date.
    """
    match = ISO_8601.fullmatch(text)
    if match is None:
        raise ValueError(f"not an ISO-8601 date-time: {text!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        tzinfo=timezone.utc,
    )
    seconds = moment.timestamp()
    if fraction:
        seconds += int(fraction) / 10 ** len(fraction)
    if offset and offset.upper() != "Z":
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        shift = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        seconds -= sign * shift.total_seconds()
    return seconds
