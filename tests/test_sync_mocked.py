"""Discovery and sync against mocked API responses."""

from __future__ import annotations

import json
import logging
import typing as t

import pytest
from helpers import discover, run_sync, select_streams
from mock_api import (
    API_KEY,
    API_URL,
    FakeCampaign,
    FakeSession,
    base_config,
    encode_answer,
    make_sessions,
)

from tap_txtimpact.prompts import name_prompt_properties
from tap_txtimpact.schemas import DETAIL_FIXED_NAMES

if t.TYPE_CHECKING:
    import requests_mock

PROMPTS = ["What is your age group?", "Please share a photo of your receipt", "Name?", "Your rating?", "Your Rating!"]


@pytest.fixture
def campaign(requests_mock: requests_mock.Mocker) -> FakeCampaign:
    fake = FakeCampaign(42, list(PROMPTS), make_sessions(8, PROMPTS))
    fake.register(requests_mock)
    return fake


def expected_columns() -> dict[str, str]:
    return name_prompt_properties(PROMPTS, reserved_names=DETAIL_FIXED_NAMES)


def test_discovery_names_prompt_properties(campaign: FakeCampaign) -> None:
    catalog = discover(base_config())
    entry = next(s for s in catalog["streams"] if s["tap_stream_id"] == "detail_42")
    properties = entry["schema"]["properties"]
    for prompt, name in expected_columns().items():
        assert properties[name]["description"] == prompt
    assert list(properties)[len(DETAIL_FIXED_NAMES) :] == list(expected_columns().values())


def test_discovery_reads_one_row(campaign: FakeCampaign) -> None:
    discover(base_config())
    assert len(campaign.requests) == 1
    assert campaign.requests[0]["pageSize"] == "1"


def test_discovery_sends_api_key(campaign: FakeCampaign, requests_mock: requests_mock.Mocker) -> None:
    discover(base_config())
    assert requests_mock.request_history[0].headers["apikey"] == API_KEY


def test_empty_campaign_fixed_only(requests_mock: requests_mock.Mocker, caplog: pytest.LogCaptureFixture) -> None:
    FakeCampaign(7, list(PROMPTS), []).register(requests_mock)
    with caplog.at_level(logging.INFO):
        catalog = discover(base_config(campaign_ids=[7]))
    entry = next(s for s in catalog["streams"] if s["tap_stream_id"] == "detail_7")
    assert tuple(entry["schema"]["properties"]) == DETAIL_FIXED_NAMES
    assert any("Campaign 7 has no sessions" in r.getMessage() for r in caplog.records)


