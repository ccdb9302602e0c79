"""The tap's fast record path emits exactly what the SDK's full path emits."""

from __future__ import annotations

import typing as t

from helpers import SyncOutput, run_sync
from singer_sdk.singerlib.encoding import SimpleSingerWriter

from tap_txtimpact.sandbox import Sandbox

CAMPAIGNS = {101: 57, 102: 0, 103: 33}


def comparable(output: SyncOutput) -> list[tuple[str, t.Any]]:
    """Return the messages without the extraction times, which differ between runs."""
    result = []
    for message in output.messages:
        if message["type"] == "RECORD":
            record = {k: v for k, v in message["record"].items() if k != "extracted_at"}
            result.append((message["stream"], record))
        elif message["type"] == "SCHEMA":
            result.append((message["stream"], message["schema"]))
    return result


def test_fast_and_sdk_paths_match(sandbox_factory: t.Callable[..., Sandbox]) -> None:
    sandbox = sandbox_factory(campaigns=CAMPAIGNS, requests_per_second=0)
    config = {
        "api_key": "sandbox-key",
        "campaign_ids": list(CAMPAIGNS),
        "api_url": sandbox.url,
        "page_size": 20,
        "requests_per_second": 1000,
    }

    fast_first = run_sync(config)
    sdk_first = run_sync(config, message_writer=SimpleSingerWriter())
    assert comparable(fast_first) == comparable(sdk_first)
    assert fast_first.final_state == sdk_first.final_state

    sandbox.advance(8 * 3600)
    fast_second = run_sync(config, state=fast_first.final_state)
    sdk_second = run_sync(config, state=sdk_first.final_state, message_writer=SimpleSingerWriter())
    assert comparable(fast_second) == comparable(sdk_second)
    assert fast_second.final_state == sdk_second.final_state
    assert fast_second.records("detail_101")
