"""Stream classes for the Participation Report and the Detail Report."""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property

from singer_sdk import Stream
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.helpers.types import Context

from tap_txtimpact import schemas
from tap_txtimpact.client import ApiAccount, TXTImpactStream
from tap_txtimpact.fast_path import FastRecordPathMixin, fast_record_writer
from tap_txtimpact.pagination import PageToken
from tap_txtimpact.prompts import (
    PromptAnswer,
    PromptValueError,
    decode_prompt_value,
    name_prompt_properties,
)
from tap_txtimpact.timestamps import parse_timestamp, to_record_timestamp

if t.TYPE_CHECKING:
    import requests
    from singer_sdk.tap_base import Tap

#: Distinct raw prompt values kept decoded per Detail Report stream.
ANSWER_CACHE_SIZE = 4096

#: Longest raw prompt value worth caching. Choices and ratings repeat and are short;
#: free text and media URLs are mostly unique, and caching them would only grow memory.
CACHED_VALUE_MAX_CHARS = 64

#: State key of a detail stream that lists the prompt columns its bookmark covers.
PROMPT_COLUMNS_KEY = "prompt_columns"

PARTICIPATION_PATH = "/workflow/{campaign_id}/ResponseReport"
DETAIL_PATH = "/workflow/{campaign_id}/DetailReport"


def keep_scan_bookmark(stream: Stream, context: Context | None, bookmark: dt.datetime | None) -> None:
    """Set a partition's bookmark from its completed scan, never lowering it.

    The SDK would take the largest replication key among emitted records. That misses
    answers given to older sessions while later pages were read, and it skips
    partitions that emitted nothing, which would then rescan their whole date range on
    every run. ``TXTImpactStream.scan_bookmark`` covers both cases.
    """
    if bookmark is None or stream.replication_key is None:
        return

    state = stream.get_context_state(context)
    saved = state.get("replication_key_value")
    if saved and parse_timestamp(str(saved)) > bookmark:
        bookmark = parse_timestamp(str(saved))

    markers = state.get("progress_markers")
    if markers and "replication_key_value" in markers:
        # Records went through the SDK's own bookmark tracking; it promotes this
        # value when the partition is finalized.
        markers["replication_key_value"] = bookmark.isoformat()
        return

    state["replication_key"] = stream.replication_key
    state["replication_key_value"] = bookmark.isoformat()


class CampaignPartitionsMixin:
    """Partitions a stream by the configured campaigns."""

    config: t.Mapping[str, t.Any]

    @property
    def partitions(self) -> list[dict[str, t.Any]]:
        """Return one context per configured campaign."""
        return [{"campaign_id": int(campaign)} for campaign in self.config["campaign_ids"]]


