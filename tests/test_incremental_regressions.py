"""Incremental scenarios that once lost data or stopped a run, each with a seeded sandbox."""

from __future__ import annotations

import datetime as dt
import typing as t

import pytest
from helpers import discover
from test_incremental_scenarios import HOUR, NEW_PROMPT, assert_delivered, run_after, tap_config

from tap_txtimpact.output import BufferedStdoutWriter
from tap_txtimpact.sandbox import Sandbox


class OneAdvanceWriter(BufferedStdoutWriter):
    """Advances the sandbox clock once, right after the ``after``-th record of one stream.

    The tap writes a page's records before it requests the next page, so the advance
    lands between two page requests of one scan.
    """

    def __init__(self, sandbox: Sandbox, stream: str, after: int, seconds: float) -> None:
        super().__init__()
        self.sandbox = sandbox
        self.stream = stream
        self.after = after
        self.seconds = seconds
        self.records_seen = 0

    def write_record(self, stream: str, record: dict[str, t.Any], time_extracted: dt.datetime) -> None:
        super().write_record(stream, record, time_extracted)
        if stream != self.stream:
            return
        self.records_seen += 1
        if self.records_seen == self.after:
            self.sandbox.advance(self.seconds)


@pytest.mark.parametrize(("seed", "page_size", "records_before_advance"), [(5, 1, 1), (15, 2, 4)])
def test_answer_between_pages_repeats_row(
    sandbox_factory: t.Callable[..., Sandbox], seed: int, page_size: int, records_before_advance: int
) -> None:
    sandbox = sandbox_factory(seed=seed, campaigns={101: 30}, requests_per_second=0, arrivals_per_hour=20)
    sandbox.advance(6 * HOUR)
    config = tap_config(sandbox, campaign_ids=[101], page_size=page_size)
    first = run_after(config, None)

    # During the next run's Detail Report scan, after its first pages, a session that
    # started before the bookmark gets an answer. It now matches lastUpdated and takes
    # a place ahead of the rows already read, so the next page repeats the last one.
    sandbox.advance(1800)
    writer = OneAdvanceWriter(sandbox, "detail_101", records_before_advance, 3 * HOUR)
    second = run_after(config, first, message_writer=writer)
    third = run_after(config, second)

    assert_delivered(sandbox, [first, second, third], [101])


def test_rediscovered_prompt_fills_detail(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(seed=2, campaigns={101: 30}, requests_per_second=0, arrivals_per_hour=6)
    config = tap_config(sandbox, campaign_ids=[101])
    old_catalog = discover(config)
    first = run_after(config, None, catalog=old_catalog)

    sandbox.add_prompt(101, NEW_PROMPT)
    sandbox.advance(24 * HOUR)
    second = run_after(config, first, catalog=old_catalog)

    # The tap's warning tells the user to run discovery again so that detail_101 gets
    # the prompt, which is what this run does.
    new_catalog = discover(config)
    sandbox.advance(60)
    third = run_after(config, second, catalog=new_catalog)

    assert_delivered(sandbox, [first, second, third], [101])
