"""Prompt discovery: which prompt columns each campaign's Detail Report has."""

from __future__ import annotations

import typing as t

from singer_sdk.helpers.types import Context

from tap_txtimpact import schemas
from tap_txtimpact.client import TXTImpactStream
from tap_txtimpact.pagination import PageToken

if t.TYPE_CHECKING:
    import requests


class PromptDiscoveryRequest(TXTImpactStream):
    """Reads one row of a campaign's Detail Report to learn its prompt columns.

    Every row carries every prompt column of the workflow, so one row is enough. This
    is not a stream of the catalog: the tap uses it only during discovery.
    """

    name = "prompt_discovery"
    path = "/workflow/{campaign_id}/DetailReport"
    rows_key = "Items"
    total_key = "TotalCount"
    schema = schemas.PROMPTS

    def get_new_paginator(self) -> None:  # type: ignore[override]
        """Request a single page."""
        return None

    def initial_windows(self, context: Context | None) -> list[None]:  # type: ignore[override]  # noqa: ARG002
        """Make one request without dates: any session shows the columns."""
        return [None]

    def get_url_params(self, context: Context | None, next_page_token: PageToken | None) -> dict[str, t.Any]:  # noqa: ARG002
        """Ask for a single row."""
        self._current_page = 1
        return {"page": 1, "pageSize": 1}

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        """Yield the prompt columns of the first row, in report order."""
        for row in self.report_rows(response)[:1]:
            for position, column in enumerate(
                (name for name in row if name not in schemas.DETAIL_FIXED_COLUMNS),
                start=1,
            ):
                yield {"prompt": column, "position": position}

    def prompt_texts(self, campaign_id: int) -> list[str]:
        """Return the campaign's prompt texts in report order; empty if it has no sessions."""
        self.current_campaign_id = campaign_id
        context = {"campaign_id": campaign_id}
        return [record["prompt"] for record in self.request_windows(context)]
