"""The error response of the sandbox and the campaign id check shared by its endpoints."""

from __future__ import annotations

from collections.abc import Mapping


class ApiError(Exception):
    """An error response: HTTP status, text for the `Message` field and extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def parse_campaign_id(text: str) -> int:
    """Parse a campaignId path segment.

    Raises:
        ApiError: A 400 when the segment is not a non-negative ASCII integer.
    """
    if not (text.isascii() and text.isdigit()):
        raise ApiError(400, f"Invalid campaignId '{text}': expected an integer.")
    return int(text)
