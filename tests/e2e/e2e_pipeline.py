"""Helpers that run the repository's Meltano project against a sandbox and compute expected rows.

The pipeline runs as users run it: `meltano run tap-txtimpact <loader>` in the repository,
with the `e2e` environment of meltano.yml and settings overridden by environment
variables. Each run gets its own system database, so state never leaks between tests
or from the demo.
"""

from __future__ import annotations

import json
import os
import subprocess
import typing as t
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tap_txtimpact.sandbox import Sandbox

REPO_ROOT = Path(__file__).resolve().parents[2]
MELTANO = REPO_ROOT / ".venv-meltano" / "bin" / "meltano"

# A `meltano run` against a small sandbox took 6 to 9 seconds on a 2-core machine, so the
# limit only stops a hung run.
RUN_TIMEOUT_SECONDS = 300
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3

STREAMS = ("participation", "participation_summary", "prompts", "responses")
DETAIL_FIXED_COLUMNS = (
    "campaign_id",
    "session_id",
    "mobile_number",
    "session_date_time",
    "workflow_status",
    "name",
    "email",
    "custom1",
    "custom2",
    "custom3",
    "custom4",
    "dob",
)
FIXED_COLUMNS = {
    "participation": (
        "campaign_id",
        "mobile_number",
        "subscriber_name",
        "prompts",
        "session_start_time",
        "prompt_text",
        "workflow_status",
    ),
    "participation_summary": (
        "campaign_id",
        "total_participants",
        "complete_workflow",
        "incomplete_workflow",
        "extracted_at",
    ),
    "prompts": ("campaign_id", "prompt_column", "prompt", "position"),
    "responses": (
        "campaign_id",
        "session_id",
        "mobile_number",
        "session_date_time",
        "prompt_column",
        "prompt",
        "text",
        "media",
    ),
}


@dataclass(frozen=True)
class PostgresServer:
    """Connection settings of a reachable PostgreSQL server."""

    host: str
    port: int
    user: str
    database: str

    def connect(self) -> psycopg.Connection:
        """Open an autocommit connection that shows timestamps in UTC."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            dbname=self.database,
            connect_timeout=POSTGRES_CONNECT_TIMEOUT_SECONDS,
            autocommit=True,
            options="-c TimeZone=UTC",
        )

    def target_env(self, schema: str) -> dict[str, str]:
        """Return the target-postgres settings, as environment variables, that load into `schema`."""
        return {
            "TARGET_POSTGRES_HOST": self.host,
            "TARGET_POSTGRES_PORT": str(self.port),
            "TARGET_POSTGRES_USER": self.user,
            "TARGET_POSTGRES_DATABASE": self.database,
            "TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA": schema,
        }


def detail_table(campaign_id: int) -> str:
    """Return the table name of a campaign's Detail Report stream."""
    return f"detail_{campaign_id}"


def expected_tables(campaign_ids: t.Iterable[int]) -> set[str]:
    """Return the tables that one run of every stream creates."""
    return {*STREAMS, *(detail_table(campaign_id) for campaign_id in campaign_ids)}


