#!/usr/bin/env bash
# Set up a virtual environment in .venv and run the test suite.
# Extra arguments go to pytest, for example: scripts/test.sh -k prompts
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/setup-venv.sh

.venv/bin/python -m pytest "$@"
