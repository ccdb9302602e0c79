"""Invalid settings stop the tap before any request, naming the setting."""

from __future__ import annotations

import typing as t

import pytest
from mock_api import FakeCampaign, base_config
from singer_sdk.exceptions import ConfigValidationError

from tap_txtimpact.tap import TapTXTImpact

if t.TYPE_CHECKING:
    import requests_mock


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"campaign_ids": []}, "campaign_ids"),
        ({"campaign_ids": ["42"]}, "campaign_ids"),
        ({"campaign_ids": [4.5]}, "campaign_ids"),
        ({"campaign_ids": [0]}, "campaign_ids"),
        ({"campaign_ids": [42, 42]}, "campaign_ids"),
        ({"campaign_ids": "42"}, "campaign_ids"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "2026-05-01T00:00:00Z", "end_date": "2026-04-01T00:00:00Z"}, "start_date"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": -5}, "page_size"),
        ({"requests_per_second": 0}, "requests_per_second"),
        ({"request_timeout": 0}, "request_timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"date_window_days": 0}, "date_window_days"),
        ({"api_url": "ftp://example.test"}, "api_url"),
        ({"api_key": ""}, "api_key"),
    ],
)
def test_bad_setting_rejected(
    overrides: dict[str, t.Any],
    setting: str,
    requests_mock: requests_mock.Mocker,
) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        TapTXTImpact(config=base_config(**overrides))
    assert any(setting in error for error in caught.value.errors), caught.value.errors
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("setting", ["api_key", "campaign_ids"])
def test_missing_required_setting(setting: str, requests_mock: requests_mock.Mocker) -> None:
    config = base_config()
    del config[setting]
    with pytest.raises(ConfigValidationError) as caught:
        TapTXTImpact(config=config)
    assert any(setting in error for error in caught.value.errors)
    assert requests_mock.call_count == 0


def test_number_settings_from_environment(monkeypatch: pytest.MonkeyPatch, requests_mock: requests_mock.Mocker) -> None:
    monkeypatch.setenv("TAP_TXTIMPACT_REQUESTS_PER_SECOND", "2.5")
    monkeypatch.setenv("TAP_TXTIMPACT_RETRY_WAIT_SECONDS", "0.25")
    monkeypatch.setenv("TAP_TXTIMPACT_PAGE_SIZE", "100")
    config = base_config()
    for setting in ("requests_per_second", "retry_wait_seconds", "page_size"):
        del config[setting]
    FakeCampaign(42, ["Q"], []).register(requests_mock)
    tap = TapTXTImpact(config=config, parse_env_config=True, validate_config=False)
    assert tap.config["requests_per_second"] == 2.5
    assert tap.config["retry_wait_seconds"] == 0.25
    assert tap.config["page_size"] == 100
