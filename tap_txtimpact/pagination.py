"""Page-number paging for the Workflow Report API."""

from __future__ import annotations

import typing as t

from singer_sdk.exceptions import FatalAPIError
from singer_sdk.pagination import PageNumberPaginator

if t.TYPE_CHECKING:
    import requests


class PaginationLoopError(FatalAPIError):
    """A page came back with the same rows as the page before it."""


class ReportPaginator(PageNumberPaginator):
    """Requests pages 1, 2, 3, ... until the report's total is reached.

    A short page does not end paging, because servers may cap the page size below
    ``pageSize`` without saying so. Paging ends when the rows received reach the
    report's total or a page comes back empty.
    """

    def __init__(
        self,
        body_of: t.Callable[[requests.Response], dict[str, t.Any]],
        *,
        rows_key: str,
        total_key: str,
    ) -> None:
        super().__init__(start_value=1)
        self._body_of = body_of
        self._rows_key = rows_key
        self._total_key = total_key
        self.rows_received = 0
        self._previous_page: tuple[str, str] | None = None

    def has_more(self, response: requests.Response) -> bool:
        """Return whether rows remain after this page."""
        body = self._body_of(response)
        rows = body.get(self._rows_key) or []
        if not rows:
            return False

        # A server that ignores `page` would send page 1 forever.
        page_identity = (repr(rows[0]), repr(rows[-1]))
        if page_identity == self._previous_page:
            msg = (
                f"Page {self.current_value} repeated the rows of page "
                f"{self.current_value - 1}: the server appears to ignore the `page` "
                "parameter, so paging was stopped to avoid a loop."
            )
            raise PaginationLoopError(msg)

        self._previous_page = page_identity
        self.rows_received += len(rows)

        total = body.get(self._total_key)
        if not isinstance(total, int):
            return True

        return self.rows_received < total
