"""Page-number paging for the Workflow Report API."""

from __future__ import annotations

import logging
import math
import typing as t

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import BaseAPIPaginator

if t.TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)


class PaginationLoopError(FatalAPIError):
    """A page came back with the same rows as the page before it."""


class PageToken(t.NamedTuple):
    """The ``page`` and ``pageSize`` of the next request."""

    page: int
    page_size: int


class PageSummary(t.NamedTuple):
    """Counts and row identity of a parsed page, kept after the page itself is released."""

    row_count: int
    total: int | None
    identity: tuple[str, str] | None


class ReportPaginator(BaseAPIPaginator[PageToken]):
    """Requests pages 1, 2, 3, ... until the report's total is reached.

    A short page does not end paging, because a server may cap the page size below
    ``pageSize`` without saying so. Paging ends when the rows received reach the
    report's total or a page comes back empty.

    After a short page, the next requests use the page size the server really served,
    so that ``(page - 1) * pageSize`` equals the rows already received. That is right
    whether the server moves its offset with the capped size or with the requested one.
    """

    def __init__(
        self,
        summary_of: t.Callable[[requests.Response], PageSummary],
        *,
        page_size: int,
    ) -> None:
        super().__init__(start_value=PageToken(1, page_size))
        self._summary_of = summary_of
        self.rows_received = 0
        self._last_page_rows = 0
        self._previous_page: tuple[str, str] | None = None
        self._previous_total: int | None = None

    def continue_if_empty(self, response: requests.Response) -> bool:
        """Return whether to go on after a page that produced no records.

        The tap drops rows outside ``start_date`` and ``end_date``, so a page can yield
        no records although the report has rows left.
        """
        summary = self._summary_of(response)
        if not summary.row_count:
            return False

        return summary.total is None or self.rows_received + summary.row_count < summary.total

    def has_more(self, response: requests.Response) -> bool:
        """Return whether rows remain after this page."""
        summary = self._summary_of(response)
        if not summary.row_count:
            return False

        # A server that ignores `page` would send page 1 forever. A repeat with a larger
        # total is no loop: with lastUpdated, sessions answered during the scan join the
        # report ahead of rows already read and push them onto the next page.
        total_grew = (
            summary.total is not None and self._previous_total is not None and summary.total > self._previous_total
        )
        if summary.identity == self._previous_page and not total_grew:
            msg = (
                f"Page {self.current_value.page} repeated the rows of the page before "
                "it: the server appears to ignore the `page` parameter, so paging was "
                "stopped to avoid a loop."
            )
            raise PaginationLoopError(msg)

        self._previous_page = summary.identity
        self._previous_total = summary.total
        self.rows_received += summary.row_count
        self._last_page_rows = summary.row_count

        if summary.total is None:
            return True

        return self.rows_received < summary.total

    def get_next(self, response: requests.Response) -> PageToken:  # noqa: ARG002
        """Return the next page, at the page size the server really serves."""
        page, page_size = self.current_value
        served = self._last_page_rows
        if served >= page_size:
            return PageToken(page + 1, page_size)

        # Largest page size that both divides the rows received so far and fits what
        # the server served, so the next page starts right after the last row.
        new_size = math.gcd(self.rows_received, served)
        logger.info(
            "The API served %d rows for pageSize %d; continuing with pageSize %d",
            served,
            page_size,
            new_size,
        )
        return PageToken(self.rows_received // new_size + 1, new_size)
