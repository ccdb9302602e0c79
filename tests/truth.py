"""Compare what the tap emitted with the sandbox's own record of every session.

Records are folded by primary key, last one winning, as a target that upserts would
store them, so duplicates from retries or resumed runs do not count as errors but a
missing session, answer or changed value does.
"""

from __future__ import annotations

import typing as t

from tap_txtimpact.sandbox import Sandbox


def _utc(value: str) -> str:
    return value.replace("Z", "+00:00")


def fold(records: t.Iterable[dict[str, t.Any]], *keys: str) -> dict[tuple[t.Any, ...], dict[str, t.Any]]:
    """Return records keyed by ``keys``, the last record of each key winning."""
    return {tuple(record[key] for key in keys): record for record in records}


def expected_answer(answer: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    if answer is None:
        return None
    return {"text": answer["text"] or None, "media": list(answer["media"])}


def assert_detail_matches(
    sandbox: Sandbox, campaign_id: int, records: list[dict[str, t.Any]], prompt_columns: dict[str, str]
) -> None:
    """Assert every session of a campaign is present with the sandbox's values."""
    folded = fold(records, "session_id")
    truth = sandbox.sessions(campaign_id)
    assert set(folded) == {(s["session_id"],) for s in truth}

    for session in truth:
        record = folded[(session["session_id"],)]
        assert record["session_date_time"] == _utc(session["session_start"]), session["session_id"]
        assert record["workflow_status"] == session["status"], session["session_id"]
        assert record["mobile_number"] == session["mobile_number"], session["session_id"]
        for prompt, column in prompt_columns.items():
            assert record[column] == expected_answer(session["answers"].get(prompt)), (session["session_id"], prompt)


def assert_responses_match(sandbox: Sandbox, campaign_ids: t.Iterable[int], records: list[dict[str, t.Any]]) -> None:
    """Assert every answered prompt of the campaigns is present with its value."""
    folded = fold(records, "campaign_id", "session_id", "prompt")
    expected = {}
    for campaign_id in campaign_ids:
        for session in sandbox.sessions(campaign_id):
            for prompt, answer in session["answers"].items():
                if answer is not None:
                    expected[campaign_id, session["session_id"], prompt] = expected_answer(answer)

    assert set(folded) == set(expected)
    for key, answer in expected.items():
        record = folded[key]
        assert {"text": record["text"], "media": record["media"]} == answer, key


def assert_participation_matches(
    sandbox: Sandbox, campaign_ids: t.Iterable[int], records: list[dict[str, t.Any]]
) -> None:
    """Assert every session row of the campaigns is present with its status."""
    folded = fold(records, "campaign_id", "mobile_number", "session_start_time")
    expected = {
        (campaign_id, s["mobile_number"], _utc(s["session_start"])): s
        for campaign_id in campaign_ids
        for s in sandbox.sessions(campaign_id)
    }
    assert set(folded) == set(expected)
    for key, session in expected.items():
        assert folded[key]["workflow_status"] == session["status"], key
        assert folded[key]["prompts"] == session["prompts_answered"], key