def meltano_env(sandbox: Sandbox, state_database: Path, **settings: str) -> dict[str, str]:
    """Return the environment of a `meltano run` against `sandbox`.

    Settings passed as keyword arguments are environment variables, such as
    TARGET_DUCKDB_PATH. Variables that the caller's shell set for the tap or Meltano
    are dropped, so only this function decides the run's settings.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_TXTIMPACT_", "TARGET_DUCKDB_", "TARGET_POSTGRES_", "MELTANO_"))
        and name != "VIRTUAL_ENV"
    }
    env.update(
        {
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            # Sets requests_per_second and page_size for a sandbox without rate limit.
            "MELTANO_ENVIRONMENT": "e2e",
            "MELTANO_DATABASE_URI": f"sqlite:///{state_database}",
            "TAP_TXTIMPACT_API_URL": sandbox.url,
            "TAP_TXTIMPACT_API_KEY": sandbox.api_keys[0],
            "TAP_TXTIMPACT_CAMPAIGN_IDS": json.dumps(sandbox.campaign_ids),
        }
    )
    env.update(settings)
    return env


@dataclass
class RunResult:
    """Output of one `meltano run`, logged as JSON lines."""

    output: str

    def record_counts(self) -> Counter[str]:
        """Return the records per stream that the tap sent, from its record_count metrics."""
        counts: Counter[str] = Counter()
        for line in self.output.splitlines():
            if not line.startswith("{"):
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            # SDK-based targets log record_count metrics too.
            if entry.get("string_id") != "tap-txtimpact":
                continue
            metric = entry.get("metric_info")
            if isinstance(metric, dict) and metric.get("metric") == "record_count":
                counts[metric["tags"]["stream"]] += int(metric["value"])
        return counts


def run_meltano(loader: str, env: dict[str, str]) -> RunResult:
    """Run `meltano run tap-txtimpact LOADER` in the repository and fail the test if it fails."""
    completed = subprocess.run(
        [str(MELTANO), "--log-format=json", "run", "tap-txtimpact", loader],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, (
        f"`meltano run tap-txtimpact {loader}` exited with {completed.returncode}; "
        f"the last lines of its output:\n{output[-6000:]}"
    )
    return RunResult(output)


def expected_answer(answer: dict[str, t.Any] | None) -> dict[str, t.Any] | None:
    """Return the prompt column value a target should store for a sandbox answer.

    The API's empty text becomes null, and `None` (a prompt not answered yet) stays null.
    """
    if answer is None:
        return None
    return {"text": answer["text"] or None, "media": list(answer["media"])}


@dataclass
class SandboxTruth:
    """The sandbox's own data at one moment: sessions and prompts by campaign."""

    sessions: dict[int, list[dict[str, t.Any]]]
    prompts: dict[int, list[str]]

    @classmethod
    def read(cls, sandbox: Sandbox) -> SandboxTruth:
        """Copy the sandbox's sessions and prompts."""
        return cls(
            sessions={campaign_id: sandbox.sessions(campaign_id) for campaign_id in sandbox.campaign_ids},
            prompts={campaign_id: sandbox.prompts(campaign_id) for campaign_id in sandbox.campaign_ids},
        )

    def sessions_by_id(self, campaign_id: int) -> dict[str, dict[str, t.Any]]:
        """Return a campaign's sessions keyed by session id."""
        return {session["session_id"]: session for session in self.sessions[campaign_id]}

    def known_prompts(self, campaign_id: int) -> list[str]:
        """Return the prompts the tap can discover for a campaign.

        The API shows prompts only as Detail Report columns, so a campaign without
        sessions has none.
        """
        return self.prompts[campaign_id] if self.sessions[campaign_id] else []

    def row_counts(self) -> dict[str, int]:
        """Return the row count of every table after loading all of this data."""
        counts = {
            "participation": sum(len(sessions) for sessions in self.sessions.values()),
            "participation_summary": len(self.sessions),
            "prompts": sum(len(self.known_prompts(campaign_id)) for campaign_id in self.sessions),
            "responses": sum(
                answer is not None
                for sessions in self.sessions.values()
                for session in sessions
                for answer in session["answers"].values()
            ),
        }
        for campaign_id, sessions in self.sessions.items():
            counts[detail_table(campaign_id)] = len(sessions)
        return counts

    def answers(self) -> dict[tuple[int, str, str], dict[str, t.Any]]:
        """Return the expected `responses` rows keyed by (campaign, session, prompt text)."""
        return {
            (campaign_id, session["session_id"], prompt): expected_answer(answer)
            for campaign_id, sessions in self.sessions.items()
            for session in sessions
            for prompt, answer in session["answers"].items()
            if answer is not None
        }
