"""Each report page is requested once per stream that needs it, and no more."""

from __future__ import annotations

import math
import typing as t

from helpers import discover, run_sync, select_streams

from tap_txtimpact.sandbox import Sandbox

CAMPAIGNS = {101: 45, 102: 0, 103: 120}
PAGE_SIZE = 20


def pages(sessions: int) -> int:
    """Return the requests one report needs: an empty report still takes one."""
    return max(1, math.ceil(sessions / PAGE_SIZE))


def tap_config(sandbox: Sandbox) -> dict[str, t.Any]:
    return {
        "api_key": "sandbox-key",
        "campaign_ids": list(CAMPAIGNS),
        "api_url": sandbox.url,
        "page_size": PAGE_SIZE,
        "requests_per_second": 1000,
    }


def test_full_sync_request_counts(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0)
    run_sync(tap_config(sandbox))

    stats = sandbox.stats()
    for campaign_id in CAMPAIGNS:
        sessions = len(sandbox.sessions(campaign_id))
        # Detail Report: one discovery request, then each page once for both
        # detail_<id> and responses.
        detail = 1 + pages(sessions)
        # Participation Report: each page once, plus one summary request.
        participation = pages(sessions) + 1
        assert stats["by_campaign"][str(campaign_id)] == detail + participation, campaign_id
    assert stats["by_endpoint"]["DetailReport"] == sum(1 + pages(len(sandbox.sessions(c))) for c in CAMPAIGNS)
    assert stats["rate_limited"] == 0


def test_catalog_sync_skips_discovery(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0)
    config = tap_config(sandbox)
    catalog = discover(config)
    sandbox.reset_stats()
    run_sync(config, catalog=select_streams(catalog, {"detail_101", "detail_103"}))

    stats = sandbox.stats()
    expected_detail = sum(pages(len(sandbox.sessions(c))) for c in (101, 103))
    assert stats["by_endpoint"].get("DetailReport", 0) == expected_detail
    assert stats["by_endpoint"].get("ResponseReport", 0) == 0


def test_responses_alone_reads_detail_once(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0)
    config = tap_config(sandbox)
    catalog = discover(config)
    sandbox.reset_stats()
    output = run_sync(config, catalog=select_streams(catalog, {"responses"}))

    assert output.records("responses")
    assert output.records("detail_101") == []
    expected_detail = sum(pages(len(sandbox.sessions(c))) for c in CAMPAIGNS)
    assert sandbox.stats()["by_endpoint"].get("DetailReport", 0) == expected_detail
