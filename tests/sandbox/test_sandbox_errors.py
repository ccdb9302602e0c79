"""Authentication, path and parameter errors of the sandbox's report endpoints."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import ReportClient

ENDPOINTS = ["ResponseReport", "DetailReport"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_missing_api_key_is_401(client: ReportClient, endpoint: str) -> None:
    del client.session.headers["apikey"]
    response = client.get(endpoint, 101)
    assert response.status_code == 401
    assert "apikey" in response.json()["Message"]


def test_wrong_api_key_is_401(client: ReportClient) -> None:
    client.session.headers["apikey"] = "not-a-key"
    response = client.get("DetailReport", 101)
    assert response.status_code == 401
    assert response.json()["Message"]


def test_configured_api_keys_replace_default(client_factory) -> None:
    client = client_factory(api_keys=["first", "second"])
    statuses = []
    for key in ["first", "second", "sandbox-key"]:
        client.session.headers["apikey"] = key
        statuses.append(client.get("DetailReport", 101).status_code)
    assert statuses == [200, 200, 401]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_campaign_is_404(client: ReportClient, endpoint: str) -> None:
    response = client.get(endpoint, 999)
    assert response.status_code == 404
    assert "999" in response.json()["Message"]


def test_non_numeric_campaign_is_400(client: ReportClient) -> None:
    response = client.get("ResponseReport", "abc")
    assert response.status_code == 400
    assert "campaignId" in response.json()["Message"]


def test_unknown_path_is_404(client: ReportClient) -> None:
    response = client.session.get(f"{client.sandbox.url}/workflow/101/Other", timeout=10)
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("name", ["startDateTime", "endDateTime", "lastUpdated"])
@pytest.mark.parametrize("value", ["2026-13-01T00:00:00Z", "yesterday", "2026-04-24T00:00:00 Z"])
def test_malformed_date_is_400(client: ReportClient, endpoint: str, name: str, value: str) -> None:
    response = client.get(endpoint, 101, **{name: value})
    assert response.status_code == 400
    assert name in response.json()["Message"]


@pytest.mark.parametrize(
    "value", ["2026-04-01T00:00:00Z", "2026-04-01T00:00:00.250Z", "2026-04-01T02:00:00+02:00", "2026-04-01"]
)
def test_iso_variants_accepted(client: ReportClient, value: str) -> None:
    response = client.get("DetailReport", 101, startDateTime=value)
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_range_over_maximum_is_400(client: ReportClient, endpoint: str) -> None:
    response = client.get(endpoint, 101, startDateTime="2026-03-01T00:00:00Z", endDateTime="2026-04-01T00:00:01Z")
    assert response.status_code == 400
    assert "exceeds maximum of 31 days" in response.json()["Message"]


def test_range_of_exact_maximum_accepted(client: ReportClient) -> None:
    response = client.get("DetailReport", 101, startDateTime="2026-03-01T00:00:00Z", endDateTime="2026-04-01T00:00:00Z")
    assert response.status_code == 200


def test_range_without_end_uses_sandbox_clock(client: ReportClient) -> None:
    # The clock starts at 2026-04-24T12:00:00Z.
    accepted = client.get("DetailReport", 101, startDateTime="2026-03-24T12:00:00Z")
    rejected = client.get("DetailReport", 101, startDateTime="2026-03-24T11:59:59Z")
    assert accepted.status_code == 200
    assert rejected.status_code == 400


def test_range_without_start_not_checked(client: ReportClient) -> None:
    response = client.get("DetailReport", 101, endDateTime="2026-04-01T00:00:00Z")
    assert response.status_code == 200


def test_range_limit_configurable(client_factory) -> None:
    unlimited = client_factory(max_range_days=0)
    limited = client_factory(max_range_days=7)
    params = {"startDateTime": "2026-04-01T00:00:00Z", "endDateTime": "2026-04-09T00:00:00Z"}
    assert unlimited.get("DetailReport", 101, **params).status_code == 200
    response = limited.get("DetailReport", 101, **params)
    assert response.status_code == 400
    assert "maximum of 7 days" in response.json()["Message"]


@pytest.mark.parametrize("status", ["done", "complete", "1"])
def test_bad_status_is_400(client: ReportClient, status: str) -> None:
    response = client.get("ResponseReport", 101, status=status)
    assert response.status_code == 400
    assert "status" in response.json()["Message"]


def test_status_ignored_by_detail_report(client: ReportClient) -> None:
    response = client.get("DetailReport", 101, status="done")
    assert response.status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("name", "value"),
    [("page", "-1"), ("page", "0"), ("page", "1.5"), ("page", "x"), ("pageSize", "-5"), ("pageSize", "ten")],
)
def test_bad_paging_is_400(client: ReportClient, endpoint: str, name: str, value: str) -> None:
    response = client.get(endpoint, 101, **{name: value})
    assert response.status_code == 400
    assert name in response.json()["Message"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_empty_parameters_count_as_absent(client: ReportClient, endpoint: str) -> None:
    blank = {
        name: ""
        for name in ["startDateTime", "endDateTime", "lastUpdated", "page", "pageSize", "status", "mobileNumber"]
    }
    assert client.json(endpoint, 101, **blank) == client.json(endpoint, 101)


def test_errors_counted_in_stats(client: ReportClient) -> None:
    client.get("ResponseReport", 101, status="bad")
    client.get("DetailReport", 101)
    stats = client.control("GET", "stats").json()
    assert stats["bad_request"] == 1
    assert stats["total"] == 2
    assert stats["by_endpoint"] == {"ResponseReport": 1, "DetailReport": 1}
    assert stats["by_campaign"] == {"101": 2}
