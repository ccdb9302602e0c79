"""Full and incremental syncs against the sandbox with injected faults.

Every test compares what the tap emitted with the sandbox's own record of every
session: all sessions and answers present, values equal, none lost.
"""

from __future__ import annotations

import logging
import typing as t

import pytest
from helpers import SyncOutput, discover, run_sync
from truth import (
    assert_detail_matches,
    assert_participation_matches,
    assert_responses_match,
)

from tap_txtimpact.client import InvalidAPIKeyError, RequestFailedError
from tap_txtimpact.sandbox import Faults, Sandbox
from tap_txtimpact.schemas import prompt_columns_from_schema

CAMPAIGNS = {101: 23, 102: 0, 103: 41}


def tap_config(sandbox: Sandbox, **overrides: t.Any) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {
        "api_key": "sandbox-key",
        "campaign_ids": list(CAMPAIGNS),
        "api_url": sandbox.url,
        "page_size": 10,
        "requests_per_second": 200,
        "retry_wait_seconds": 0.02,
        "request_timeout": 5,
    }
    config.update(overrides)
    return config


def assert_matches_sandbox(sandbox: Sandbox, output: SyncOutput, campaign_ids: t.Iterable[int] = CAMPAIGNS) -> None:
    campaign_ids = list(campaign_ids)
    for campaign_id in campaign_ids:
        stream = f"detail_{campaign_id}"
        schema = output.schemas(stream)[-1]["schema"]
        assert_detail_matches(sandbox, campaign_id, output.records(stream), prompt_columns_from_schema(schema))
    assert_responses_match(sandbox, campaign_ids, output.records("responses"))
    assert_participation_matches(sandbox, campaign_ids, output.records("participation"))


@pytest.fixture
def fast_sandbox(sandbox_factory: t.Callable[..., Sandbox]) -> Sandbox:
    return sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0)


def test_clean_sync_matches(fast_sandbox: Sandbox) -> None:
    output = run_sync(tap_config(fast_sandbox))
    assert_matches_sandbox(fast_sandbox, output)


@pytest.mark.parametrize(
    "faults",
    [
        Faults(server_error_every=3),
        Faults(truncate_every=3),
        Faults(disconnect_every=4),
        Faults(reset_every=4),
        Faults(fail_first=4),
        Faults(page_size_cap=4),
        Faults(server_error_every=5, truncate_every=7, reset_every=11, page_size_cap=6),
    ],
    ids=["5xx", "truncated", "disconnect", "reset", "fail-first", "capped-pages", "mixed"],
)
def test_faulty_sync_matches(fast_sandbox: Sandbox, faults: Faults) -> None:
    fast_sandbox.set_faults(faults)
    output = run_sync(tap_config(fast_sandbox))
    assert_matches_sandbox(fast_sandbox, output)


