#!/usr/bin/env bash
# Install Meltano into .venv-meltano and the plugins of meltano.yml into .meltano/.
# Meltano gets a venv of its own because its pins and the Singer SDK's need not agree.
# Meltano gives each plugin its own venv under .meltano/ and builds it with uv.
# A second run reuses what is installed and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

# Matches requires_meltano in meltano.yml.
MELTANO_VERSION="4.4.1"

export MELTANO_CLI_DISABLE_VERSION_CHECK=true
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false

if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check uv
fi

if [ ! -x .venv-meltano/bin/python ]; then
    uv venv --quiet .venv-meltano
fi

uv pip install --quiet --python .venv-meltano/bin/python "meltano==${MELTANO_VERSION}"

# target-duckdb fails when the folder of its database file is missing.
mkdir -p output

# `meltano install` takes a few seconds even when nothing changed, so it is skipped while
# the files that decide what it installs are unchanged. The tap is installed editable,
# so changes to its code need no reinstall.
stamp=".meltano/setup-meltano.sha256"
inputs="$(cat meltano.yml pyproject.toml | sha256sum)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] \
    && [ -d .meltano/extractors/tap-txtimpact/venv ] \
    && [ -d .meltano/loaders/target-duckdb/venv ] \
    && [ -d .meltano/loaders/target-postgres/venv ]; then
    exit 0
fi

.venv-meltano/bin/meltano install
echo "$inputs" >"$stamp"
