"""Injected faults and the rate limit of the sandbox."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tap_txtimpact.sandbox import Faults
from tests.sandbox.conftest import ReportClient


def statuses(client: ReportClient, count: int) -> list[int]:
    return [client.get("DetailReport", 101, pageSize=5).status_code for _ in range(count)]


def test_rate_limit_429_with_retry_after(client_factory) -> None:
    client = client_factory(requests_per_second=3)
    responses = [client.get("DetailReport", 101, pageSize=1) for _ in range(4)]
    assert [r.status_code for r in responses[:3]] == [200, 200, 200]
    assert responses[3].status_code == 429
    assert int(responses[3].headers["Retry-After"]) >= 1
    assert "Rate limit" in responses[3].json()["Message"]


def test_rate_limit_refills(client_factory) -> None:
    client = client_factory(requests_per_second=2)
    codes = statuses(client, 3)
    time.sleep(0.6)
    assert codes[-1] == 429
    assert client.get("DetailReport", 101).status_code == 200


def test_rate_limit_is_per_key(client_factory) -> None:
    client = client_factory(requests_per_second=2, api_keys=["first", "second"])
    client.session.headers["apikey"] = "first"
    first = statuses(client, 3)
    client.session.headers["apikey"] = "second"
    second = statuses(client, 1)
    assert first == [200, 200, 429]
    assert second == [200]


def test_rate_limit_counted_and_control_exempt(client_factory) -> None:
    client = client_factory(requests_per_second=1)
    statuses(client, 3)
    for _ in range(5):
        assert client.control("GET", "clock").status_code == 200
    stats = client.sandbox.stats()
    assert stats["rate_limited"] == 2
    assert stats["total"] == 3


def test_server_error_every(client: ReportClient) -> None:
    client.sandbox.set_faults(server_error_every=2)
    responses = [client.get("DetailReport", 101) for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 500, 200, 503]
    assert responses[1].json()["Message"]


def test_fail_first(client: ReportClient) -> None:
    client.sandbox.set_faults(fail_first=2)
    assert statuses(client, 4) == [500, 500, 200, 200]


def test_faults_from_constructor(client_factory) -> None:
    client = client_factory(faults=Faults(fail_first=1))
    assert statuses(client, 2) == [500, 200]


def test_slow_every(client: ReportClient) -> None:
    client.sandbox.set_faults(slow_every=2, slow_seconds=0.3)
    started = time.monotonic()
    client.get("DetailReport", 101)
    fast = time.monotonic() - started
    started = time.monotonic()
    response = client.get("DetailReport", 101)
    slow = time.monotonic() - started
    assert response.status_code == 200
    assert slow >= 0.3
    assert fast < 0.3


def test_truncate_every(client: ReportClient) -> None:
    client.sandbox.set_faults(truncate_every=1)
    response = client.get("DetailReport", 101)
    assert response.status_code == 200
    assert len(response.content) == int(response.headers["Content-Length"])
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_truncate_keeps_connection_usable(client: ReportClient) -> None:
    client.sandbox.set_faults(truncate_every=2)
    codes = statuses(client, 3)
    assert codes == [200, 200, 200]


def test_disconnect_every(client: ReportClient) -> None:
    client.sandbox.set_faults(disconnect_every=1)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        client.get("DetailReport", 101)


def test_reset_every(client: ReportClient) -> None:
    client.sandbox.set_faults(reset_every=2)
    assert client.get("DetailReport", 101).status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError, match="reset"):
        client.get("DetailReport", 101)
    assert client.get("DetailReport", 101).status_code == 200
    assert client.sandbox.stats()["by_status"]["reset"] == 1


def test_rate_limit_every(client: ReportClient) -> None:
    client.sandbox.set_faults(rate_limit_every=3, retry_after=7)
    responses = [client.get("DetailReport", 101) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert responses[2].headers["Retry-After"] == "7"
    assert client.sandbox.stats()["rate_limited"] == 1


def test_page_size_cap(client: ReportClient) -> None:
    client.sandbox.set_faults(page_size_cap=5)
    count = len(client.sandbox.sessions(103))
    expected = [s["session_id"] for s in client.sandbox.sessions(103)]
    first = client.json("DetailReport", 103, page=1, pageSize=20)
    second = client.json("DetailReport", 103, page=2, pageSize=20)
    everything = client.json("DetailReport", 103)
    assert first["TotalCount"] == count
    assert [row["SessionId"] for row in first["Items"]] == expected[:5]
    assert [row["SessionId"] for row in second["Items"]] == expected[20:25]
    assert len(everything["Items"]) == 5


def test_page_size_cap_keeps_response_totals(client: ReportClient) -> None:
    client.sandbox.set_faults(page_size_cap=4)
    body = client.json("ResponseReport", 103, pageSize=50)
    assert len(body["WorkflowResponseReportDataList"]) == 4
    assert body["TotalFilteredCount"] == len(client.sandbox.sessions(103))


def test_set_faults_restarts_count(client: ReportClient) -> None:
    client.sandbox.set_faults(server_error_every=3)
    statuses(client, 2)
    client.sandbox.set_faults(server_error_every=3)
    assert statuses(client, 3) == [200, 200, 500]


def test_set_faults_without_arguments_clears(client: ReportClient) -> None:
    client.sandbox.set_faults(fail_first=5)
    client.sandbox.set_faults()
    assert statuses(client, 1) == [200]


def test_faults_over_http(client: ReportClient) -> None:
    response = client.control("POST", "faults", json={"server_error_every": 1})
    assert response.status_code == 200
    assert client.control("GET", "faults").json()["server_error_every"] == 1
    assert statuses(client, 1) == [500]
    client.control("POST", "faults", json={})
    assert statuses(client, 1) == [200]


@pytest.mark.parametrize("body", [{"no_such_fault": 1}, {"fail_first": -1}, {"fail_first": "two"}, [1]])
def test_faults_over_http_rejects_invalid(client: ReportClient, body: object) -> None:
    response = client.control("POST", "faults", json=body)
    assert response.status_code == 400
    assert "Invalid faults" in response.json()["Message"]


def test_faults_validation() -> None:
    with pytest.raises(ValueError, match="server_error_every"):
        Faults(server_error_every=-1)
