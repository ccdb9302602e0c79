#!/usr/bin/env bash
# Demo of the whole pipeline: the sandbox API -> tap-txtimpact -> Meltano -> DuckDB.
#
# The script installs .venv, .venv-meltano and the plugins under .meltano/, and starts
# the sandbox on a free local port. It loads the sandbox into output/txtimpact.duckdb
# with `meltano run`, advances the sandbox clock by 6 hours and runs again from the
# state that Meltano saved. Then it prints what landed and stops the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."

export MELTANO_CLI_DISABLE_VERSION_CHECK=true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
export MELTANO_ENVIRONMENT=sandbox

# Simulated seconds between the two runs, in which new sessions start and open ones go on.
ADVANCE_SECONDS=21600
DATABASE="output/txtimpact.duckdb"
DUCKDB_PYTHON=".meltano/loaders/target-duckdb/venv/bin/python"

echo "==> Installing the package (.venv), Meltano (.venv-meltano) and the plugins (.meltano/)"
# setup-venv.sh also runs scripts/setup-meltano.sh.
source scripts/setup-venv.sh

echo "==> Starting the sandbox"
sandbox_log="$(mktemp)"
.venv/bin/tap-txtimpact-sandbox --host 127.0.0.1 --port 0 >"$sandbox_log" 2>&1 &
sandbox_pid=$!

stop_sandbox() {
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    rm -f "$sandbox_log"
}
trap stop_sandbox EXIT

# Port 0 lets the sandbox pick a free port, and it prints its API URL once it listens.
api_url=""
for _ in $(seq 100); do
    api_url="$(grep -m1 -o 'http://[^ ]*/api/v2' "$sandbox_log" || true)"
    if [ -n "$api_url" ]; then
        break
    fi
    if ! kill -0 "$sandbox_pid" 2>/dev/null; then
        echo "The sandbox exited before it listened:" >&2
        cat "$sandbox_log" >&2
        exit 1
    fi
    sleep 0.1
done
if [ -z "$api_url" ]; then
    echo "The sandbox did not print its URL within 10 seconds:" >&2
    cat "$sandbox_log" >&2
    exit 1
fi
sandbox_url="${api_url%/api/v2}"
echo "    sandbox API at $api_url (PID $sandbox_pid)"

# Overrides api_url of the sandbox environment in meltano.yml, which names a fixed port.
export TAP_TXTIMPACT_API_URL="$api_url"

run_pipeline() {
    local number="$1"
    shift
    local log="output/demo-run-${number}.log"
    local started=$SECONDS
    if ! .venv-meltano/bin/meltano --log-format=json run "$@" tap-txtimpact target-duckdb >"$log" 2>&1; then
        echo "meltano run failed. The last lines of $log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    echo "    finished in $((SECONDS - started)) s; records sent to target-duckdb:"
    .venv/bin/python scripts/demo_tool.py records "$log"
    echo "    full log: $log"
}

echo "==> Run 1: full load (ignores state left by an earlier demo and starts a new database)"
rm -f "$DATABASE" "$DATABASE.wal"
run_pipeline 1 --full-refresh

echo "==> Advancing the sandbox clock by $((ADVANCE_SECONDS / 3600)) hours"
.venv/bin/python scripts/demo_tool.py advance "$sandbox_url" "$ADVANCE_SECONDS"

echo "==> Run 2: incremental, from the bookmarks that run 1 left in Meltano's state"
run_pipeline 2

echo "==> What landed in $DATABASE"
"$DUCKDB_PYTHON" scripts/demo_tool.py tables "$DATABASE" "$sandbox_url"

echo "==> Done. The DuckDB file is $(pwd)/$DATABASE"
echo "    Open it with: $DUCKDB_PYTHON -c \"import duckdb; db = duckdb.connect('$DATABASE'); db.sql('SHOW ALL TABLES').show()\""