def test_slow_responses_time_out(fast_sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    fast_sandbox.set_faults(Faults(slow_every=5, slow_seconds=1.5))
    with caplog.at_level(logging.INFO):
        output = run_sync(tap_config(fast_sandbox, request_timeout=0.5))
    assert_matches_sandbox(fast_sandbox, output)
    assert any("Retrying page" in r.getMessage() and "timed out" in r.getMessage().lower() for r in caplog.records)


def test_rate_limit_burst_retried(fast_sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    fast_sandbox.set_faults(Faults(rate_limit_every=6, retry_after=1))
    with caplog.at_level(logging.INFO):
        output = run_sync(tap_config(fast_sandbox))
    assert_matches_sandbox(fast_sandbox, output)
    retries = [r.getMessage() for r in caplog.records if "Retrying page" in r.getMessage() and "429" in r.getMessage()]
    assert retries
    assert fast_sandbox.stats()["rate_limited"] == len(retries)
    waits = [float(message.split(" in ")[1].split(" s ")[0]) for message in retries]
    assert min(waits) >= 1.0


def test_default_throttle_avoids_429(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns={201: 12, 202: 5}, requests_per_second=3)
    config = tap_config(sandbox, campaign_ids=[201, 202], page_size=5)
    del config["requests_per_second"]
    output = run_sync(config)
    assert_matches_sandbox(sandbox, output, [201, 202])
    assert sandbox.stats()["rate_limited"] == 0


def test_range_rejection_splits_windows(
    sandbox_factory: t.Callable[..., Sandbox], caplog: pytest.LogCaptureFixture
) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0, max_range_days=20)
    with caplog.at_level(logging.INFO):
        output = run_sync(tap_config(sandbox, start_date="2025-12-01T00:00:00Z"))
    assert_matches_sandbox(sandbox, output)
    assert sandbox.stats()["bad_request"] >= 1
    assert any("splitting it into windows" in r.getMessage() for r in caplog.records)


def test_window_setting_avoids_400(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0, max_range_days=20)
    output = run_sync(tap_config(sandbox, start_date="2025-12-01T00:00:00Z", date_window_days=15))
    assert_matches_sandbox(sandbox, output)
    assert sandbox.stats()["bad_request"] == 0


def test_one_day_rejection_is_fatal(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns={101: 5}, requests_per_second=0, max_range_days=0.5)
    with pytest.raises(Exception, match="one-day date range") as caught:
        run_sync(tap_config(sandbox, campaign_ids=[101], start_date="2026-01-01T00:00:00Z"))
    assert "exceeds" in str(caught.value)


def test_invalid_key_fails_once(fast_sandbox: Sandbox) -> None:
    with pytest.raises(InvalidAPIKeyError, match="rejected the API key") as caught:
        run_sync(tap_config(fast_sandbox, api_key="wrong-key-value"))
    assert fast_sandbox.stats()["total"] == 1
    assert "wrong-key-value" not in str(caught.value)


def test_retries_exhausted_message(fast_sandbox: Sandbox) -> None:
    fast_sandbox.set_faults(Faults(server_error_every=1))
    with pytest.raises(RequestFailedError) as caught:
        run_sync(tap_config(fast_sandbox, max_retries=2))
    message = str(caught.value)
    assert "/workflow/101/DetailReport" in message
    assert "campaign 101" in message
    assert "page 1" in message
    assert "after 3 attempts" in message
    assert "50" in message.split("Last error:")[1][:5]


def test_incremental_without_changes_is_cheap(fast_sandbox: Sandbox) -> None:
    config = tap_config(fast_sandbox, start_date="2025-06-01T00:00:00Z", page_size=100)
    first = run_sync(config)

    fast_sandbox.reset_stats()
    run_sync(config, state=first.final_state)
    # Per campaign: one discovery request, one Detail Report request serving both
    # detail_<id> and responses, one participation and one summary request.
    assert fast_sandbox.stats()["total"] == 4 * len(CAMPAIGNS)

    catalog = discover(config)
    fast_sandbox.reset_stats()
    run_sync(config, state=first.final_state, catalog=catalog)
    assert fast_sandbox.stats()["total"] == 3 * len(CAMPAIGNS)
    assert fast_sandbox.stats()["bad_request"] == 0


def test_incremental_after_clock_advance(fast_sandbox: Sandbox) -> None:
    first = run_sync(tap_config(fast_sandbox))
    fast_sandbox.advance(6 * 3600)
    second = run_sync(tap_config(fast_sandbox), state=first.final_state)

    combined = SyncOutput(first.messages + second.messages)
    assert_matches_sandbox(fast_sandbox, combined)
    assert len(second.records("detail_103")) < len(fast_sandbox.sessions(103))


def test_live_arrivals_not_lost(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0, tick_seconds=0.05, tick_advance=900)
    sandbox.set_faults(Faults(slow_every=2, slow_seconds=0.1))
    config = tap_config(sandbox, page_size=5)
    first = run_sync(config)
    sandbox.tick_seconds = 0
    second = run_sync(config, state=first.final_state)
    sandbox.stop()

    combined = SyncOutput(first.messages + second.messages)
    assert_matches_sandbox(sandbox, combined)
