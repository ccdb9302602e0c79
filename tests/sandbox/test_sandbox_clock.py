"""The sandbox clock: arrivals, further answers, lastUpdated after an advance, and add_prompt."""

from __future__ import annotations

import json
import time

import pytest

from tap_txtimpact.sandbox import Sandbox
from tests.sandbox.conftest import ReportClient

CLOCK_START = "2026-04-24T12:00:00Z"


def by_id(sessions: list[dict]) -> dict[str, dict]:
    return {session["session_id"]: session for session in sessions}


def test_advance_adds_sessions_after_old_clock() -> None:
    sandbox = Sandbox(seed=3, campaigns={101: 20, 102: 0})
    before = by_id(sandbox.sessions(101))
    sandbox.advance(6 * 3600)
    after = sandbox.sessions(101)
    new = [s for s in after if s["session_id"] not in before]
    assert new
    assert all(CLOCK_START < s["session_start"] <= sandbox.now for s in new)
    assert sandbox.now == "2026-04-24T18:00:00Z"


def test_advance_keeps_empty_campaign_empty() -> None:
    sandbox = Sandbox(seed=3, campaigns={101: 20, 102: 0})
    sandbox.advance(24 * 3600)
    assert sandbox.sessions(102) == []


def test_no_data_after_clock() -> None:
    sandbox = Sandbox(seed=3, campaigns={101: 200})
    for _ in range(3):
        sandbox.advance(1800)
        for session in sandbox.sessions(101):
            assert session["session_start"] <= sandbox.now
            assert session["last_answer_time"] <= sandbox.now


def test_advance_answers_pending_sessions() -> None:
    sandbox = Sandbox(seed=3, campaigns={101: 200})
    sandbox.advance(3600)
    before = by_id(sandbox.sessions(101))
    # Seven answers take at most 1800 + 6 * 7200 seconds (12.5 hours), so a day completes them.
    sandbox.advance(24 * 3600)
    after = by_id(sandbox.sessions(101))
    grown = [key for key in before if after[key]["prompts_answered"] > before[key]["prompts_answered"]]
    completed = [key for key in grown if after[key]["status"] == "C"]
    assert grown
    assert completed
    for key in grown:
        assert after[key]["last_answer_time"] > before[key]["last_answer_time"]
        assert after[key]["last_prompt_text"] == sandbox.prompts(101)[after[key]["prompts_answered"] - 1]


def test_last_updated_after_advance(client_factory) -> None:
    client = client_factory(seed=3, campaigns={101: 200})
    client.control("POST", "advance", params={"seconds": 3600})
    mark = client.control("GET", "clock").json()["now"]
    before = by_id(client.sandbox.sessions(101))
    client.control("POST", "advance", params={"seconds": 3 * 3600})
    after = client.sandbox.sessions(101)
    changed = [s["session_id"] for s in after if s["session_id"] not in before or s != before[s["session_id"]]]
    body = client.json("DetailReport", 101, lastUpdated=mark)
    returned = [row["SessionId"] for row in body["Items"]]
    assert changed
    assert set(changed) <= set(returned)
    assert returned == [s["session_id"] for s in after if s["last_answer_time"] >= mark]


def test_split_advance_equals_single_advance() -> None:
    whole = Sandbox(seed=5, campaigns={101: 50, 102: 30})
    split = Sandbox(seed=5, campaigns={101: 50, 102: 30})
    whole.advance(5 * 3600)
    for seconds in [1000, 2600, 1, 14399]:
        split.advance(seconds)
    for campaign_id in [101, 102]:
        assert split.sessions(campaign_id) == whole.sessions(campaign_id)


def test_arrivals_per_hour_zero_adds_nothing() -> None:
    sandbox = Sandbox(seed=5, campaigns={101: 50}, arrivals_per_hour=0)
    sandbox.advance(48 * 3600)
    assert len(sandbox.sessions(101)) == 50


def test_advance_rejects_negative() -> None:
    sandbox = Sandbox(campaigns={101: 1})
    with pytest.raises(ValueError, match="seconds"):
        sandbox.advance(-1)


