"""The `tap-txtimpact-sandbox` command: argument parsing, start-up line and clean stop."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

import pytest
import requests

from tap_txtimpact.sandbox.cli import parse_sessions


def test_parse_sessions() -> None:
    assert parse_sessions("101=40, 102=0,103=5000") == {101: 40, 102: 0, 103: 5000}


@pytest.mark.parametrize("text", ["101", "101=x", "a=1", "101=-1", ""])
def test_parse_sessions_rejects_invalid(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="CAMPAIGN_ID=COUNT"):
        parse_sessions(text)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_and_stops(stop_signal: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "tap_txtimpact.sandbox",
        "--port",
        "0",
        "--sessions",
        "101=5,102=0",
        "--requests-per-second",
        "0",
        "--api-key",
        "cli-key",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        response = requests.get(f"{url}/workflow/101/DetailReport", headers={"apikey": "cli-key"}, timeout=10)
        process.send_signal(stop_signal)
        code = process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        output, errors = process.communicate()
    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/api/v2")
    assert response.json()["TotalCount"] == 5
    assert code == 0
    assert "cli-key" not in errors
    assert "GET /api/v2/workflow/101/DetailReport" in errors
