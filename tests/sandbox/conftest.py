"""Fixtures for the sandbox tests: a running sandbox without rate limit and a client for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tap_txtimpact.sandbox import Sandbox

API_KEY = "sandbox-key"


class ReportClient:
    """Minimal client of a sandbox's report endpoints, on one keep-alive session."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers["apikey"] = API_KEY

    def get(self, endpoint: str, campaign_id: int | str, **params: Any) -> requests.Response:
        """Request `endpoint` (ResponseReport or DetailReport) of a campaign."""
        url = f"{self.sandbox.url}/workflow/{campaign_id}/{endpoint}"
        return self.session.get(url, params=params, timeout=10)

    def json(self, endpoint: str, campaign_id: int | str, **params: Any) -> Any:
        """Request a report and return its JSON body, failing on any status but 200."""
        response = self.get(endpoint, campaign_id, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call a `/_sandbox/` control endpoint."""
        return self.session.request(method, f"{self.sandbox.base_url}/_sandbox/{path}", timeout=10, **kwargs)

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()


@pytest.fixture
def client_factory(sandbox_factory: Callable[..., Sandbox]) -> Iterator[Callable[..., ReportClient]]:
    """Return a function that starts a sandbox (rate limit off unless given) and a client."""
    clients: list[ReportClient] = []

    def create(**kwargs: Any) -> ReportClient:
        kwargs.setdefault("requests_per_second", 0)
        client = ReportClient(sandbox_factory(**kwargs))
        clients.append(client)
        return client

    yield create
    for client in clients:
        client.close()


@pytest.fixture
def client(client_factory: Callable[..., ReportClient]) -> ReportClient:
    """Return a client of a small sandbox without rate limit."""
    return client_factory()
