"""The throttle's spacing and the retry waits, with a fake clock."""

from __future__ import annotations

import requests
from mock_api import FakeCampaign, base_config
from singer_sdk.exceptions import RetriableAPIError

from tap_txtimpact.client import MAX_RETRY_WAIT_SECONDS
from tap_txtimpact.tap import TapTXTImpact
from tap_txtimpact.throttle import RequestThrottle


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_throttle_spaces_requests() -> None:
    clock = FakeClock()
    throttle = RequestThrottle(4, clock=clock.time, sleep=clock.sleep)
    for _ in range(5):
        throttle.wait()
    assert clock.sleeps == [0.25, 0.25, 0.25, 0.25]


def test_throttle_no_wait_after_pause() -> None:
    clock = FakeClock()
    throttle = RequestThrottle(2, clock=clock.time, sleep=clock.sleep)
    throttle.wait()
    clock.now += 5
    throttle.wait()
    assert clock.sleeps == []


def response_with(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


def waits_for(errors: list[Exception], requests_mock: object) -> list[float]:
    FakeCampaign(42, ["Q"], []).register(requests_mock)  # type: ignore[arg-type]
    tap = TapTXTImpact(config=base_config(retry_wait_seconds=1.5))
    stream = tap.streams["participation"]
    generator = stream.backoff_wait_generator()
    next(generator)
    return [generator.send(error) for error in errors]


def test_retry_after_sets_wait(requests_mock: object) -> None:
    error = RetriableAPIError("429", response_with(429, {"Retry-After": "7"}))
    assert waits_for([error, error], requests_mock) == [7.0, 7.0]


def test_backoff_doubles_without_header(requests_mock: object) -> None:
    errors: list[Exception] = [RetriableAPIError("503", response_with(503)) for _ in range(8)]
    assert waits_for(errors, requests_mock) == [1.5, 3.0, 6.0, 12.0, 24.0, 48.0, 60.0, 60.0]
    assert MAX_RETRY_WAIT_SECONDS == 60.0


def test_http_date_retry_after_backs_off(requests_mock: object) -> None:
    error = RetriableAPIError("429", response_with(429, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}))
    assert waits_for([error], requests_mock) == [1.5]


def test_connection_error_backs_off(requests_mock: object) -> None:
    assert waits_for([requests.ConnectionError("reset"), requests.ConnectionError("reset")], requests_mock) == [
        1.5,
        3.0,
    ]


def test_jitter_only_adds(requests_mock: object) -> None:
    FakeCampaign(42, ["Q"], []).register(requests_mock)  # type: ignore[arg-type]
    stream = TapTXTImpact(config=base_config()).streams["participation"]
    for _ in range(200):
        jittered = stream.backoff_jitter(7.0)
        assert 7.0 <= jittered <= 7.7