class IncrementalReportStream(FastRecordPathMixin, TXTImpactStream):
    """A report stream that keeps a bookmark on its session start time.

    The API filters ``lastUpdated`` on each session's last answer time, not on the
    start time that rows carry, so rows older than the bookmark come back. The
    streams are therefore declared unsorted, and the bookmark comes from each
    completed scan (``TXTImpactStream.scan_bookmark``), never from a single record.
    """

    is_sorted = False
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def get_replication_key_signpost(self, context: Context | None = None) -> dt.datetime:  # noqa: ARG002
        """Return the run's start: no bookmark may pass it, whatever the server's clock."""
        return self.account.sync_started_at

    @cached_property
    def _configured_range(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """Return the ``start_date`` and ``end_date`` settings, parsed once."""
        return self.configured_date("start_date"), self.configured_date("end_date")

    def in_configured_range(self, started_at: str) -> bool:
        """Return whether a session start lies within ``start_date`` and ``end_date``.

        Requests made with ``lastUpdated`` carry no start date, so the server may send
        sessions that started before ``start_date``.
        """
        start, end = self._configured_range
        if start is None and end is None:
            return True

        moment = parse_timestamp(started_at)
        return (start is None or moment >= start) and (end is None or moment <= end)

    def begin_partition(self, context: Context | None) -> None:
        """Cap this partition's bookmark at the run's start.

        The SDK writes that cap only into the stream-level state, not into each
        partition's.
        """
        self.state_manager.write_replication_key_signpost(
            self.get_replication_key_signpost(context),
            context=context,
        )


class ParticipationStream(CampaignPartitionsMixin, IncrementalReportStream):
    """Session rows of the Participation Report (``GET /workflow/{id}/ResponseReport``)."""

    name = "participation"
    path = PARTICIPATION_PATH
    primary_keys = ("campaign_id", "mobile_number", "session_start_time")
    replication_key = "session_start_time"
    schema = schemas.PARTICIPATION
    rows_key = "WorkflowResponseReportDataList"
    total_key = "TotalFilteredCount"

    def get_url_params(self, context: Context | None, next_page_token: PageToken | None) -> dict[str, t.Any]:
        """Ask for every status, as the report's rows should all land."""
        params = super().get_url_params(context, next_page_token)
        params["status"] = "all"
        return params

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Yield the campaign's session rows, window by window."""
        self.begin_partition(context)
        self.current_campaign_id = self.campaign_id_of(context)
        yield from self.request_windows(context)
        keep_scan_bookmark(self, context, self.scan_bookmark())

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        """Turn one page of session rows into records."""
        campaign_id = self.current_campaign_id
        check_range = self._configured_range != (None, None)
        latest_start = self.scan_latest_start
        records = []
        for row in self.report_rows(response):
            started_at = row.get("SessionStartTime") or ""
            if check_range and not self.in_configured_range(started_at):
                continue

            if started_at > latest_start:
                latest_start = started_at

            # The text fields are strings; `or None` turns "" into null.
            records.append(
                {
                    "campaign_id": campaign_id,
                    "mobile_number": row.get("MobileNumber"),
                    "subscriber_name": row.get("SubscriberName") or None,
                    "prompts": row.get("Prompts"),
                    "session_start_time": to_record_timestamp(started_at),
                    "prompt_text": row.get("PromptText") or None,
                    "workflow_status": row.get("WorkflowStatus") or None,
                }
            )

        self.scan_latest_start = latest_start
        self.release_page(response)
        return iter(records)


class ParticipationSummaryStream(CampaignPartitionsMixin, TXTImpactStream):
    """All-time totals of the Participation Report, one record per campaign and run."""

    name = "participation_summary"
    path = PARTICIPATION_PATH
    primary_keys = ("campaign_id",)
    replication_key = None
    schema = schemas.PARTICIPATION_SUMMARY
    rows_key = "WorkflowResponseReportDataList"
    total_key = "TotalFilteredCount"
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def get_new_paginator(self) -> None:  # type: ignore[override]
        """Request one page only: the totals come with every page."""
        return None

    def get_url_params(self, context: Context | None, next_page_token: PageToken | None) -> dict[str, t.Any]:  # noqa: ARG002
        """Ask for one row without date filters, so the totals cover all time."""
        self._current_page = 1
        return {"page": 1, "pageSize": 1}

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        """Return the page's totals as one record."""
        body = self.response_body(response)
        yield {
            "campaign_id": self.current_campaign_id,
            "total_participants": body.get("TotalParticipants"),
            "complete_workflow": body.get("CompleteWorkflow"),
            "incomplete_workflow": body.get("IncompleteWorkflow"),
            "extracted_at": self.account.sync_started_at.isoformat(),
        }

    def initial_windows(self, context: Context | None) -> list[None]:  # type: ignore[override]  # noqa: ARG002
        """Make one request: the summary ignores the date settings."""
        return [None]

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Yield the campaign's totals."""
        self.current_campaign_id = self.campaign_id_of(context)
        yield from self.request_windows(context)


class DetailStream(IncrementalReportStream):
    """Detail Report rows of one campaign (``GET /workflow/{id}/DetailReport``).

    The schema has the fixed columns and one property per prompt, named by
    ``name_prompt_properties`` and described by the prompt's text. The ``responses``
    stream is a child: each parsed page is handed to it, so one request serves both.
    """

    path = DETAIL_PATH
    primary_keys = ("campaign_id", "session_id")
    replication_key = "session_date_time"
    rows_key = "Items"
    total_key = "TotalCount"

    def __init__(
        self,
        tap: Tap,
        account: ApiAccount,
        *,
        campaign_id: int,
        prompt_columns: t.Mapping[str, str],
    ) -> None:
        self.campaign_id = campaign_id
        self.prompt_columns = dict(prompt_columns)
        self._unknown_prompts_reported: set[str] = set()
        self._page_number = 0
        self._page_last_record: dict[str, t.Any] | None = None
        # An empty value means unanswered, so the cache starts with it.
        self._answer_cache: dict[str, PromptAnswer | None] = {"": None}
        self._gained_columns_logged = False
        super().__init__(
            tap,
            account,
            name=detail_stream_name(campaign_id),
            schema=schemas.detail_schema(self.prompt_columns),
        )

    @property
    def responses_stream(self) -> ResponsesStream | None:
        """Return the ``responses`` child when it is selected."""
        for child in self.child_streams:
            if isinstance(child, ResponsesStream) and child.selected:
                return child
        return None

    def get_bookmark(self, context: Context | None) -> dt.datetime | None:
        """Return the earliest bookmark among the selected streams this request serves."""
        bookmarks = []
        if self.selected:
            bookmarks.append(None if self._gained_prompt_columns(context) else super().get_bookmark(context))

        responses = self.responses_stream
        if responses is not None:
            bookmarks.append(responses.get_bookmark({"campaign_id": self.campaign_id}))

        if not bookmarks or None in bookmarks:
            return None

        return min(t.cast("list[dt.datetime]", bookmarks))

    @property
    def schema_prompt_columns(self) -> list[str]:
        """Return the prompt properties of this stream's schema, sorted."""
        properties = self.schema["properties"]
        return sorted(name for name in self.prompt_columns.values() if name in properties)

    def _gained_prompt_columns(self, context: Context | None) -> bool:
        """Return whether the schema has prompt columns that the saved bookmark did not cover.

        Answers to a prompt added while an older catalog was in use reached only
        ``responses``. After rediscovery, sessions older than the bookmark must be read
        again so that the new column is filled.
        """
        covered = self.get_context_state(context).get(PROMPT_COLUMNS_KEY)
        if covered is None:
            return False

        gained = sorted(set(self.schema_prompt_columns) - set(covered))
        if gained and not self._gained_columns_logged:
            self._gained_columns_logged = True
            self.logger.info(
                "'%s' has prompt columns its bookmark does not cover (%s); reading the campaign again from start_date",
                self.name,
                ", ".join(gained),
            )
        return bool(gained)

    def campaign_id_of(self, context: Context | None) -> int:  # noqa: ARG002
        """Return this stream's campaign."""
        return self.campaign_id

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Yield the campaign's sessions, window by window."""
        self._page_number = 0
        yield from self.request_windows(context)

        bookmark = self.scan_bookmark()
        if self.selected:
            keep_scan_bookmark(self, context, bookmark)
            self.get_context_state(context)[PROMPT_COLUMNS_KEY] = self.schema_prompt_columns
        responses = self.responses_stream
        if responses is not None:
            keep_scan_bookmark(responses, {"campaign_id": self.campaign_id}, bookmark)

    def _decode(self, session_id: str, column: str, raw: t.Any) -> PromptAnswer | None:  # noqa: ANN401
        """Decode a prompt value, keeping an invalid one as text with a warning.

        Ratings, choices and other short answers repeat across sessions, so decoded
        values are cached by their raw text.
        """
        cache = self._answer_cache
        try:
            answer = decode_prompt_value(raw)
        except PromptValueError as error:
            self.logger.warning(
                "Campaign %s, session %s: the value of prompt column %r is %s; it was kept as text.",
                self.campaign_id,
                session_id,
                column,
                error,
            )
            return error.answer

        if isinstance(raw, str) and len(raw) <= CACHED_VALUE_MAX_CHARS:
            if len(cache) >= ANSWER_CACHE_SIZE:
                cache.clear()
                cache[""] = None
            cache[raw] = answer
        return answer

    def _report_unknown_prompts(self, prompt_texts: list[str]) -> None:
        """Name prompts missing from the schema and warn about them once."""
        new_texts = [text for text in prompt_texts if text not in self._unknown_prompts_reported]
        if not new_texts:
            return

        self.prompt_columns = name_prompt_properties(
            new_texts,
            reserved_names=schemas.DETAIL_FIXED_NAMES,
            existing=self.prompt_columns,
        )
        self._unknown_prompts_reported.update(new_texts)
        self.logger.warning(
            "Campaign %s has %d prompt(s) that are not in the catalog: %s. Their answers "
            "go to the 'responses' stream only; run discovery again to add them to '%s'.",
            self.campaign_id,
            len(new_texts),
            ", ".join(repr(text) for text in new_texts),
            self.name,
        )

    def _prompt_specs(self, row: dict[str, t.Any]) -> list[tuple[str, str, bool]]:
        """Return ``(column, property, in schema)`` for each prompt column of a row."""
        fixed_columns = schemas.DETAIL_FIXED_COLUMNS
        unknown = [c for c in row if c not in fixed_columns and c not in self.prompt_columns]
        if unknown:
            self._report_unknown_prompts(unknown)

        schema_properties = self.schema["properties"]
        return [
            (column, self.prompt_columns[column], self.prompt_columns[column] in schema_properties)
            for column in row
            if column not in fixed_columns
        ]

    def parse_response(self, response: requests.Response) -> t.Iterator[dict[str, t.Any]]:
        """Turn one page into records and hand its answers to ``responses``."""
        rows = self.report_rows(response)
        self._page_number += 1
        responses = self.responses_stream
        as_structs = self.fast_path_enabled
        campaign_id = self.campaign_id
        cache = self._answer_cache
        specs = self._prompt_specs(rows[0]) if rows else []
        row_width = len(specs) + len(schemas.DETAIL_FIXED_COLUMNS)

        records = []
        answers: list[dict[str, t.Any]] = []
        check_range = self._configured_range != (None, None)
        for row in rows:
            started_at = row.get("SessionDateTime") or ""
            if check_range and not self.in_configured_range(started_at):
                continue

            if started_at > self.scan_latest_start:
                self.scan_latest_start = started_at
            if len(row) != row_width:
                # Rows are documented to share one set of columns; re-read the odd one.
                specs = self._prompt_specs(row)
                row_width = len(row)

            session_id = str(row.get("SessionId"))
            # The fixed columns are strings; `or None` turns "" into null.
            record: dict[str, t.Any] = {
                "campaign_id": campaign_id,
                "session_id": session_id,
                "mobile_number": row.get("MobileNumber"),
                "session_date_time": to_record_timestamp(started_at),
                "workflow_status": row.get("WorkflowStatus") or None,
                "name": row.get("Name") or None,
                "email": row.get("Email") or None,
                "custom1": row.get("Custom1") or None,
                "custom2": row.get("Custom2") or None,
                "custom3": row.get("Custom3") or None,
                "custom4": row.get("Custom4") or None,
                "dob": row.get("DOB") or None,
            }

            for column, property_name, in_schema in specs:
                raw = row.get(column, "")
                if raw.__class__ is str and raw in cache:
                    answer = cache[raw]
                else:
                    answer = self._decode(session_id, column, raw)
                if in_schema:
                    record[property_name] = answer if answer is None or as_structs else answer.as_record()

                if responses is not None and answer is not None:
                    answers.append(
                        {
                            "campaign_id": campaign_id,
                            "session_id": session_id,
                            "mobile_number": record["mobile_number"],
                            "session_date_time": record["session_date_time"],
                            "prompt_column": property_name,
                            "prompt": column,
                            "text": answer.text,
                            "media": answer.media,
                        }
                    )

            records.append(record)

        if responses is not None and records:
            responses.queue_page(campaign_id, self._page_number, answers)
            self._page_last_record = records[-1]

        self.release_page(response)
        return iter(records)

    def generate_child_contexts(
        self,
        record: dict[str, t.Any],
        context: Context | None,  # noqa: ARG002
    ) -> t.Iterable[Context | None]:
        """Sync ``responses`` once per page, after the page's last record."""
        if record is self._page_last_record:
            self._page_last_record = None
            yield {"campaign_id": self.campaign_id, "page": self._page_number}


def detail_stream_name(campaign_id: int) -> str:
    """Return the name of a campaign's Detail Report stream."""
    return f"detail_{campaign_id}"


class ResponsesStream(FastRecordPathMixin, Stream):
    """Answered prompts of every campaign in long form, one record per answer.

    A child of the Detail Report streams: each page those streams request is handed
    here, so no request is made twice. Bookmarks are kept per campaign.
    """

    name = "responses"
    parent_stream_type = DetailStream
    state_partitioning_keys = ("campaign_id",)
    primary_keys = ("campaign_id", "session_id", "prompt_column")
    replication_key = "session_date_time"
    is_sorted = False
    schema = schemas.RESPONSES
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    def __init__(self, tap: Tap, account: ApiAccount) -> None:
        self.account = account
        self.record_writer = fast_record_writer(tap.message_writer)
        self._queued: dict[tuple[int, int], list[dict[str, t.Any]]] = {}
        self._schema_written = False
        super().__init__(tap)

    def get_replication_key_signpost(self, context: Context | None = None) -> dt.datetime:  # noqa: ARG002
        """Return the run's start: no bookmark may pass it."""
        return self.account.sync_started_at

    def get_bookmark(self, context: Context) -> dt.datetime | None:
        """Return the saved bookmark of a campaign."""
        value = self.get_context_state(context).get("replication_key_value")
        return parse_timestamp(str(value)) if value else None

    def _write_schema_message(self) -> None:
        """Write the SCHEMA message once per run, not once per Detail Report page.

        The SDK writes it on every child sync, and some targets (target-duckdb, for
        one) flush all their buffers on each SCHEMA message. NOTE: this overrides a
        private ``singer_sdk.Stream`` method of singer-sdk 0.54.
        """
        if not self._schema_written:
            super()._write_schema_message()
            self._schema_written = True

    def queue_page(self, campaign_id: int, page: int, answers: list[dict[str, t.Any]]) -> None:
        """Keep one page's answers until the page's child sync reads them."""
        self._queued[campaign_id, page] = answers

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Yield the answers queued for the context's campaign and page."""
        if context is None:
            return

        self.extracted_at = dt.datetime.now(dt.timezone.utc)
        yield from self._queued.pop((int(context["campaign_id"]), int(context["page"])), [])


class PromptsStream(Stream):
    """The prompts of each campaign as discovered, one record per prompt."""

    name = "prompts"
    primary_keys = ("campaign_id", "prompt_column")
    replication_key = None
    schema = schemas.PROMPTS

    def __init__(self, tap: Tap, prompt_columns: t.Mapping[int, t.Mapping[str, str]]) -> None:
        self.prompt_columns = prompt_columns
        super().__init__(tap)

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:  # noqa: ARG002
        """Yield each campaign's prompts in report order."""
        for campaign_id, columns in self.prompt_columns.items():
            for position, (prompt_text, property_name) in enumerate(columns.items(), start=1):
                yield {
                    "campaign_id": campaign_id,
                    "prompt_column": property_name,
                    "prompt": prompt_text,
                    "position": position,
                }
