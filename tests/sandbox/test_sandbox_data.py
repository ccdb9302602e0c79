"""Generated data of the sandbox: determinism, variety, awkward prompts and a large campaign."""

from __future__ import annotations

import re

from tap_txtimpact.sandbox import Sandbox
from tests.sandbox.conftest import ReportClient

SMALL = {101: 40, 102: 30, 103: 200, 104: 0}


def test_same_seed_same_data() -> None:
    first = Sandbox(seed=11, campaigns=SMALL)
    second = Sandbox(seed=11, campaigns=SMALL)
    for campaign_id in SMALL:
        assert first.sessions(campaign_id) == second.sessions(campaign_id)


def test_other_seed_other_data() -> None:
    first = Sandbox(seed=11, campaigns=SMALL)
    second = Sandbox(seed=12, campaigns=SMALL)
    assert first.sessions(103) != second.sessions(103)


def test_campaign_data_independent_of_other_campaigns() -> None:
    # The workflow template depends on the position in the layout, so 103 stays first.
    alone = Sandbox(seed=11, campaigns={103: 200})
    together = Sandbox(seed=11, campaigns={103: 200, 101: 40})
    assert alone.sessions(103) == together.sessions(103)


def test_default_layout() -> None:
    sandbox = Sandbox()
    sizes = {campaign_id: len(sandbox.sessions(campaign_id)) for campaign_id in sandbox.campaign_ids}
    assert sizes == {101: 60, 102: 300, 103: 5000, 104: 0}


def test_default_layout_has_awkward_prompts() -> None:
    sandbox = Sandbox()
    prompts = [p for c in sandbox.campaign_ids if sandbox.sessions(c) for p in sandbox.prompts(c)]
    assert "Your rating?" in prompts
    assert "Your Rating!" in prompts
    assert "Name?" in prompts
    assert "Select" in prompts
    assert "Order" in prompts
    assert any(len(p) > 120 for p in prompts)
    assert any(p[0].isdigit() for p in prompts)
    assert any("😊" in p for p in prompts)
    assert any(re.search("[éó¿]", p) for p in prompts)


def test_custom_workflows() -> None:
    sandbox = Sandbox(campaigns={5: 10}, workflows={5: ["A?", "B?"]})
    assert sandbox.prompts(5) == ["A?", "B?"]
    assert all(list(s["answers"]) == ["A?", "B?"] for s in sandbox.sessions(5))


def test_sessions_consistent() -> None:
    sandbox = Sandbox(seed=4, campaigns={103: 500})
    prompts = sandbox.prompts(103)
    for session in sandbox.sessions(103):
        answered = [p for p in prompts if session["answers"][p] is not None]
        assert answered == prompts[: session["prompts_answered"]]
        assert (session["status"] == "C") == (session["prompts_answered"] == len(prompts))
        assert session["last_answer_time"] >= session["session_start"]
        if not answered:
            assert session["last_answer_time"] == session["session_start"]


def test_sessions_varied() -> None:
    sessions = Sandbox(seed=4, campaigns={103: 500}).sessions(103)
    answers = [a for s in sessions for a in s["answers"].values() if a is not None]
    numbers = [s["mobile_number"] for s in sessions]
    assert any(n.startswith("+") for n in numbers)
    assert any(not n.startswith("+") for n in numbers)
    assert len({n.lstrip("+") for n in numbers}) < len(numbers)
    assert any(s["name"] == "" for s in sessions)
    assert any(s["email"] == "" for s in sessions)
    assert any(a["text"] == "" and a["media"] for a in answers)
    assert any(a["text"] and a["media"] for a in answers)
    assert {url.rsplit(".", 1)[1] for a in answers for url in a["media"]} == {"jpg", "png", "mp4"}
    assert all(url.startswith("https://") for a in answers for url in a["media"])


def test_sessions_spread_over_history() -> None:
    sessions = Sandbox(seed=4, campaigns={103: 500}).sessions(103)
    assert sessions[0]["session_start"] < "2026-01-01T00:00:00Z"
    assert sessions[0]["session_start"] >= "2025-12-25T12:00:00Z"
    assert sessions[-1]["session_start"] > "2026-04-24T00:00:00Z"


def test_large_campaign_serves_1000_row_page(client_factory) -> None:
    client: ReportClient = client_factory(campaigns={101: 50_000})
    detail = client.json("DetailReport", 101, page=7, pageSize=1000)
    response = client.json("ResponseReport", 101, page=50, pageSize=1000, status="all")
    assert detail["TotalCount"] == 50_000
    assert len(detail["Items"]) == 1000
    assert detail["Items"][0]["SessionId"] == client.sandbox.sessions(101)[6000]["session_id"]
    assert response["TotalFilteredCount"] == 50_000
    assert len(response["WorkflowResponseReportDataList"]) == 1000
