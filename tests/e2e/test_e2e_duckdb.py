"""tap-txtimpact -> target-duckdb through `meltano run`, checked against the sandbox.

The sandbox gets a new prompt between the two runs, so these tests also show that
Meltano rediscovers the catalog on every run: the second run adds the prompt's column.
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pytest
import yaml
from e2e_pipeline import (
    REPO_ROOT,
    SandboxTruth,
    detail_table,
    expected_answer,
    expected_tables,
    meltano_env,
    run_meltano,
)

from tap_txtimpact.sandbox import Sandbox

# target-duckdb's default_target_schema in meltano.yml.
SCHEMA = "tap_txtimpact"
NEW_PROMPT_CAMPAIGN = 101
NEW_PROMPT = "How did you hear about us?"
ADVANCE_SECONDS = 12 * 3600


@dataclass
class DuckDBLoad:
    """A DuckDB file loaded twice from a sandbox that got a new prompt in between."""

    sandbox: Sandbox
    connection: duckdb.DuckDBPyConnection
    truth: SandboxTruth

    def tables(self) -> set[str]:
        """Return the names of the schema's tables."""
        rows = self.connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]
        ).fetchall()
        return {name for (name,) in rows}

    def count(self, table: str) -> int:
        """Return a table's row count."""
        return self.connection.execute(f'SELECT count(*) FROM {SCHEMA}."{table}"').fetchone()[0]

    def prompt_columns(self, campaign_id: int) -> dict[str, str]:
        """Return a campaign's prompt text to column name map from the loaded `prompts` table."""
        rows = self.connection.execute(
            f"SELECT prompt, prompt_column FROM {SCHEMA}.prompts WHERE campaign_id = ? ORDER BY position",
            [campaign_id],
        ).fetchall()
        return dict(rows)

    def detail_rows(self, campaign_id: int) -> dict[str, dict[str, t.Any]]:
        """Return a campaign's detail table rows keyed by session id."""
        cursor = self.connection.execute(f'SELECT * FROM {SCHEMA}."{detail_table(campaign_id)}"')
        names = [column[0] for column in cursor.description]
        return {
            row["session_id"]: row for row in (dict(zip(names, values, strict=True)) for values in cursor.fetchall())
        }


@pytest.fixture(scope="module")
def duckdb_load(
    meltano_installed: None,
    start_sandbox: Callable[[], Sandbox],
    tmp_path_factory: pytest.TempPathFactory,
) -> t.Iterator[DuckDBLoad]:
    """Load a sandbox into DuckDB, add a prompt, advance the clock and load again."""
    sandbox = start_sandbox()
    directory = tmp_path_factory.mktemp("duckdb")
    database = directory / "txtimpact.duckdb"
    env = meltano_env(sandbox, directory / "meltano.db", TARGET_DUCKDB_PATH=str(database))

    run_meltano("target-duckdb", env)
    sandbox.add_prompt(NEW_PROMPT_CAMPAIGN, NEW_PROMPT)
    sandbox.advance(ADVANCE_SECONDS)
    run_meltano("target-duckdb", env)

    connection = duckdb.connect(str(database), read_only=True)
    try:
        yield DuckDBLoad(sandbox, connection, SandboxTruth.read(sandbox))
    finally:
        connection.close()


def test_tables_exist_for_every_stream(duckdb_load: DuckDBLoad) -> None:
    assert duckdb_load.tables() == expected_tables(duckdb_load.sandbox.campaign_ids)


def test_row_counts_match_sandbox(duckdb_load: DuckDBLoad) -> None:
    counts = {table: duckdb_load.count(table) for table in duckdb_load.tables()}
    assert counts == duckdb_load.truth.row_counts()


def test_detail_rows_are_unique(duckdb_load: DuckDBLoad) -> None:
    for campaign_id in duckdb_load.sandbox.campaign_ids:
        table = detail_table(campaign_id)
        (total, distinct) = duckdb_load.connection.execute(
            f'SELECT count(*), count(DISTINCT session_id) FROM {SCHEMA}."{table}"'
        ).fetchone()
        assert total == distinct, table


def test_prompt_columns_hold_decoded_answers(duckdb_load: DuckDBLoad) -> None:
    for campaign_id in duckdb_load.sandbox.campaign_ids:
        rows = duckdb_load.detail_rows(campaign_id)
        prompt_columns = duckdb_load.prompt_columns(campaign_id)
        assert list(prompt_columns) == duckdb_load.truth.known_prompts(campaign_id), campaign_id

        for session_id, session in duckdb_load.truth.sessions_by_id(campaign_id).items():
            row = rows[session_id]
            for prompt, answer in session["answers"].items():
                value = row[prompt_columns[prompt]]
                loaded = None if value is None else json.loads(value)
                assert loaded == expected_answer(answer), (session_id, prompt)


def test_new_prompt_becomes_column(duckdb_load: DuckDBLoad) -> None:
    prompt_columns = duckdb_load.prompt_columns(NEW_PROMPT_CAMPAIGN)
    assert NEW_PROMPT in prompt_columns

    column = prompt_columns[NEW_PROMPT]
    rows = duckdb_load.detail_rows(NEW_PROMPT_CAMPAIGN)
    answered = {
        session["session_id"]: expected_answer(session["answers"][NEW_PROMPT])
        for session in duckdb_load.truth.sessions[NEW_PROMPT_CAMPAIGN]
        if session["answers"][NEW_PROMPT] is not None
    }
    # Sessions that start after the prompt was added may answer it.
    assert answered
    for session_id, answer in answered.items():
        assert json.loads(rows[session_id][column]) == answer, session_id


def test_meltano_yml_disables_catalog_cache() -> None:
    # With an editable pip_url Meltano skips its catalog cache anyway; this setting keeps
    # new prompts coming for installs from a package index as well.
    project = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text(encoding="utf-8"))
    extractor = next(plugin for plugin in project["plugins"]["extractors"] if plugin["name"] == "tap-txtimpact")
    assert extractor["use_cached_catalog"] is False
