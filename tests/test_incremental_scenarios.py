"""Sequences of full and incremental runs against the sandbox, compared with its ground truth.

Each test runs the tap several times, every run starting from the previous run's final
STATE, while the sandbox clock moves between runs or during them. The records of all
runs are folded by primary key, last one winning, and compared with the sessions that
the sandbox contains at the end and whose start lies within start_date and end_date.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import typing as t

import pytest
from helpers import SyncOutput, discover, run_sync, select_streams
from singer_sdk.singerlib.messages import Message, RecordMessage
from truth import (
    assert_detail_matches,
    assert_participation_matches,
    assert_responses_match,
)

from tap_txtimpact.output import BufferedStdoutWriter
from tap_txtimpact.sandbox import Faults, Sandbox
from tap_txtimpact.schemas import prompt_columns_from_schema
from tap_txtimpact.timestamps import parse_timestamp

# A campaign with sessions and one that stays empty: the sandbox never adds sessions to
# a campaign created with none.
CAMPAIGNS = {101: 40, 104: 0}
# NOTE: a sandbox request took about 40 ms on loopback where these tests were written,
# so the scenarios keep session counts and clock advances small to run in about a minute.
HOUR = 3600
ALL_STREAMS = ("detail", "responses", "participation")


def tap_config(sandbox: Sandbox, campaign_ids: t.Iterable[int] = CAMPAIGNS, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": "sandbox-key",
        "campaign_ids": list(campaign_ids),
        "api_url": sandbox.url,
        "page_size": 7,
        "requests_per_second": 1000,
        "retry_wait_seconds": 0.01,
        "request_timeout": 5,
    }
    # A setting passed as None stays unset, so table cases can leave it out.
    config.update({name: value for name, value in overrides.items() if value is not None})
    return config


def run_after(
    config: dict[str, t.Any],
    previous: SyncOutput | None,
    *,
    catalog: dict[str, t.Any] | None = None,
    message_writer: BufferedStdoutWriter | None = None,
) -> SyncOutput:
    """Run the tap from the final STATE of ``previous``, or from no state.

    The SDK updates the state it is given in place, so each run gets a copy and the
    earlier output keeps the STATE it emitted.
    """
    state = copy.deepcopy(previous.final_state) if previous is not None else None
    return run_sync(config, state=state, catalog=copy.deepcopy(catalog), message_writer=message_writer)


class SessionsInRange:
    """The sandbox's ground truth limited to sessions that start within the configured range.

    Both ends are inclusive, as the tap's start_date and end_date are. It offers the
    ``sessions`` method that the assertions in ``truth`` call on a sandbox.
    """

    def __init__(self, sandbox: Sandbox, start_date: str | None = None, end_date: str | None = None) -> None:
        self.sandbox = sandbox
        self.start = parse_timestamp(start_date) if start_date else None
        self.end = parse_timestamp(end_date) if end_date else None

    def sessions(self, campaign_id: int) -> list[dict[str, t.Any]]:
        kept = []
        for session in self.sandbox.sessions(campaign_id):
            started_at = parse_timestamp(session["session_start"])
            if self.start is not None and started_at < self.start:
                continue
            if self.end is not None and started_at > self.end:
                continue
            kept.append(session)
        return kept


def assert_delivered(
    sandbox: Sandbox,
    outputs: t.Sequence[SyncOutput],
    campaign_ids: t.Iterable[int] = CAMPAIGNS,
    *,
    start_date: str | None = None,
    end_date: str | None = None,
    streams: t.Collection[str] = ALL_STREAMS,
) -> None:
    """Assert that the runs together delivered every session and answer in range, with current values."""
    campaign_ids = list(campaign_ids)
    truth = SessionsInRange(sandbox, start_date, end_date)
    combined = SyncOutput([message for output in outputs for message in output.messages])

    if "detail" in streams:
        for campaign_id in campaign_ids:
            stream = f"detail_{campaign_id}"
            schemas = combined.schemas(stream)
            assert schemas, f"no SCHEMA message for {stream}"
            prompt_columns = prompt_columns_from_schema(schemas[-1]["schema"])
            # A target that gains a column stores null in the rows loaded before it.
            records = [dict.fromkeys(prompt_columns.values()) | record for record in combined.records(stream)]
            assert_detail_matches(truth, campaign_id, records, prompt_columns)

    if "responses" in streams:
        assert_responses_match(truth, campaign_ids, combined.records("responses"))

    if "participation" in streams:
        assert_participation_matches(truth, campaign_ids, combined.records("participation"))


def bookmark_values(state: dict[str, t.Any]) -> dict[tuple[str, int | None], dt.datetime]:
    """Return each stream's or partition's bookmark, keyed by stream name and campaign."""
    values = {}
    for stream, stream_state in state.get("bookmarks", {}).items():
        if "replication_key_value" in stream_state:
            values[stream, None] = parse_timestamp(stream_state["replication_key_value"])
        for partition in stream_state.get("partitions", []):
            if "replication_key_value" in partition:
                values[stream, partition["context"]["campaign_id"]] = parse_timestamp(
                    partition["replication_key_value"]
                )
    return values


def assert_bookmarks_never_decrease(outputs: t.Sequence[SyncOutput]) -> None:
    for earlier, later in itertools.pairwise(outputs):
        before = bookmark_values(earlier.final_state)
        after = bookmark_values(later.final_state)
        for key, value in before.items():
            assert key in after, f"bookmark {key} was dropped"
            assert after[key] >= value, (key, value.isoformat(), after[key].isoformat())


class ClockAdvancingWriter(BufferedStdoutWriter):
    """Advances the sandbox clock after every ``every``-th record of one stream.

    The tap writes a page's records before it requests the next page, so each advance
    lands between two page requests of one scan, at the same point on every run.
    """

    def __init__(self, sandbox: Sandbox, stream: str, every: int, seconds: float) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.stream = stream
        self.every = every
        self.seconds = seconds
        self.records_seen = 0

    def _count(self, stream: str) -> None:
        if stream != self.stream:
            return
        self.records_seen += 1
        if self.records_seen % self.every == 0:
            self.sandbox.advance(self.seconds)

    def write_record(self, stream: str, record: dict[str, t.Any], time_extracted: dt.datetime) -> None:
        super().write_record(stream, record, time_extracted)
        self._count(stream)

    def write_message(self, message: Message) -> None:
        super().write_message(message)
        if isinstance(message, RecordMessage):
            self._count(message.stream)


@pytest.fixture
def fast_sandbox(sandbox_factory: t.Callable[..., Sandbox]) -> Sandbox:
    # With max_range_days=0 the sandbox accepts any date range, so a first run with
    # start_date reads its whole range as one window.
    return sandbox_factory(
        campaigns={**CAMPAIGNS, 102: 25}, requests_per_second=0, arrivals_per_hour=3, max_range_days=0
    )


RANGE_CASES = [
    # id, start_date, end_date, page_size, max_range_days, date_window_days, page_size_cap
    ("no-dates", None, None, 7, 31, None, None),
    ("old-start-capped-pages", "2025-10-01T00:00:00Z", None, 50, 0, None, 3),
    ("start-mid-data", "2026-03-20T00:00:00Z", None, 3, 0, None, None),
    ("recent-start-page-size-1", "2026-04-24T06:00:00Z", None, 1, 0, None, None),
    ("start-after-clock", "2026-04-24T20:00:00Z", None, 7, 0, None, None),
    ("end-in-past", None, "2026-03-15T00:00:00Z", 7, 31, None, None),
    ("past-range-rejected", "2026-02-01T00:00:00Z", "2026-03-15T00:00:00Z", 3, 5, None, None),
    ("end-after-clock-window-set", "2026-04-10T00:00:00Z", "2026-04-25T00:00:00Z", 1000, 5, 4, None),
]


@pytest.mark.parametrize(
    ("start_date", "end_date", "page_size", "max_range_days", "date_window_days", "page_size_cap"),
    [case[1:] for case in RANGE_CASES],
    ids=[case[0] for case in RANGE_CASES],
)
def test_run_sequence_delivers_range(
    sandbox_factory: t.Callable[..., Sandbox],
    start_date: str | None,
    end_date: str | None,
    page_size: int,
    max_range_days: int,
    date_window_days: int | None,
    page_size_cap: int | None,
) -> None:
    sandbox = sandbox_factory(
        campaigns=CAMPAIGNS, requests_per_second=0, arrivals_per_hour=2, max_range_days=max_range_days
    )
    sandbox.set_faults(Faults(page_size_cap=page_size_cap))
    config = tap_config(
        sandbox,
        start_date=start_date,
        end_date=end_date,
        page_size=page_size,
        date_window_days=date_window_days,
    )

    # The clock starts at 2026-04-24T12:00:00Z and ends 13 hours later, past the
    # start_date and end_date that lie after its start.
    outputs = [run_after(config, None)]
    for seconds in (3 * HOUR, 6 * HOUR, 4 * HOUR):
        sandbox.advance(seconds)
        outputs.append(run_after(config, outputs[-1]))

    assert_delivered(sandbox, outputs, start_date=start_date, end_date=end_date)
    assert_bookmarks_never_decrease(outputs)


@pytest.mark.parametrize(("stream", "page_size"), [("detail_101", 3), ("participation", 7)])
def test_clock_advance_between_pages(fast_sandbox: Sandbox, stream: str, page_size: int) -> None:
    config = tap_config(fast_sandbox, page_size=page_size)
    outputs = [run_after(config, None)]
    for _ in range(2):
        fast_sandbox.advance(3 * HOUR)
        writer = ClockAdvancingWriter(fast_sandbox, stream, page_size, 900)
        outputs.append(run_after(config, outputs[-1], message_writer=writer))
        assert writer.records_seen > page_size, "the clock never moved during the run"

    outputs.append(run_after(config, outputs[-1]))
    assert_delivered(fast_sandbox, outputs)
    assert_bookmarks_never_decrease(outputs)


def test_ticking_clock_during_runs(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(
        campaigns=CAMPAIGNS,
        requests_per_second=0,
        arrivals_per_hour=10,
        max_range_days=0,
        tick_seconds=0.05,
        tick_advance=120,
    )
    # Slow answers keep each run long enough for several ticks to land inside it.
    sandbox.set_faults(Faults(slow_every=1, slow_seconds=0.03))
    start_date = "2026-04-20T00:00:00Z"
    config = tap_config(sandbox, start_date=start_date)
    outputs = [run_after(config, None)]
    for _ in range(2):
        outputs.append(run_after(config, outputs[-1]))

    sandbox.tick_seconds = 0
    assert parse_timestamp(sandbox.now) > parse_timestamp("2026-04-24T12:00:00Z"), "the clock never ticked"
    outputs.append(run_after(config, outputs[-1]))
    assert_delivered(sandbox, outputs, start_date=start_date)
    assert_bookmarks_never_decrease(outputs)


MID_DATA = "2026-03-20T00:00:00Z"
SELECTION_CASES = [
    # id, selected streams per run, start_date
    ("only-responses", [["responses"]] * 3, MID_DATA),
    ("only-detail", [["detail_101"]] * 3, None),
    ("responses-added", [["detail_101"], ["detail_101"], ["detail_101", "responses"]], MID_DATA),
    ("detail-added", [["responses"], ["responses"], ["detail_101", "responses"]], None),
    ("responses-paused", [["detail_101", "responses"], ["detail_101"], ["detail_101", "responses"]], MID_DATA),
    ("detail-swapped", [["detail_101", "detail_102"], ["detail_102", "responses"], ["detail_101", "responses"]], None),
    ("participation-first", [["participation"], ["participation", "responses"], ["detail_102"]], MID_DATA),
]


@pytest.mark.parametrize(
    ("selections", "start_date"),
    [case[1:] for case in SELECTION_CASES],
    ids=[case[0] for case in SELECTION_CASES],
)
def test_selection_changes_between_runs(
    fast_sandbox: Sandbox, selections: list[list[str]], start_date: str | None
) -> None:
    config = tap_config(fast_sandbox, campaign_ids=[101, 102], start_date=start_date)
    catalog = discover(config)
    outputs: list[SyncOutput] = []
    for selected in selections:
        if outputs:
            fast_sandbox.advance(4 * HOUR)
        run_catalog = select_streams(copy.deepcopy(catalog), selected)
        outputs.append(run_after(config, outputs[-1] if outputs else None, catalog=run_catalog))

    # The streams selected last must contain every session in range, including those that
    # changed while they were not selected.
    last = set(selections[-1])
    for campaign_id in (101, 102):
        if f"detail_{campaign_id}" in last:
            assert_delivered(fast_sandbox, outputs, [campaign_id], start_date=start_date, streams=["detail"])
    streams = [name for name in ("responses", "participation") if name in last]
    assert_delivered(fast_sandbox, outputs, [101, 102], start_date=start_date, streams=streams)
    assert_bookmarks_never_decrease(outputs)


@pytest.mark.parametrize("passes_catalog", [False, True], ids=["discovery", "catalog"])
def test_campaign_added_later(fast_sandbox: Sandbox, passes_catalog: bool) -> None:
    outputs: list[SyncOutput] = []
    for campaign_ids in ([101], [101, 104], [101, 102, 104]):
        if outputs:
            fast_sandbox.advance(3 * HOUR)
        config = tap_config(fast_sandbox, campaign_ids=campaign_ids, start_date=MID_DATA)
        catalog = discover(config) if passes_catalog else None
        outputs.append(run_after(config, outputs[-1] if outputs else None, catalog=catalog))

    assert_delivered(fast_sandbox, outputs, [101, 102, 104], start_date=MID_DATA)
    assert_bookmarks_never_decrease(outputs)


def test_range_empty_at_first_run(fast_sandbox: Sandbox) -> None:
    # start_date is the sandbox's starting time, so no session is in range at first.
    start_date = "2026-04-24T12:00:00Z"
    config = tap_config(fast_sandbox, start_date=start_date)
    first = run_after(config, None)
    assert not first.records("detail_101")
    assert ("detail_101", None) in bookmark_values(first.final_state)

    outputs = [first]
    for seconds in (2 * HOUR, 4 * HOUR):
        fast_sandbox.advance(seconds)
        outputs.append(run_after(config, outputs[-1]))

    assert SessionsInRange(fast_sandbox, start_date).sessions(101), "no session arrived after start_date"
    assert_delivered(fast_sandbox, outputs, start_date=start_date)
    assert_bookmarks_never_decrease(outputs)


NEW_PROMPT = "Anything else to tell us?"


def test_new_prompt_with_old_catalog(fast_sandbox: Sandbox) -> None:
    config = tap_config(fast_sandbox, campaign_ids=[101])
    catalog = discover(config)
    outputs = [run_after(config, None, catalog=catalog)]
    fast_sandbox.add_prompt(101, NEW_PROMPT)
    for _ in range(2):
        fast_sandbox.advance(6 * HOUR)
        outputs.append(run_after(config, outputs[-1], catalog=catalog))

    answered = {s["session_id"] for s in fast_sandbox.sessions(101) if s["answers"][NEW_PROMPT] is not None}
    assert answered, "no session answered the new prompt"
    # detail_101 keeps the catalog's prompts, and responses gets every answer.
    assert_delivered(fast_sandbox, outputs, [101])
    new_answers = [r for o in outputs for r in o.records("responses") if r["prompt"] == NEW_PROMPT]
    assert {r["session_id"] for r in new_answers} == answered


def test_new_prompt_with_discovery(fast_sandbox: Sandbox) -> None:
    config = tap_config(fast_sandbox, campaign_ids=[101])
    outputs = [run_after(config, None)]
    fast_sandbox.add_prompt(101, NEW_PROMPT)
    for _ in range(2):
        fast_sandbox.advance(6 * HOUR)
        outputs.append(run_after(config, outputs[-1]))

    schema = outputs[-1].schemas("detail_101")[-1]["schema"]
    assert NEW_PROMPT in prompt_columns_from_schema(schema)
    assert_delivered(fast_sandbox, outputs, [101])
    prompts = [(r["position"], r["prompt"]) for r in outputs[-1].records("prompts")]
    assert prompts == list(enumerate(fast_sandbox.prompts(101), start=1))


@pytest.mark.parametrize("start_date", [None, MID_DATA, "2026-04-24T12:00:00Z"])
def test_unchanged_run_request_count(fast_sandbox: Sandbox, start_date: str | None) -> None:
    config = tap_config(fast_sandbox, start_date=start_date, page_size=50)
    catalog = discover(config)
    outputs = [run_after(config, None, catalog=catalog)]
    fast_sandbox.advance(5 * HOUR)
    outputs.append(run_after(config, outputs[-1], catalog=catalog))

    for _ in range(2):
        fast_sandbox.reset_stats()
        outputs.append(run_after(config, outputs[-1], catalog=catalog))
        # Per campaign: participation, its summary, and one Detail Report request
        # shared by detail_<id> and responses.
        assert fast_sandbox.stats()["by_campaign"] == {str(campaign_id): 3 for campaign_id in CAMPAIGNS}

    assert bookmark_values(outputs[-1].final_state) == bookmark_values(outputs[-2].final_state)
    assert_delivered(fast_sandbox, outputs, start_date=start_date)


def test_bookmarks_capped_at_end_date(fast_sandbox: Sandbox) -> None:
    start_date = "2026-04-01T00:00:00Z"
    end_date = "2026-04-24T14:00:00Z"
    config = tap_config(fast_sandbox, start_date=start_date, end_date=end_date)
    outputs = [run_after(config, None)]
    for _ in range(2):
        fast_sandbox.advance(4 * HOUR)
        outputs.append(run_after(config, outputs[-1]))

    assert_delivered(fast_sandbox, outputs, start_date=start_date, end_date=end_date)
    for key, value in bookmark_values(outputs[-1].final_state).items():
        assert value <= parse_timestamp(end_date), key
    assert_bookmarks_never_decrease(outputs)


def test_summary_matches_sandbox_totals(fast_sandbox: Sandbox) -> None:
    config = tap_config(fast_sandbox, campaign_ids=[101, 102, 104])
    first = run_after(config, None)
    fast_sandbox.advance(6 * HOUR)
    second = run_after(config, first)

    summaries = {record["campaign_id"]: record for record in second.records("participation_summary")}
    assert set(summaries) == {101, 102, 104}
    for campaign_id, summary in summaries.items():
        # A participant is a mobile number without its leading +, and counts as
        # completed when any of their sessions completed.
        sessions = fast_sandbox.sessions(campaign_id)
        participants = {s["mobile_number"].removeprefix("+") for s in sessions}
        completed = {s["mobile_number"].removeprefix("+") for s in sessions if s["status"] == "C"}
        assert summary["total_participants"] == len(participants), campaign_id
        assert summary["complete_workflow"] == len(completed), campaign_id
        assert summary["incomplete_workflow"] == len(participants) - len(completed), campaign_id


def test_deselected_properties_sequence(fast_sandbox: Sandbox) -> None:
    # A deselected property takes records off the tap's fast path, so the SDK's own
    # bookmark tracking runs for these streams.
    start_date = "2026-04-10T00:00:00Z"
    config = tap_config(fast_sandbox, campaign_ids=[101, 102], page_size=4, start_date=start_date)
    catalog = discover(config)
    deselected = {("responses", "mobile_number"), ("participation", "subscriber_name"), ("detail_101", "email")}
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            breadcrumb = metadata["breadcrumb"]
            if len(breadcrumb) == 2 and (entry["tap_stream_id"], breadcrumb[1]) in deselected:
                metadata["metadata"]["selected"] = False

    outputs = [run_after(config, None, catalog=catalog)]
    for _ in range(2):
        fast_sandbox.advance(HOUR)
        writer = ClockAdvancingWriter(fast_sandbox, "detail_101", 4, 1800)
        outputs.append(run_after(config, outputs[-1], catalog=catalog, message_writer=writer))
    outputs.append(run_after(config, outputs[-1], catalog=catalog))

    assert_delivered(fast_sandbox, outputs, [101, 102], start_date=start_date)
    assert_bookmarks_never_decrease(outputs)
    assert "email" not in outputs[-1].records("detail_101")[0]
