"""Fixtures for the end-to-end tests: Meltano and its plugins, sandboxes and PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from e2e_pipeline import REPO_ROOT, PostgresServer

from tap_txtimpact.sandbox import Sandbox

# One campaign per sandbox workflow template, and an empty one.
E2E_CAMPAIGNS = {101: 40, 102: 30, 103: 200, 104: 0}
# `meltano install` downloads the plugins on a machine without a warm uv cache.
INSTALL_TIMEOUT_SECONDS = 600


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """Install Meltano and the plugins of meltano.yml, unless they are installed already."""
    completed = subprocess.run(
        ["bash", "scripts/setup-meltano.sh"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        pytest.fail(
            f"scripts/setup-meltano.sh exited with {completed.returncode}:\n"
            f"{(completed.stdout + completed.stderr)[-6000:]}"
        )


@pytest.fixture(scope="module")
def start_sandbox() -> Iterator[Callable[[], Sandbox]]:
    """Return a function that starts a small sandbox without rate limit; all stop with the module."""
    started: list[Sandbox] = []

    def start() -> Sandbox:
        sandbox = Sandbox(campaigns=E2E_CAMPAIGNS, requests_per_second=0, host="127.0.0.1", port=0)
        sandbox.start()
        started.append(sandbox)
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    """Return a PostgreSQL server that accepts a connection, or skip.

    libpq's PGHOST, PGPORT, PGUSER and PGDATABASE choose the server; without them the
    tests try 127.0.0.1:5432, database test, as user postgres and then root.
    TAP_TXTIMPACT_REQUIRE_POSTGRES=1 turns the skip into a failure.
    """
    host = os.environ.get("PGHOST", "127.0.0.1")
    port = int(os.environ.get("PGPORT", "5432"))
    database = os.environ.get("PGDATABASE", "test")
    users = [os.environ["PGUSER"]] if os.environ.get("PGUSER") else ["postgres", "root"]

    errors = []
    for user in users:
        server = PostgresServer(host, port, user, database)
        try:
            with server.connect():
                return server
        except psycopg.OperationalError as error:
            errors.append(f"user {user}: {' '.join(str(error).split())}")

    reason = f"PostgreSQL at {host}:{port}, database {database}, is not reachable ({'; '.join(errors)})"
    if os.environ.get("TAP_TXTIMPACT_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"{reason}, and TAP_TXTIMPACT_REQUIRE_POSTGRES=1 requires it")
    pytest.skip(f"{reason}; start PostgreSQL or set PGHOST, PGPORT, PGUSER and PGDATABASE")


@pytest.fixture(scope="module")
def create_schema(postgres: PostgresServer) -> Iterator[Callable[[], str]]:
    """Return a function that creates an empty schema; every schema is dropped with the module."""
    created: list[str] = []

    def create() -> str:
        schema = f"e2e_{uuid.uuid4().hex[:12]}"
        with postgres.connect() as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        created.append(schema)
        return schema

    yield create
    with postgres.connect() as connection:
        for schema in created:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
