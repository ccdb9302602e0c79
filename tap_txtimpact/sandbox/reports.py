"""Query validation and report bodies for the Participation and Detail Reports.

Both endpoints filter sessions the same way before they differ: `startDateTime` and
`endDateTime` bound the session start time (both inclusive), and `lastUpdated` keeps
sessions whose last answer time is at or after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tap_txtimpact.sandbox.data import Campaign
from tap_txtimpact.sandbox.errors import ApiError
from tap_txtimpact.sandbox.generate import Session
from tap_txtimpact.sandbox.timestamps import parse_timestamp

RESPONSE_REPORT = "ResponseReport"
DETAIL_REPORT = "DetailReport"
STATUS_VALUES = ("all", "completed", "incomplete", "noresponse")
DAY = 86400


@dataclass(frozen=True)
class ReportQuery:
    """Validated query parameters of a report request, with times in epoch seconds."""

    start: float | None
    end: float | None
    last_updated: float | None
    page: int
    page_size: int
    status: str
    mobile_number: str | None


def _single_values(params: Mapping[str, list[str]]) -> dict[str, str]:
    """Keep the first value of each parameter, with names lowered and empty values dropped.

    Names are matched case-insensitively, as ASP.NET query binding does.
    """
    values: dict[str, str] = {}
    for name, given in params.items():
        key = name.lower()
        if given and given[0] != "" and key not in values:
            values[key] = given[0]
    return values


def _parse_time(values: dict[str, str], name: str) -> float | None:
    text = values.get(name.lower())
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        message = f"Invalid {name} '{text}': expected a UTC ISO-8601 date-time such as 2026-04-24T00:00:00Z."
        raise ApiError(400, message) from None


def _parse_count(values: dict[str, str], name: str, default: int, minimum: int) -> int:
    text = values.get(name.lower())
    if text is None:
        return default
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise ApiError(400, f"Invalid {name} '{text}': expected an integer of at least {minimum}.")
    return number


def parse_query(
    params: Mapping[str, list[str]],
    endpoint: str,
    now: float,
    max_range_days: float,
) -> ReportQuery:
    """Validate the query parameters of a report request.

    The date range is checked only when startDateTime is given, and ends at endDateTime or
    else at the sandbox's current time. A `status` applies to the Participation Report and
    `mobileNumber` to the Detail Report; each is ignored on the other endpoint.

    Raises:
        ApiError: A 400 naming the invalid parameter.
    """
    values = _single_values(params)
    start = _parse_time(values, "startDateTime")
    end = _parse_time(values, "endDateTime")
    last_updated = _parse_time(values, "lastUpdated")
    page = _parse_count(values, "page", default=1, minimum=1)
    page_size = _parse_count(values, "pageSize", default=0, minimum=0)

    if start is not None and max_range_days:
        range_end = now if end is None else end
        if range_end - start > max_range_days * DAY:
            raise ApiError(400, f"The date range exceeds maximum of {max_range_days:g} days.")

    status = "all"
    mobile_number = None
    if endpoint == RESPONSE_REPORT:
        # NOTE: status values are matched case-insensitively, which the API document
        # neither promises nor rules out.
        status = values.get("status", "all").lower()
        if status not in STATUS_VALUES:
            allowed = ", ".join(STATUS_VALUES)
            raise ApiError(400, f"Invalid status '{values['status']}': expected one of {allowed}.")
    else:
        mobile_number = values.get("mobilenumber")
    return ReportQuery(start, end, last_updated, page, page_size, status, mobile_number)


def select_sessions(campaign: Campaign, query: ReportQuery) -> list[Session]:
    """Return the sessions within the date range and, if given, updated since lastUpdated.

    The sandbox reads a session's LastAnswerReceivedTime as the time of its last answer,
    or as its start time when it has no answer yet.
    """
    low, high = campaign.bounds(query.start, query.end)
    selected = campaign.sessions[low:high]
    if query.last_updated is not None:
        threshold = query.last_updated
        selected = [session for session in selected if session.last_answer_time >= threshold]
    return selected


def page_slice(rows: list[Session], query: ReportQuery, page_size_cap: int | None) -> list[Session]:
    """Return one page of rows. With pageSize 0 the page number is ignored and all rows return.

    `page_size_cap` is a fault: it silently shortens the page without moving its offset.
    """
    if query.page_size:
        offset = (query.page - 1) * query.page_size
        limit = query.page_size
    else:
        offset = 0
        limit = len(rows)
    if page_size_cap:
        limit = min(limit, page_size_cap)
    return rows[offset : offset + limit]


def _normalize_mobile(number: str) -> str:
    return number[1:] if number.startswith("+") else number


def count_participants(sessions: Iterable[Session]) -> tuple[int, int, int]:
    """Return (participants, completed, incomplete) for the Participation Report totals.

    A participant is a distinct mobile number, compared without a leading `+`. A
    participant counts as completed when any of their sessions completed, and as
    incomplete otherwise, so the two counts add up to the participants, as in the
    API document's example.
    """
    everyone: set[str] = set()
    completed: set[str] = set()
    for session in sessions:
        number = _normalize_mobile(session.mobile)
        everyone.add(number)
        if session.status == "C":
            completed.add(number)
    return len(everyone), len(completed), len(everyone) - len(completed)


def _matches_status(session: Session, status: str) -> bool:
    if status == "completed":
        return session.status == "C"
    if status == "incomplete":
        return session.status == "P" and session.revealed > 0
    return session.status == "P" and session.revealed == 0


def response_report(campaign: Campaign, query: ReportQuery, page_size_cap: int | None) -> dict[str, Any]:
    """Build the Participation Report body (`GET .../ResponseReport`)."""
    selected = select_sessions(campaign, query)
    participants, completed, incomplete = count_participants(selected)
    if query.status != "all":
        selected = [session for session in selected if _matches_status(session, query.status)]
    prompts = campaign.prompts
    rows = [
        {
            "MobileNumber": session.mobile,
            "SubscriberName": session.subscriber.name,
            "Prompts": session.revealed,
            "SessionStartTime": session.start_text,
            "PromptText": prompts[session.revealed - 1] if session.revealed else "",
            "WorkflowStatus": session.status,
        }
        for session in page_slice(selected, query, page_size_cap)
    ]
    return {
        "TotalParticipants": participants,
        "CompleteWorkflow": completed,
        "IncompleteWorkflow": incomplete,
        "TotalFilteredCount": len(selected),
        "WorkflowResponseReportDataList": rows,
    }


def detail_row(session: Session, prompts: list[str]) -> dict[str, str]:
    """Build one Detail Report row: the fixed columns, then one column per prompt.

    NOTE: a prompt whose text equals a fixed column name replaces that column here,
    because JSON object keys are unique in this sandbox. The real API's behaviour for
    such a collision is not documented.
    """
    subscriber = session.subscriber
    row = {
        "SessionId": session.session_id,
        "MobileNumber": session.mobile,
        "SessionDateTime": session.start_text,
        "WorkflowStatus": session.status,
        "Name": subscriber.name,
        "Email": subscriber.email,
        "Custom1": subscriber.custom1,
        "Custom2": subscriber.custom2,
        "Custom3": subscriber.custom3,
        "Custom4": subscriber.custom4,
        "DOB": subscriber.dob,
    }
    answers = session.answers
    revealed = session.revealed
    for index, prompt in enumerate(prompts):
        row[prompt] = answers[index].encoded if index < revealed else ""
    return row


def detail_report(campaign: Campaign, query: ReportQuery, page_size_cap: int | None) -> dict[str, Any]:
    """Build the Detail Report body (`GET .../DetailReport`).

    `mobileNumber` matches with or without a leading `+` on either side.
    """
    selected = select_sessions(campaign, query)
    if query.mobile_number is not None:
        wanted = _normalize_mobile(query.mobile_number)
        selected = [session for session in selected if _normalize_mobile(session.mobile) == wanted]
    prompts = campaign.prompts
    rows = [detail_row(session, prompts) for session in page_slice(selected, query, page_size_cap)]
    return {"TotalCount": len(selected), "Items": rows}
