# Create .venv with the package and its test dependencies; sourced by the scripts.
# uv installs in about a second where pip takes several; pip is the fallback.
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check uv
fi

if [ ! -x .venv/bin/python ]; then
    uv venv --quiet .venv
fi

uv pip install --quiet --python .venv/bin/python -e ".[test,lint]"

# Meltano and its plugins, for the end-to-end tests and the demo.
bash scripts/setup-meltano.sh
