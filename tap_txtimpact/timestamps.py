"""UTC timestamp parsing, formatting and date windows."""

from __future__ import annotations

import datetime as dt
import typing as t

UTC = dt.timezone.utc
ONE_SECOND = dt.timedelta(seconds=1)
ONE_DAY = dt.timedelta(days=1)


def parse_timestamp(value: str) -> dt.datetime:
    """Parse an ISO-8601 timestamp into an aware UTC datetime.

    A value without an offset is taken as UTC, as the API returns all times in UTC.

    Raises:
        ValueError: If the value is not ISO-8601.
    """
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = f"{text[:-1]}+00:00"

    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)

    return parsed.astimezone(UTC)


def to_record_timestamp(value: str | None) -> str | None:
    """Return an API timestamp as the RFC 3339 string the streams emit.

    Raises:
        ValueError: If the value is not ISO-8601.
    """
    if not value:
        return None

    # The API's own form, 2026-04-24T14:22:10Z, needs only its suffix changed.
    if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
        return f"{value[:19]}+00:00"

    return parse_timestamp(value).isoformat()


def to_api_timestamp(value: dt.datetime) -> str:
    """Format a datetime as the API expects: ``YYYY-MM-DDTHH:MM:SSZ``, fractions cut."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to_second(value: dt.datetime) -> dt.datetime:
    """Return ``value`` with its fraction of a second cut."""
    return value.replace(microsecond=0)


def split_range(
    start: dt.datetime,
    end: dt.datetime,
    window: dt.timedelta,
) -> t.Iterator[tuple[dt.datetime, dt.datetime]]:
    """Yield consecutive ``(start, end)`` windows of at most ``window`` that cover a range.

    Both ends are inclusive, as the API's date filters are, so each window ends one
    second before the next one starts.
    """
    window_start = start
    while window_start <= end:
        window_end = min(window_start + window - ONE_SECOND, end)
        yield window_start, window_end
        window_start = window_end + ONE_SECOND
