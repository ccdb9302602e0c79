#!/usr/bin/env bash
# Install Meltano into .venv-meltano and the plugins of meltano.yml into .meltano/.
# Meltano gets a venv of its own because its pins and the Singer SDK's need not agree.
# Meltano gives each plugin its own venv under .meltano/ and builds it with uv.
# A second run reuses what is installed, so it takes a few seconds.
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

.venv-meltano/bin/meltano install
