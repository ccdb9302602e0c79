"""The Singer SDK's standard tap tests, run against mocked API responses."""

from __future__ import annotations

import typing as t

import pytest
import requests_mock
from mock_api import FakeCampaign, base_config, make_sessions
from singer_sdk.testing import get_tap_test_class

from tap_txtimpact.tap import TapTXTImpact

PROMPTS = ["How satisfied are you overall?", "What is your age group?", "Please share a photo"]

_mocker = requests_mock.Mocker()
FakeCampaign(42, PROMPTS, make_sessions(7, PROMPTS)).register(_mocker)
FakeCampaign(43, PROMPTS[:1], make_sessions(3, PROMPTS[:1])).register(_mocker)

# The SDK's test factory builds the tap, and so discovers, while it builds the class.
with _mocker:
    TestTapTXTImpact = get_tap_test_class(
        TapTXTImpact,
        config=base_config(campaign_ids=[42, 43]),
    )


@pytest.fixture(scope="module", autouse=True)
def mocked_api() -> t.Iterator[requests_mock.Mocker]:
    with _mocker as mocker:
        yield mocker