def test_full_sync_detail_records(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    records = output.records("detail_42")
    assert [r["session_id"] for r in records] == [s.session_id for s in campaign.sessions]

    columns = expected_columns()
    for record, session in zip(records, campaign.sessions):
        for prompt, name in columns.items():
            raw = session.answers.get(prompt, "")
            if raw == "":
                assert record[name] is None
            else:
                decoded = json.loads(raw)
                assert record[name] == {"text": decoded["Text"] or None, "media": decoded["Media"]}
        assert record["name"] == (session.name or None)
        assert record["email"] is None


def test_full_sync_responses_records(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    records = output.records("responses")
    expected = {
        (s.session_id, prompt) for s in campaign.sessions for prompt in PROMPTS if s.answers.get(prompt, "") != ""
    }
    assert {(r["session_id"], r["prompt"]) for r in records} == expected
    assert len(records) == len(expected)
    columns = expected_columns()
    assert all(r["prompt_column"] == columns[r["prompt"]] for r in records)


def test_full_sync_participation_records(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    records = output.records("participation")
    assert len(records) == len(campaign.sessions)
    first = campaign.sessions[0]
    assert records[0]["mobile_number"] == first.mobile
    assert records[0]["session_start_time"] == first.started.replace("Z", "+00:00")
    assert records[0]["prompts"] == len([p for p in PROMPTS if first.answers.get(p, "")])


def test_summary_has_all_time_totals(campaign: FakeCampaign) -> None:
    output = run_sync(base_config(start_date="2026-04-01T10:00:00Z"))
    (summary,) = output.records("participation_summary")
    assert summary["total_participants"] == len({s.mobile for s in campaign.sessions})
    assert summary["complete_workflow"] == sum(1 for s in campaign.sessions if s.status == "C")


def test_prompts_stream_lists_prompts(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    records = output.records("prompts")
    assert [(r["prompt"], r["position"]) for r in records] == [(p, i) for i, p in enumerate(PROMPTS, start=1)]


def test_detail_page_requested_once(campaign: FakeCampaign) -> None:
    run_sync(base_config())
    detail_pages = [r["page"] for r in campaign.requests if r["endpoint"] == "DetailReport" and r["pageSize"] == "3"]
    assert detail_pages == ["1", "2", "3"]


def test_capped_page_size_gets_all(campaign: FakeCampaign) -> None:
    campaign.page_cap = 2
    output = run_sync(base_config(page_size=5))
    assert len(output.records("detail_42")) == len(campaign.sessions)
    assert len(output.records("participation")) == len(campaign.sessions)
    detail_pages = [
        (r["page"], r["pageSize"])
        for r in campaign.requests
        if r["endpoint"] == "DetailReport" and r["pageSize"] != "1"
    ]
    # The first page shows the cap; later pages ask for what the server serves.
    assert detail_pages == [("1", "5"), ("2", "2"), ("3", "2"), ("4", "2")]


def test_every_request_sends_page_size(campaign: FakeCampaign) -> None:
    run_sync(base_config())
    assert all(int(r["pageSize"]) >= 1 for r in campaign.requests)


def test_repeated_page_stops(requests_mock: requests_mock.Mocker) -> None:
    fake = FakeCampaign(42, list(PROMPTS), make_sessions(6, PROMPTS))
    fake.register(requests_mock)
    original = fake.detail

    def ignore_page(request: t.Any, context: t.Any) -> dict[str, t.Any]:
        request.url = request.url.replace("page=2", "page=1")
        return original(request, context)

    requests_mock.get(f"{API_URL}/workflow/42/DetailReport", json=ignore_page)
    with pytest.raises(Exception, match="Page 2 repeated the rows of the page before it"):
        run_sync(base_config())


def test_incremental_sends_bookmark(campaign: FakeCampaign) -> None:
    first = run_sync(base_config())
    state = first.final_state
    campaign.requests.clear()
    run_sync(base_config(), state=state)

    bookmark = state["bookmarks"]["detail_42"]["replication_key_value"]
    detail = [r for r in campaign.requests if r["endpoint"] == "DetailReport" and r["pageSize"] == "3"]
    assert detail[0]["lastUpdated"] == bookmark.replace("+00:00", "Z")
    assert "startDateTime" not in detail[0]


def test_incremental_emits_updated_older_rows(campaign: FakeCampaign) -> None:
    first = run_sync(base_config())
    state = first.final_state
    old = campaign.sessions[1]
    old.answers[PROMPTS[0]] = encode_answer("changed")
    old.last_answer = "2026-04-03T00:00:00Z"

    second = run_sync(base_config(), state=state)
    ids = [r["session_id"] for r in second.records("detail_42")]
    assert old.session_id in ids
    assert campaign.sessions[-1].session_id in ids
    assert campaign.sessions[0].session_id not in ids


def test_bookmark_never_decreases(campaign: FakeCampaign) -> None:
    first = run_sync(base_config())
    state = first.final_state
    campaign.sessions[1].last_answer = "2026-04-03T00:00:00Z"
    second = run_sync(base_config(), state=state)
    for stream in ("detail_42",):
        before = state["bookmarks"][stream]["replication_key_value"]
        after = second.final_state["bookmarks"][stream]["replication_key_value"]
        assert after >= before


def test_bookmark_is_max_start(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    latest = max(s.started for s in campaign.sessions).replace("Z", "+00:00")
    bookmarks = output.final_state["bookmarks"]
    assert bookmarks["detail_42"]["replication_key_value"] == latest
    (partition,) = bookmarks["participation"]["partitions"]
    assert partition["context"] == {"campaign_id": 42}
    assert partition["replication_key_value"] == latest
    (responses,) = bookmarks["responses"]["partitions"]
    assert responses["replication_key_value"] == latest


def test_future_bookmark_capped(requests_mock: requests_mock.Mocker) -> None:
    sessions = make_sessions(2, PROMPTS, start="2099-01-01T00:00:00Z")
    FakeCampaign(42, list(PROMPTS), sessions).register(requests_mock)
    output = run_sync(base_config())
    bookmarks = output.final_state["bookmarks"]
    assert bookmarks["detail_42"]["replication_key_value"] < "2099"
    assert bookmarks["participation"]["partitions"][0]["replication_key_value"] < "2099"
    assert bookmarks["responses"]["partitions"][0]["replication_key_value"] < "2099"


def test_new_campaign_starts_fresh(campaign: FakeCampaign, requests_mock: requests_mock.Mocker) -> None:
    first = run_sync(base_config())
    other = FakeCampaign(43, ["Q1"], make_sessions(2, ["Q1"]))
    other.register(requests_mock)
    second = run_sync(base_config(campaign_ids=[42, 43], start_date="2026-03-01T00:00:00Z"), state=first.final_state)
    assert len(second.records("detail_43")) == 2
    new_requests = [r for r in other.requests if r["endpoint"] == "DetailReport" and r["pageSize"] == "3"]
    assert new_requests[0]["startDateTime"] == "2026-03-01T00:00:00Z"
    old_requests = [r for r in campaign.requests[-6:] if r["endpoint"] == "DetailReport"]
    assert all("lastUpdated" in r for r in old_requests if r["pageSize"] == "3")


def test_state_round_trip(campaign: FakeCampaign) -> None:
    first = run_sync(base_config())
    second = run_sync(base_config(), state=first.final_state)
    third = run_sync(base_config(), state=second.final_state)
    assert third.final_state["bookmarks"]["detail_42"] == second.final_state["bookmarks"]["detail_42"]


def test_catalog_skips_discovery(campaign: FakeCampaign) -> None:
    catalog = discover(base_config())
    campaign.requests.clear()
    output = run_sync(base_config(), catalog=select_streams(catalog, {"detail_42"}))
    assert all(r["pageSize"] != "1" for r in campaign.requests)
    assert len(output.records("detail_42")) == len(campaign.sessions)
    assert output.records("participation") == []


def test_missing_prompt_reaches_responses(campaign: FakeCampaign, caplog: pytest.LogCaptureFixture) -> None:
    catalog = select_streams(discover(base_config()), {"detail_42", "responses"})
    campaign.prompts.append("A brand new question?")
    for session in campaign.sessions:
        session.answers["A brand new question?"] = encode_answer(f"new {session.session_id}")

    with caplog.at_level(logging.WARNING):
        output = run_sync(base_config(), catalog=catalog)

    new = [r for r in output.records("responses") if r["prompt"] == "A brand new question?"]
    assert len(new) == len(campaign.sessions)
    assert new[0]["prompt_column"] == "a_brand_new_question"
    assert "a_brand_new_question" not in output.records("detail_42")[0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("A brand new question?" in m and "discovery" in m for m in warnings)


def test_invalid_prompt_value_kept(requests_mock: requests_mock.Mocker, caplog: pytest.LogCaptureFixture) -> None:
    secret_answer = '{"Text": "secret answer cut'
    session = FakeSession("900", "+100", "2026-04-01T00:00:00Z", {"Q": secret_answer})
    FakeCampaign(42, ["Q"], [session]).register(requests_mock)
    with caplog.at_level(logging.WARNING):
        output = run_sync(base_config())
    (record,) = output.records("detail_42")
    assert record["q"] == {"text": secret_answer, "media": []}
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("session 900" in m and "'Q'" in m for m in messages)
    assert not any("secret answer" in m for m in messages)


def test_empty_strings_become_null(requests_mock: requests_mock.Mocker) -> None:
    session = FakeSession("1", "100", "2026-04-01T00:00:00Z", {}, name="")
    FakeCampaign(42, ["Q"], [session]).register(requests_mock)
    output = run_sync(base_config())
    (detail,) = output.records("detail_42")
    (participation,) = output.records("participation")
    assert detail["name"] is None
    assert detail["q"] is None
    assert participation["subscriber_name"] is None
    assert participation["prompt_text"] is None


def test_start_date_sent_as_range(campaign: FakeCampaign) -> None:
    run_sync(base_config(start_date="2026-04-01T10:00:00Z", end_date="2026-04-01T12:00:00Z"))
    detail = [r for r in campaign.requests if r["endpoint"] == "DetailReport" and r["pageSize"] == "3"]
    assert detail[0]["startDateTime"] == "2026-04-01T10:00:00Z"
    assert detail[0]["endDateTime"] == "2026-04-01T12:00:00Z"


def test_out_of_range_rows_filtered(campaign: FakeCampaign) -> None:
    first = run_sync(base_config(start_date="2026-04-01T10:00:00Z"))
    state = first.final_state
    campaign.sessions[0].last_answer = "2026-05-01T00:00:00Z"
    second = run_sync(base_config(start_date="2026-04-01T10:00:00Z"), state=state)
    ids = {r["session_id"] for r in second.records("detail_42")}
    assert campaign.sessions[0].session_id not in ids


def test_batch_files_hold_plain_objects(campaign: FakeCampaign, tmp_path: t.Any) -> None:
    import gzip

    batch_config = {
        "encoding": {"format": "jsonl", "compression": "gzip"},
        "storage": {"root": f"file://{tmp_path}"},
    }
    output = run_sync(base_config(batch_config=batch_config))
    batches = [m for m in output.messages if m["type"] == "BATCH" and m["stream"] == "detail_42"]
    assert len(batches) == 1
    (path,) = batches[0]["manifest"]
    with gzip.open(path.removeprefix("file://"), "rt") as handle:
        records = [json.loads(line) for line in handle]
    assert len(records) == len(campaign.sessions)
    column = expected_columns()[PROMPTS[0]]
    answered = next(r for r, s in zip(records, campaign.sessions) if s.answers.get(PROMPTS[0]))
    assert isinstance(answered[column], dict)
    assert set(answered[column]) == {"text", "media"}


def test_responses_schema_written_once(campaign: FakeCampaign) -> None:
    output = run_sync(base_config())
    assert len(output.schemas("responses")) == 1
    first_schema = output.messages.index(output.schemas("responses")[0])
    first_record = next(
        i for i, m in enumerate(output.messages) if m["type"] == "RECORD" and m["stream"] == "responses"
    )
    assert first_schema < first_record


def test_campaign_missing_from_catalog(
    campaign: FakeCampaign,
    requests_mock: requests_mock.Mocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    catalog = discover(base_config())
    other = FakeCampaign(43, ["Q1"], make_sessions(2, ["Q1"]))
    other.register(requests_mock)

    with caplog.at_level(logging.WARNING):
        output = run_sync(
            base_config(campaign_ids=[42, 43]), catalog=select_streams(catalog, {"detail_42", "participation"})
        )

    assert len(output.records("detail_42")) == len(campaign.sessions)
    assert output.schemas("detail_43") == []
    assert {r["campaign_id"] for r in output.records("participation")} == {42, 43}
    assert not [r for r in other.requests if r["endpoint"] == "DetailReport"]
    assert any("'detail_43' is not in the catalog" in r.getMessage() for r in caplog.records)


def test_unknown_campaign_names_setting(requests_mock: requests_mock.Mocker) -> None:
    requests_mock.get(
        f"{API_URL}/workflow/999/DetailReport",
        status_code=404,
        json={"Message": "Workflow campaign 999 was not found."},
    )
    with pytest.raises(Exception, match="remove it from the campaign_ids setting") as caught:
        discover(base_config(campaign_ids=[999]))
    assert "Workflow campaign 999 was not found." in str(caught.value)


def test_filtered_page_does_not_stop_paging(campaign: FakeCampaign) -> None:
    start_date = campaign.sessions[2].started
    first = run_sync(base_config(start_date=start_date, page_size=2))
    for session in campaign.sessions:
        session.last_answer = "2026-05-01T00:00:00Z"

    # With lastUpdated the first page holds only sessions from before start_date,
    # which the tap drops; the pages after it must still be read.
    second = run_sync(base_config(start_date=start_date, page_size=2), state=first.final_state)
    ids = [r["session_id"] for r in second.records("detail_42")]
    assert ids == [s.session_id for s in campaign.sessions[2:]]
    assert len(second.records("participation")) == len(campaign.sessions) - 2