def test_advance_over_http(client: ReportClient) -> None:
    response = client.control("POST", "advance", params={"seconds": 90})
    assert response.json() == {"now": "2026-04-24T12:01:30Z"}
    assert client.control("GET", "clock").json() == {"now": "2026-04-24T12:01:30Z"}
    assert client.control("POST", "advance", params={"seconds": "-3"}).status_code == 400


def test_ticker_advances_clock(sandbox_factory) -> None:
    sandbox = sandbox_factory(tick_seconds=0.05, tick_advance=600)
    deadline = time.monotonic() + 5
    while sandbox.now == CLOCK_START and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.now > CLOCK_START


def test_clock_start_configurable() -> None:
    sandbox = Sandbox(campaigns={101: 30}, clock_start="2025-01-01T00:00:00Z")
    assert sandbox.now == "2025-01-01T00:00:00Z"
    assert max(s["session_start"] for s in sandbox.sessions(101)) <= "2025-01-01T00:00:00Z"


def test_add_prompt_appends_empty_column(client: ReportClient) -> None:
    client.sandbox.add_prompt(101, "New question?")
    prompts = client.sandbox.prompts(101)
    rows = client.json("DetailReport", 101)["Items"]
    assert prompts[-1] == "New question?"
    assert rows
    for row in rows:
        assert list(row)[-1] == "New question?"
        assert row["New question?"] == ""


def test_add_prompt_keeps_existing_answers(client: ReportClient) -> None:
    before = client.json("DetailReport", 101)["Items"]
    client.sandbox.add_prompt(101, "New question?")
    after = client.json("DetailReport", 101)["Items"]
    assert [{k: v for k, v in row.items() if k != "New question?"} for row in after] == before


def test_add_prompt_answered_by_new_sessions() -> None:
    sandbox = Sandbox(seed=2, campaigns={101: 10})
    sandbox.add_prompt(101, "Added later")
    sandbox.advance(10 * 24 * 3600)
    answers = [s["answers"]["Added later"] for s in sandbox.sessions(101)]
    assert any(answer is not None for answer in answers)


def test_add_prompt_over_http(client: ReportClient) -> None:
    response = client.control("POST", "prompts/102", json={"text": "Over HTTP"})
    assert response.status_code == 200
    assert client.control("GET", "prompts/102").json()[-1] == "Over HTTP"
    assert client.control("POST", "prompts/102", json={"text": "Over HTTP"}).status_code == 400


def test_add_prompt_rejects_duplicate_and_unknown() -> None:
    sandbox = Sandbox(campaigns={101: 1})
    with pytest.raises(ValueError, match="already"):
        sandbox.add_prompt(101, sandbox.prompts(101)[0])
    with pytest.raises(KeyError):
        sandbox.add_prompt(999, "Anything")


def test_ground_truth_over_http(client: ReportClient) -> None:
    sessions = client.control("GET", "sessions/101").json()
    assert sessions == json.loads(json.dumps(client.sandbox.sessions(101)))
    assert client.control("GET", "sessions/999").status_code == 404


def test_ticker_pauses_at_once(sandbox_factory) -> None:
    sandbox = sandbox_factory(tick_seconds=0.01, tick_advance=60)
    time.sleep(0.1)
    sandbox.tick_seconds = 0
    paused_at = sandbox.now
    time.sleep(0.1)
    assert sandbox.now == paused_at
    assert paused_at > CLOCK_START


def test_ticker_resumes(sandbox_factory) -> None:
    sandbox = sandbox_factory(tick_advance=60)
    sandbox.tick_seconds = 0.01
    deadline = time.monotonic() + 5
    while sandbox.now == CLOCK_START and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sandbox.now > CLOCK_START


def test_date_header_follows_clock(client: ReportClient) -> None:
    client.sandbox.advance(3600)
    response = client.get("DetailReport", 101)
    assert response.headers["Date"] == "Fri, 24 Apr 2026 13:00:00 GMT"
