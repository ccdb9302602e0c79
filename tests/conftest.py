"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tap_txtimpact.sandbox import Sandbox

# One campaign per workflow template plus an empty one, small enough to start in milliseconds.
SMALL_CAMPAIGNS = {101: 40, 102: 30, 103: 200, 104: 0}


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., Sandbox]]:
    """Return a function that starts a sandbox on 127.0.0.1 with the given `Sandbox` kwargs.

    Campaigns default to a small layout and the port to a free one. Every sandbox
    started this way is stopped when the test ends.
    """
    started: list[Sandbox] = []

    def start(**kwargs: Any) -> Sandbox:
        kwargs.setdefault("campaigns", SMALL_CAMPAIGNS)
        kwargs.setdefault("host", "127.0.0.1")
        kwargs.setdefault("port", 0)
        sandbox = Sandbox(**kwargs)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """Return a running sandbox with small data and the default key, rate limit and faults."""
    return sandbox_factory()
