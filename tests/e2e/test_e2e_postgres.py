"""tap-txtimpact -> MeltanoLabs target-postgres through `meltano run`, checked against the sandbox.

Expected rows come from the sandbox's own data (`Sandbox.sessions` and `Sandbox.prompts`),
never from the tap's output. Only the prompt-to-column names come from the loaded
`prompts` table, after a test has checked that table's prompt texts against the sandbox.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_pipeline import (
    DETAIL_FIXED_COLUMNS,
    FIXED_COLUMNS,
    PostgresServer,
    RunResult,
    SandboxTruth,
    detail_table,
    expected_answer,
    expected_tables,
    meltano_env,
    run_meltano,
)

from tap_txtimpact.sandbox import Sandbox

if t.TYPE_CHECKING:
    import psycopg

# Simulated time between the two runs of the incremental test: at about 3 new sessions
# per campaign and hour, every non-empty campaign gets new sessions.
ADVANCE_SECONDS = 12 * 3600


@dataclass
class LoadedSchema:
    """A schema that `meltano run` loaded from a sandbox, with the sandbox's data at load time."""

    sandbox: Sandbox
    schema: str
    connection: psycopg.Connection
    truth: SandboxTruth

    def query(self, sql: str, *params: t.Any) -> list[tuple[t.Any, ...]]:
        """Run `sql`, in which `{schema}` names the loaded schema, and return all rows."""
        return self.connection.execute(sql.format(schema=self.schema), params).fetchall()

    def tables(self) -> set[str]:
        """Return the names of the schema's tables."""
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", self.schema)
        return {name for (name,) in rows}

    def columns(self, table: str) -> dict[str, str]:
        """Return a table's column names and data types."""
        rows = self.query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = %s AND table_name = %s",
            self.schema,
            table,
        )
        return dict(rows)

    def count(self, table: str) -> int:
        """Return a table's row count."""
        return self.query(f'SELECT count(*) FROM "{{schema}}"."{table}"')[0][0]

    def prompt_columns(self, campaign_id: int) -> dict[str, str]:
        """Return a campaign's prompt text to column name map from the loaded `prompts` table."""
        rows = self.query(
            'SELECT prompt, prompt_column FROM "{schema}".prompts WHERE campaign_id = %s ORDER BY position',
            campaign_id,
        )
        return dict(rows)

    def detail_rows(self, campaign_id: int) -> dict[str, dict[str, t.Any]]:
        """Return a campaign's detail table rows keyed by session id."""
        cursor = self.connection.execute(f'SELECT * FROM "{self.schema}"."{detail_table(campaign_id)}"')
        names = [column.name for column in cursor.description]
        return {
            row["session_id"]: row for row in (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
        }


def load(
    postgres: PostgresServer,
    sandbox: Sandbox,
    schema: str,
    state_database: Path,
) -> RunResult:
    """Run the pipeline from `sandbox` into `schema`, with state kept in `state_database`."""
    env = meltano_env(sandbox, state_database, **postgres.target_env(schema))
    return run_meltano("target-postgres", env)


@pytest.fixture(scope="module")
def first_load(
    postgres: PostgresServer,
    meltano_installed: None,
    start_sandbox: Callable[[], Sandbox],
    create_schema: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[LoadedSchema]:
    """Load a new sandbox into a new schema once."""
    sandbox = start_sandbox()
    schema = create_schema()
    load(postgres, sandbox, schema, tmp_path_factory.mktemp("state") / "meltano.db")
    with postgres.connect() as connection:
        yield LoadedSchema(sandbox, schema, connection, SandboxTruth.read(sandbox))


@dataclass
class IncrementalLoad:
    """A schema loaded twice, with the sandbox clock advanced in between."""

    loaded: LoadedSchema
    before: SandboxTruth
    second_run: RunResult
    second_run_started_at: dt.datetime


@pytest.fixture(scope="module")
def incremental_load(
    postgres: PostgresServer,
    meltano_installed: None,
    start_sandbox: Callable[[], Sandbox],
    create_schema: Callable[[], str],
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[IncrementalLoad]:
    """Load a new sandbox, advance its clock, and load again from the saved state."""
    sandbox = start_sandbox()
    schema = create_schema()
    state_database = tmp_path_factory.mktemp("state") / "meltano.db"

    load(postgres, sandbox, schema, state_database)
    before = SandboxTruth.read(sandbox)
    sandbox.advance(ADVANCE_SECONDS)
    second_run_started_at = dt.datetime.now(dt.timezone.utc)
    second_run = load(postgres, sandbox, schema, state_database)

    with postgres.connect() as connection:
        loaded = LoadedSchema(sandbox, schema, connection, SandboxTruth.read(sandbox))
        yield IncrementalLoad(loaded, before, second_run, second_run_started_at)


def test_tables_exist_for_every_stream(first_load: LoadedSchema) -> None:
    assert first_load.tables() == expected_tables(first_load.sandbox.campaign_ids)


@pytest.mark.parametrize("table", sorted(FIXED_COLUMNS))
def test_stream_table_has_columns(first_load: LoadedSchema, table: str) -> None:
    columns = first_load.columns(table)
    missing = [name for name in FIXED_COLUMNS[table] if name not in columns]
    assert missing == []


def test_detail_tables_have_prompt_columns(first_load: LoadedSchema) -> None:
    for campaign_id in first_load.sandbox.campaign_ids:
        columns = first_load.columns(detail_table(campaign_id))
        prompt_columns = first_load.prompt_columns(campaign_id)

        missing_fixed = [name for name in DETAIL_FIXED_COLUMNS if name not in columns]
        assert missing_fixed == [], campaign_id
        assert list(prompt_columns) == first_load.truth.known_prompts(campaign_id), campaign_id
        for column in prompt_columns.values():
            assert columns.get(column) == "jsonb", (campaign_id, column)


def test_row_counts_match_sandbox(first_load: LoadedSchema) -> None:
    counts = {table: first_load.count(table) for table in first_load.tables()}
    assert counts == first_load.truth.row_counts()


def test_prompt_columns_hold_decoded_answers(first_load: LoadedSchema) -> None:
    for campaign_id in first_load.sandbox.campaign_ids:
        rows = first_load.detail_rows(campaign_id)
        prompt_columns = first_load.prompt_columns(campaign_id)

        for session_id, session in first_load.truth.sessions_by_id(campaign_id).items():
            row = rows[session_id]
            for prompt, answer in session["answers"].items():
                assert row[prompt_columns[prompt]] == expected_answer(answer), (session_id, prompt)


def test_detail_fixed_columns_match_sandbox(first_load: LoadedSchema) -> None:
    for campaign_id in first_load.sandbox.campaign_ids:
        rows = first_load.detail_rows(campaign_id)
        for session_id, session in first_load.truth.sessions_by_id(campaign_id).items():
            row = rows[session_id]
            assert row["mobile_number"] == session["mobile_number"], session_id
            assert row["workflow_status"] == session["status"], session_id
            assert row["email"] == (session["email"] or None), session_id
            assert row["session_date_time"].strftime("%Y-%m-%dT%H:%M:%SZ") == session["session_start"], session_id


def test_responses_match_sandbox_answers(first_load: LoadedSchema) -> None:
    rows = first_load.query('SELECT campaign_id, session_id, prompt, text, media FROM "{schema}".responses')
    loaded = {
        (campaign_id, session_id, prompt): {"text": text, "media": media}
        for campaign_id, session_id, prompt, text, media in rows
    }
    assert loaded == first_load.truth.answers()


def test_participation_matches_sandbox(first_load: LoadedSchema) -> None:
    rows = first_load.query('SELECT campaign_id, mobile_number, workflow_status, prompts FROM "{schema}".participation')
    loaded = sorted(rows)
    expected = sorted(
        (campaign_id, session["mobile_number"], session["status"], session["prompts_answered"])
        for campaign_id, sessions in first_load.truth.sessions.items()
        for session in sessions
    )
    assert loaded == expected


def test_participation_summary_counts_participants(first_load: LoadedSchema) -> None:
    rows = first_load.query('SELECT campaign_id, total_participants FROM "{schema}".participation_summary')
    expected = {
        campaign_id: len({session["mobile_number"].lstrip("+") for session in sessions})
        for campaign_id, sessions in first_load.truth.sessions.items()
    }
    assert dict(rows) == expected


def test_second_run_adds_new_sessions(incremental_load: IncrementalLoad) -> None:
    loaded = incremental_load.loaded
    for campaign_id in loaded.sandbox.campaign_ids:
        table = detail_table(campaign_id)
        assert loaded.count(table) == len(loaded.truth.sessions[campaign_id]), table
    assert loaded.truth.row_counts()["participation"] > incremental_load.before.row_counts()["participation"]


def test_second_run_keeps_rows_unique(incremental_load: IncrementalLoad) -> None:
    loaded = incremental_load.loaded
    for campaign_id in loaded.sandbox.campaign_ids:
        table = detail_table(campaign_id)
        (total, distinct) = loaded.query(f'SELECT count(*), count(DISTINCT session_id) FROM "{{schema}}"."{table}"')[0]
        assert total == distinct, table
    assert {table: loaded.count(table) for table in loaded.tables()} == loaded.truth.row_counts()


def test_second_run_updates_changed_sessions(incremental_load: IncrementalLoad) -> None:
    loaded = incremental_load.loaded
    changed = 0
    for campaign_id in loaded.sandbox.campaign_ids:
        rows = loaded.detail_rows(campaign_id)
        prompt_columns = loaded.prompt_columns(campaign_id)
        before = incremental_load.before.sessions_by_id(campaign_id)

        for session_id, session in loaded.truth.sessions_by_id(campaign_id).items():
            if session_id not in before or before[session_id] == session:
                continue
            changed += 1
            row = rows[session_id]
            assert row["workflow_status"] == session["status"], session_id
            for prompt, answer in session["answers"].items():
                assert row[prompt_columns[prompt]] == expected_answer(answer), (session_id, prompt)

    # Sessions that were open at the first run get answers while the clock advances.
    assert changed > 0


def test_second_run_reads_only_changes(incremental_load: IncrementalLoad) -> None:
    loaded = incremental_load.loaded
    counts = incremental_load.second_run.record_counts()
    for campaign_id in loaded.sandbox.campaign_ids:
        table = detail_table(campaign_id)
        sessions = loaded.truth.sessions[campaign_id]
        if sessions:
            assert counts[table] < len(sessions), table

    # Rows that the second run did not send keep the first run's extraction time.
    untouched = loaded.query(
        'SELECT count(*) FROM "{schema}".detail_103 WHERE _sdc_extracted_at < %s',
        incremental_load.second_run_started_at,
    )[0][0]
    assert untouched > 0
