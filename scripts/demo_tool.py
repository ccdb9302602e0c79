"""Steps of scripts/demo.sh that are easier in Python than in bash.

    python scripts/demo_tool.py advance SANDBOX_URL SECONDS  move the sandbox clock forward
    python scripts/demo_tool.py records LOG                  records per stream in a Meltano JSON log
    python scripts/demo_tool.py tables DB SANDBOX_URL        tables of DB next to the sandbox's counts

SANDBOX_URL is the server root, such as http://127.0.0.1:8080. `advance` and `records`
need only the standard library. `tables` needs the duckdb package, so run it with the
Python of target-duckdb's venv: that DuckDB release wrote the file.
"""

from __future__ import annotations

import json
import sys
import typing as t
import urllib.request
from collections import Counter
from pathlib import Path

SCHEMA = "tap_txtimpact"
DETAIL_PREFIX = "detail_"
SAMPLE_DETAIL_TABLE = "detail_101"
SAMPLE_ROWS = 3
MAX_WIDTH = 160


def control_url(sandbox_url: str, path: str) -> str:
    """Return the URL of a sandbox control endpoint, such as sessions/101.

    Raises:
        ValueError: `sandbox_url` is not an http URL.
    """
    if not sandbox_url.startswith("http://"):
        raise ValueError(f"invalid sandbox URL {sandbox_url!r}: expected http://HOST:PORT")
    return f"{sandbox_url}/_sandbox/{path}"


def advance_clock(sandbox_url: str, seconds: int) -> None:
    """Advance the sandbox clock with its control endpoint and print the new time."""
    request = urllib.request.Request(control_url(sandbox_url, f"advance?seconds={seconds}"), method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        print(f"  sandbox time is now {json.load(response)['now']}")


def count_records(log_path: Path) -> Counter[str]:
    """Sum the tap's record_count metrics by stream in a `meltano --log-format=json` log.

    The SDK emits each counter as increments, one per sync context and flush, so the
    values add up to the records the tap sent.
    """
    counts: Counter[str] = Counter()
    for line in log_path.read_text(encoding="utf-8").splitlines():
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
        if not isinstance(metric, dict) or metric.get("metric") != "record_count":
            continue
        counts[metric["tags"]["stream"]] += int(metric["value"])
    return counts


def print_records(log_path: Path) -> None:
    """Print the records per stream that one run sent to the target."""
    counts = count_records(log_path)
    if not counts:
        print(f"  no record_count metrics found in {log_path}")
        return

    width = max(len(stream) for stream in counts)
    for stream in sorted(counts):
        print(f"  {stream:<{width}}  {counts[stream]:>6} records")
    print(f"  {'total':<{width}}  {sum(counts.values()):>6} records")


def fetch_sandbox_list(sandbox_url: str, path: str) -> list[t.Any]:
    """Return the JSON list that a sandbox control endpoint returns, such as sessions/101."""
    with urllib.request.urlopen(control_url(sandbox_url, path), timeout=10) as response:  # noqa: S310
        return json.load(response)


def expected_rows(sandbox_url: str, campaign_ids: list[str]) -> dict[str, int]:
    """Return the row count each table should have, from the sandbox's own data."""
    expected = {"participation": 0, "participation_summary": len(campaign_ids), "prompts": 0, "responses": 0}
    for campaign_id in campaign_ids:
        sessions = fetch_sandbox_list(sandbox_url, f"sessions/{campaign_id}")
        expected[DETAIL_PREFIX + campaign_id] = len(sessions)
        expected["participation"] += len(sessions)
        # The API shows prompts only as Detail Report columns, so a campaign without
        # sessions has no prompts that the tap can find.
        if sessions:
            expected["prompts"] += len(fetch_sandbox_list(sandbox_url, f"prompts/{campaign_id}"))
        # The sandbox lists a prompt not yet answered as None.
        expected["responses"] += sum(
            answer is not None for session in sessions for answer in session["answers"].values()
        )
    return expected


def print_tables(database_path: Path, sandbox_url: str) -> None:
    """Print each table's row count, then sample rows of one detail table and of responses."""
    import duckdb  # only target-duckdb's venv has it

    # The queries below build names from constants and information_schema, not from input.
    connection = duckdb.connect(str(database_path), read_only=True)
    tables = [
        name
        for (name,) in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name",
            [SCHEMA],
        ).fetchall()
    ]
    campaign_ids = [table.removeprefix(DETAIL_PREFIX) for table in tables if table.startswith(DETAIL_PREFIX)]
    expected = expected_rows(sandbox_url, campaign_ids)

    print(f"  {'table':<24} {'rows':>7} {'sandbox':>8}")
    for table in tables:
        (rows,) = connection.execute(f'SELECT count(*) FROM {SCHEMA}."{table}"').fetchone()  # noqa: S608
        print(f"  {table:<24} {rows:>7} {expected.get(table, ''):>8}")
    print("  (sandbox: the rows the sandbox's own data calls for)")

    if SAMPLE_DETAIL_TABLE in tables:
        prompt_columns = [
            name
            for (name,) in connection.execute(
                f"SELECT prompt_column FROM {SCHEMA}.prompts WHERE campaign_id = ? ORDER BY position LIMIT 3",  # noqa: S608
                [int(SAMPLE_DETAIL_TABLE.removeprefix(DETAIL_PREFIX))],
            ).fetchall()
        ]
        columns = ", ".join(["session_id", "session_date_time", *(f'"{name}"' for name in prompt_columns)])
        print(f"\n{SCHEMA}.{SAMPLE_DETAIL_TABLE}, the latest completed sessions (prompt columns hold JSON):")
        connection.sql(
            f"SELECT {columns} FROM {SCHEMA}.{SAMPLE_DETAIL_TABLE} WHERE workflow_status = 'C' "  # noqa: S608
            f"ORDER BY session_date_time DESC LIMIT {SAMPLE_ROWS}"
        ).show(max_width=MAX_WIDTH)

    if "responses" in tables:
        print(f"{SCHEMA}.responses, one row per answer:")
        connection.sql(
            f"SELECT campaign_id, session_id, prompt_column, text, media FROM {SCHEMA}.responses "  # noqa: S608
            f"ORDER BY session_date_time DESC, session_id, prompt_column LIMIT {SAMPLE_ROWS + 2}"
        ).show(max_width=MAX_WIDTH)


def main(arguments: list[str]) -> int:
    """Run the subcommand named in `arguments`."""
    if len(arguments) == 3 and arguments[0] == "advance":
        advance_clock(arguments[1], int(arguments[2]))
        return 0
    if len(arguments) == 2 and arguments[0] == "records":
        print_records(Path(arguments[1]))
        return 0
    if len(arguments) == 3 and arguments[0] == "tables":
        print_tables(Path(arguments[1]), arguments[2])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
