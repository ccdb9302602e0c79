"""The tap as a separate process: killed and resumed, and scanned for its secret."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import typing as t
from pathlib import Path

from helpers import SyncOutput
from test_faults_sandbox import assert_matches_sandbox, tap_config

from tap_txtimpact.sandbox import Faults, Sandbox

TAP = [sys.executable, "-m", "tap_txtimpact.tap"]

#: Records after which each run is killed; the last run goes to the end.
KILL_AFTER_RECORDS = [17, 140, 61, 3, 250]


def start_tap(
    config_path: Path, state: dict[str, t.Any] | None, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    command = [*TAP, "--config", str(config_path)]
    if state is not None:
        state_path = tmp_path / "state.json"
        state_path.write_text(json.dumps(state))
        command += ["--state", str(state_path)]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_killed_runs_resume_without_loss(sandbox_factory: t.Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = sandbox_factory(campaigns={101: 60, 102: 0, 103: 150}, requests_per_second=0)
    sandbox.set_faults(Faults(slow_every=1, slow_seconds=0.02))
    config = tap_config(sandbox, campaign_ids=[101, 102, 103], page_size=10)
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))

    messages: list[dict[str, t.Any]] = []
    state: dict[str, t.Any] | None = None
    kills = 0
    for kill_after in [*KILL_AFTER_RECORDS, None]:
        process = start_tap(config_path, state, tmp_path)
        assert process.stdout is not None
        records = 0
        for line in process.stdout:
            message = json.loads(line)
            messages.append(message)
            if message["type"] == "STATE":
                state = message["value"]
            elif message["type"] == "RECORD":
                records += 1
                if kill_after is not None and records >= kill_after:
                    process.send_signal(signal.SIGKILL)
                    kills += 1
                    break
        process.communicate(timeout=120)
        if kill_after is None:
            assert process.returncode == 0

    assert kills == len(KILL_AFTER_RECORDS)
    assert_matches_sandbox(sandbox, SyncOutput(messages), [101, 102, 103])


def test_secret_never_printed(sandbox_factory: t.Callable[..., Sandbox], tmp_path: Path) -> None:
    sentinel = "SENTINEL-KEY-7f3a9c"
    sandbox = sandbox_factory(campaigns={101: 25, 102: 0}, requests_per_second=0, api_keys=(sentinel,))
    sandbox.set_faults(
        Faults(server_error_every=3, truncate_every=5, rate_limit_every=7, retry_after=1, reset_every=11)
    )
    env = {**os.environ, "TAP_TXTIMPACT_LOGLEVEL": "DEBUG"}

    outputs = []
    for key in (sentinel, sentinel + "-WRONG"):
        config = tap_config(sandbox, campaign_ids=[101, 102], api_key=key, page_size=5)
        config_path = tmp_path / "config.json"
        config_path.write_text(json.dumps(config))
        for extra in ([], ["--discover"], ["--about"]):
            process = subprocess.run(
                [*TAP, "--config", str(config_path), *extra],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            outputs.append((key, extra, process))

    good_sync = outputs[0][2]
    assert good_sync.returncode == 0
    assert "DEBUG" in good_sync.stderr
    assert "Retrying page" in good_sync.stderr
    bad_sync = outputs[3][2]
    assert bad_sync.returncode != 0
    assert "rejected the API key" in bad_sync.stderr

    for key, extra, process in outputs:
        assert sentinel not in process.stdout, (key, extra)
        assert sentinel not in process.stderr, (key, extra)
