"""Hand-built Workflow Report API responses for offline tests with requests-mock.

Each test builds its own sessions, so expected values come from the test's data. The
callbacks here page, filter and cap pages the way the API document describes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing as t
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

if t.TYPE_CHECKING:
    import requests_mock

API_URL = "http://api.test/api/v2"
API_KEY = "test-key-0123456789"

FIXED_COLUMNS = (
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
)


def encode_answer(text: str, media: list[str] | None = None) -> str:
    """Return a prompt value as the API encodes it."""
    return json.dumps({"Text": text, "Media": media or []})


@dataclass
class FakeSession:
    """One workflow session, with its answers keyed by prompt text."""

    session_id: str
    mobile: str
    started: str
    answers: dict[str, str] = field(default_factory=dict)
    status: str = "P"
    name: str = ""
    last_answer: str | None = None

    def detail_row(self, prompts: list[str]) -> dict[str, t.Any]:
        row: dict[str, t.Any] = {
            "SessionId": self.session_id,
            "MobileNumber": self.mobile,
            "SessionDateTime": self.started,
            "WorkflowStatus": self.status,
            "Name": self.name,
            "Email": "",
            "Custom1": "",
            "Custom2": "",
            "Custom3": "",
            "Custom4": "",
            "DOB": "",
        }
        for prompt in prompts:
            row[prompt] = self.answers.get(prompt, "")
        return row

    def participation_row(self, prompts: list[str]) -> dict[str, t.Any]:
        answered = [p for p in prompts if self.answers.get(p, "") != ""]
        return {
            "MobileNumber": self.mobile,
            "SubscriberName": self.name,
            "Prompts": len(answered),
            "SessionStartTime": self.started,
            "PromptText": answered[-1] if answered else "",
            "WorkflowStatus": self.status,
        }


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class FakeCampaign:
    """A campaign's prompts and sessions, served by requests-mock callbacks."""

    campaign_id: int
    prompts: list[str]
    sessions: list[FakeSession] = field(default_factory=list)
    page_cap: int | None = None
    requests: list[dict[str, str]] = field(default_factory=list)

    def _matching(self, query: dict[str, str]) -> list[FakeSession]:
        sessions = self.sessions
        if "startDateTime" in query:
            start = _parse(query["startDateTime"])
            sessions = [s for s in sessions if _parse(s.started) >= start]
        if "endDateTime" in query:
            end = _parse(query["endDateTime"])
            sessions = [s for s in sessions if _parse(s.started) <= end]
        if "lastUpdated" in query:
            since = _parse(query["lastUpdated"])
            sessions = [s for s in sessions if _parse(s.last_answer or s.started) >= since]
        return sessions

    def _page(self, rows: list[t.Any], query: dict[str, str]) -> list[t.Any]:
        page = int(query.get("page", "1"))
        size = int(query.get("pageSize", "0")) or len(rows)
        if self.page_cap is not None:
            size = min(size, self.page_cap)
        return rows[(page - 1) * size : page * size]

    def detail(self, request: t.Any, context: t.Any) -> dict[str, t.Any]:
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        self.requests.append({"endpoint": "DetailReport", **query})
        sessions = self._matching(query)
        rows = [s.detail_row(self.prompts) for s in sessions]
        return {"TotalCount": len(rows), "Items": self._page(rows, query)}

    def participation(self, request: t.Any, context: t.Any) -> dict[str, t.Any]:
        query = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        self.requests.append({"endpoint": "ResponseReport", **query})
        sessions = self._matching(query)
        rows = [s.participation_row(self.prompts) for s in sessions]
        completed = sum(1 for r in rows if r["WorkflowStatus"] == "C")
        return {
            "TotalParticipants": len({r["MobileNumber"] for r in rows}),
            "CompleteWorkflow": completed,
            "IncompleteWorkflow": len(rows) - completed,
            "TotalFilteredCount": len(rows),
            "WorkflowResponseReportDataList": self._page(rows, query),
        }

    def register(self, mocker: requests_mock.Mocker) -> None:
        base = re.escape(f"{API_URL}/workflow/{self.campaign_id}/")
        mocker.get(re.compile(base + "DetailReport"), json=self.detail)
        mocker.get(re.compile(base + "ResponseReport"), json=self.participation)


def make_sessions(count: int, prompts: list[str], start: str = "2026-04-01T08:00:00Z") -> list[FakeSession]:
    """Return ``count`` sessions an hour apart with a mix of answer shapes."""
    first = _parse(start)
    sessions = []
    for index in range(count):
        started = (first + dt.timedelta(hours=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answers: dict[str, str] = {}
        for position, prompt in enumerate(prompts):
            if (index + position) % 4 == 0:
                continue
            if position % 3 == 1:
                answers[prompt] = encode_answer("", [f"https://cdn.test/{index}-{position}.jpg"])
            else:
                answers[prompt] = encode_answer(f"answer {index}-{position}")
        complete = len(answers) == len(prompts)
        sessions.append(
            FakeSession(
                session_id=str(1000 + index),
                mobile=("+" if index % 2 else "") + f"1415555{index:04d}",
                started=started,
                answers=answers,
                status="C" if complete else "P",
                name="" if index % 3 == 0 else f"Person {index}",
                last_answer=started,
            )
        )
    return sessions


def base_config(**overrides: t.Any) -> dict[str, t.Any]:
    """Return a tap config that points at the mocked API."""
    config: dict[str, t.Any] = {
        "api_key": API_KEY,
        "campaign_ids": [42],
        "api_url": API_URL,
        "page_size": 3,
        "requests_per_second": 1000,
        "retry_wait_seconds": 0.01,
    }
    config.update(overrides)
    return config
