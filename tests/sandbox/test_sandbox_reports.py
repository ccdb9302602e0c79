"""Report bodies, filters and paging of the sandbox, checked against its ground-truth sessions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.sandbox.conftest import ReportClient

FIXED_COLUMNS = [
    "SessionId",
    "MobileNumber",
    "SessionDateTime",
    "WorkflowStatus",
    "Name",
    "Email",
    "Custom1",
    "Custom2",
    "Custom3",
    "Custom4",
    "DOB",
]
CAMPAIGNS = [101, 102, 103]
# Sessions starting after this instant fit in one request under the 31-day range limit,
# because the sandbox clock starts at 2026-04-24T12:00:00Z.
RECENT = "2026-03-25T00:00:00Z"


def expected_response_row(session: dict[str, Any]) -> dict[str, Any]:
    return {
        "MobileNumber": session["mobile_number"],
        "SubscriberName": session["name"],
        "Prompts": session["prompts_answered"],
        "SessionStartTime": session["session_start"],
        "PromptText": session["last_prompt_text"],
        "WorkflowStatus": session["status"],
    }


def decode_prompt_value(value: str) -> dict[str, Any] | None:
    if value == "":
        return None
    decoded = json.loads(value)
    return {"text": decoded["Text"], "media": decoded["Media"]}


def participants(sessions: list[dict[str, Any]]) -> tuple[int, int, int]:
    numbers = {session["mobile_number"].lstrip("+") for session in sessions}
    completed = {session["mobile_number"].lstrip("+") for session in sessions if session["status"] == "C"}
    return len(numbers), len(completed), len(numbers) - len(completed)


@pytest.mark.parametrize("campaign_id", CAMPAIGNS)
def test_detail_rows_match_ground_truth(client: ReportClient, campaign_id: int) -> None:
    sessions = client.sandbox.sessions(campaign_id)
    body = client.json("DetailReport", campaign_id)
    assert body["TotalCount"] == len(sessions)
    for row, session in zip(body["Items"], sessions, strict=True):
        assert row["SessionId"] == session["session_id"]
        assert row["MobileNumber"] == session["mobile_number"]
        assert row["SessionDateTime"] == session["session_start"]
        assert row["WorkflowStatus"] == session["status"]
        assert [row["Name"], row["Email"], row["DOB"]] == [session["name"], session["email"], session["dob"]]
        customs = [row[f"Custom{n}"] for n in range(1, 5)]
        assert customs == [session[f"custom{n}"] for n in range(1, 5)]
        answers = {prompt: decode_prompt_value(row[prompt]) for prompt in session["answers"]}
        assert answers == session["answers"]


@pytest.mark.parametrize("campaign_id", CAMPAIGNS)
def test_detail_columns_in_workflow_order(client: ReportClient, campaign_id: int) -> None:
    prompts = client.sandbox.prompts(campaign_id)
    for row in client.json("DetailReport", campaign_id)["Items"]:
        assert list(row) == FIXED_COLUMNS + prompts


def test_detail_values_are_strings(client: ReportClient) -> None:
    for row in client.json("DetailReport", 101)["Items"]:
        assert all(isinstance(value, str) for value in row.values())


def test_detail_media_excludes_txt(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    dropped = [url for session in sessions for url in session["dropped_media"]]
    media = [
        url
        for row in client.json("DetailReport", 103)["Items"]
        for prompt in client.sandbox.prompts(103)
        if row[prompt]
        for url in json.loads(row[prompt])["Media"]
    ]
    assert dropped, "the data should contain .txt attachments to drop"
    assert media
    assert not [url for url in media if url.endswith(".txt")]


@pytest.mark.parametrize("campaign_id", CAMPAIGNS)
def test_response_rows_match_ground_truth(client: ReportClient, campaign_id: int) -> None:
    sessions = client.sandbox.sessions(campaign_id)
    body = client.json("ResponseReport", campaign_id)
    assert body["WorkflowResponseReportDataList"] == [expected_response_row(session) for session in sessions]


@pytest.mark.parametrize("campaign_id", CAMPAIGNS)
def test_response_totals_before_status_filter(client: ReportClient, campaign_id: int) -> None:
    sessions = client.sandbox.sessions(campaign_id)
    total, completed, incomplete = participants(sessions)
    for status in ["all", "completed", "incomplete", "noresponse"]:
        body = client.json("ResponseReport", campaign_id, status=status, pageSize=3)
        assert body["TotalParticipants"] == total
        assert body["CompleteWorkflow"] == completed
        assert body["IncompleteWorkflow"] == incomplete


@pytest.mark.parametrize(
    ("status", "keep"),
    [
        ("all", lambda s: True),
        ("completed", lambda s: s["status"] == "C"),
        ("incomplete", lambda s: s["status"] == "P" and s["prompts_answered"] > 0),
        ("noresponse", lambda s: s["status"] == "P" and s["prompts_answered"] == 0),
        ("Completed", lambda s: s["status"] == "C"),
    ],
)
def test_response_status_filter(client: ReportClient, status: str, keep: Any) -> None:
    expected = [expected_response_row(s) for s in client.sandbox.sessions(103) if keep(s)]
    body = client.json("ResponseReport", 103, status=status)
    assert body["TotalFilteredCount"] == len(expected)
    assert body["WorkflowResponseReportDataList"] == expected


def test_data_has_every_status(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    kinds = {(s["status"], s["prompts_answered"] > 0) for s in sessions}
    assert kinds == {("C", True), ("P", True), ("P", False)}


@pytest.mark.parametrize("endpoint", ["ResponseReport", "DetailReport"])
def test_date_filter_inclusive(client: ReportClient, endpoint: str) -> None:
    sessions = [s for s in client.sandbox.sessions(103) if s["session_start"] >= RECENT]
    start = sessions[3]["session_start"]
    end = sessions[-3]["session_start"]
    expected = [s for s in sessions if start <= s["session_start"] <= end]
    body = client.json(endpoint, 103, startDateTime=start, endDateTime=end)
    total = body["TotalFilteredCount"] if endpoint == "ResponseReport" else body["TotalCount"]
    assert total == len(expected)
    assert expected[0]["session_start"] == start
    assert expected[-1]["session_start"] == end


def test_detail_date_filter_rows(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    start = next(s["session_start"] for s in sessions if s["session_start"] > RECENT)
    expected = [s["session_id"] for s in sessions if s["session_start"] >= start]
    body = client.json("DetailReport", 103, startDateTime=start)
    assert [row["SessionId"] for row in body["Items"]] == expected


def test_end_date_alone_filters(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    end = sessions[50]["session_start"]
    expected = [s["session_id"] for s in sessions if s["session_start"] <= end]
    body = client.json("DetailReport", 103, endDateTime=end)
    assert [row["SessionId"] for row in body["Items"]] == expected


def test_date_filter_applies_before_totals(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    start = next(s["session_start"] for s in sessions if s["session_start"] > RECENT)
    within = [s for s in sessions if s["session_start"] >= start]
    body = client.json("ResponseReport", 103, startDateTime=start, status="completed")
    assert (body["TotalParticipants"], body["CompleteWorkflow"], body["IncompleteWorkflow"]) == participants(within)


@pytest.mark.parametrize("endpoint", ["ResponseReport", "DetailReport"])
def test_last_updated_filter(client: ReportClient, endpoint: str) -> None:
    sessions = client.sandbox.sessions(103)
    threshold = sorted(s["last_answer_time"] for s in sessions)[-30]
    expected = [s for s in sessions if s["last_answer_time"] >= threshold]
    body = client.json(endpoint, 103, lastUpdated=threshold)
    if endpoint == "DetailReport":
        assert [row["SessionId"] for row in body["Items"]] == [s["session_id"] for s in expected]
    else:
        assert body["WorkflowResponseReportDataList"] == [expected_response_row(s) for s in expected]
        assert body["TotalParticipants"] == participants(expected)[0]


def test_last_updated_includes_late_answers(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    late = [s for s in sessions if s["last_answer_time"] > s["session_start"]]
    session = max(late, key=lambda s: (s["last_answer_time"], s["session_id"]))
    body = client.json("DetailReport", 103, lastUpdated=session["last_answer_time"])
    ids = [row["SessionId"] for row in body["Items"]]
    assert session["session_id"] in ids


def test_last_updated_uses_start_without_answers(client: ReportClient) -> None:
    sessions = client.sandbox.sessions(103)
    unanswered = [s for s in sessions if s["prompts_answered"] == 0]
    session = unanswered[-1]
    body = client.json("DetailReport", 103, lastUpdated=session["session_start"])
    assert session["session_id"] in [row["SessionId"] for row in body["Items"]]


@pytest.mark.parametrize("endpoint", ["ResponseReport", "DetailReport"])
def test_rows_ordered_by_start_then_id(client: ReportClient, endpoint: str) -> None:
    key = "SessionStartTime" if endpoint == "ResponseReport" else "SessionDateTime"
    body = client.json(endpoint, 103)
    rows = body["WorkflowResponseReportDataList"] if endpoint == "ResponseReport" else body["Items"]
    starts = [row[key] for row in rows]
    assert starts == sorted(starts)
    if endpoint == "DetailReport":
        order = [(row[key], int(row["SessionId"])) for row in rows]
        assert order == sorted(order)


def test_timestamps_in_api_format(client: ReportClient) -> None:
    for row in client.json("DetailReport", 101)["Items"]:
        assert len(row["SessionDateTime"]) == 20
        assert row["SessionDateTime"][10] == "T"
        assert row["SessionDateTime"].endswith("Z")


@pytest.mark.parametrize("query_plus", [True, False])
@pytest.mark.parametrize("stored_plus", [True, False])
def test_mobile_number_filter_ignores_plus(client: ReportClient, query_plus: bool, stored_plus: bool) -> None:
    sessions = client.sandbox.sessions(103)
    session = next(s for s in sessions if s["mobile_number"].startswith("+") == stored_plus)
    digits = session["mobile_number"].lstrip("+")
    expected = [s["session_id"] for s in sessions if s["mobile_number"].lstrip("+") == digits]
    query = "+" + digits if query_plus else digits
    body = client.json("DetailReport", 103, mobileNumber=query)
    assert [row["SessionId"] for row in body["Items"]] == expected
    assert body["TotalCount"] == len(expected)


def test_mobile_number_unknown_returns_nothing(client: ReportClient) -> None:
    body = client.json("DetailReport", 103, mobileNumber="19999999999")
    assert body == {"TotalCount": 0, "Items": []}


def test_mobile_number_ignored_by_response_report(client: ReportClient) -> None:
    body = client.json("ResponseReport", 103, mobileNumber="19999999999")
    assert body["TotalFilteredCount"] == len(client.sandbox.sessions(103))


def test_empty_campaign(client: ReportClient) -> None:
    response = client.json("ResponseReport", 104)
    detail = client.json("DetailReport", 104)
    assert response == {
        "TotalParticipants": 0,
        "CompleteWorkflow": 0,
        "IncompleteWorkflow": 0,
        "TotalFilteredCount": 0,
        "WorkflowResponseReportDataList": [],
    }
    assert detail == {"TotalCount": 0, "Items": []}


@pytest.mark.parametrize("endpoint", ["ResponseReport", "DetailReport"])
def test_pages_concatenate_to_all_rows(client: ReportClient, endpoint: str) -> None:
    list_key = "WorkflowResponseReportDataList" if endpoint == "ResponseReport" else "Items"
    all_rows = client.json(endpoint, 103, pageSize=0)[list_key]
    paged: list[Any] = []
    page = 1
    while True:
        rows = client.json(endpoint, 103, page=page, pageSize=17)[list_key]
        if not rows:
            break
        assert len(rows) <= 17
        paged.extend(rows)
        page += 1
    assert paged == all_rows
    assert page == -(-len(all_rows) // 17) + 1


def test_page_totals_ignore_paging(client: ReportClient) -> None:
    count = len(client.sandbox.sessions(103))
    for page in [1, 2, 500]:
        assert client.json("DetailReport", 103, page=page, pageSize=10)["TotalCount"] == count
        assert client.json("ResponseReport", 103, page=page, pageSize=10)["TotalFilteredCount"] == count


def test_page_size_zero_ignores_page(client: ReportClient) -> None:
    count = len(client.sandbox.sessions(101))
    assert len(client.json("DetailReport", 101, page=3, pageSize=0)["Items"]) == count


def test_default_paging_returns_all(client: ReportClient) -> None:
    count = len(client.sandbox.sessions(103))
    assert len(client.json("DetailReport", 103)["Items"]) == count


def test_page_beyond_end_is_empty(client: ReportClient) -> None:
    assert client.json("DetailReport", 101, page=100, pageSize=10)["Items"] == []
