"""Load the Meltano Hub listing and derive the Meltano settings the tap's --about output implies."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import typing as t
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LISTING_PATH = REPO_ROOT / "hub" / "extractors" / "tap-txtimpact" / "txtimpact-community.yml"
MELTANO_YML_PATH = REPO_ROOT / "meltano.yml"

# The Hub schemas are reference data kept beside the repository, never inside it. CI runs in a
# fresh clone with that folder copied next to it, but a GitHub runner has no such folder.
HUB_REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference" / "meltano-hub"
HUB_SCHEMA_DIR = HUB_REFERENCE_DIR / "schemas"
EXTRACTOR_SCHEMA_PATH = HUB_SCHEMA_DIR / "plugin_definitions" / "extractors.schema.json"

PLUGIN_NAME = "tap-txtimpact"

# Turn off Meltano's check for a newer release and its usage statistics, so every Meltano
# command in these tests stays off the network apart from package installs.
MELTANO_ENV = {
    "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
}


@dataclass(frozen=True)
class ExpectedSetting:
    """A Meltano setting derived from one property of the tap's settings JSON schema."""

    name: str
    kind: str
    sensitive: bool
    options: tuple[str, ...]
    default: t.Any
    label: str | None
    description: str | None


def load_yaml(path: Path) -> t.Any:
    """Parse a YAML file with the safe loader."""
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def load_listing() -> dict[str, t.Any]:
    """Return the Hub plugin definition as a dict."""
    listing = load_yaml(LISTING_PATH)
    assert isinstance(listing, dict), f"{LISTING_PATH} must contain a YAML mapping"
    return listing


def tap_executable() -> str:
    """Return the tap-txtimpact console script of the Python environment running the tests."""
    beside_python = Path(sys.executable).parent / PLUGIN_NAME
    if beside_python.exists():
        return str(beside_python)
    on_path = shutil.which(PLUGIN_NAME)
    if on_path is None:
        pytest.fail(f"{PLUGIN_NAME} is not installed next to {sys.executable} or on PATH; run scripts/test.sh")
    return on_path


def run_about() -> dict[str, t.Any]:
    """Run `tap-txtimpact --about --format=json` and return the parsed output."""
    completed = subprocess.run(
        [tap_executable(), "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"--about failed with exit code {completed.returncode}: {completed.stderr}"
    return json.loads(completed.stdout)


def _is_object(schema: dict[str, t.Any]) -> bool:
    declared = schema.get("type")
    return declared == "object" or (isinstance(declared, list) and "object" in declared)


def _has_fixed_keys(schema: dict[str, t.Any]) -> bool:
    """Tell whether an object setting has named sub-settings rather than user-chosen keys.

    `batch_config` and `faker_config` list their keys under `properties`, so Meltano and the Hub
    expose each key as a dotted setting (`batch_config.encoding.format`). `stream_maps` takes
    stream names as keys (a schema under `additionalProperties`) and `stream_map_config` has no
    properties, so both stay single object settings.
    """
    return bool(schema.get("properties")) and not isinstance(schema.get("additionalProperties"), dict)


def flatten_settings(properties: dict[str, t.Any], prefix: str = "") -> dict[str, dict[str, t.Any]]:
    """Map dotted Meltano setting names to the JSON schema of each leaf setting."""
    flat: dict[str, dict[str, t.Any]] = {}
    for key, schema in properties.items():
        name = f"{prefix}{key}"
        if _is_object(schema) and _has_fixed_keys(schema):
            flat.update(flatten_settings(schema["properties"], prefix=f"{name}."))
        else:
            flat[name] = schema
    return flat


def json_types(schema: dict[str, t.Any]) -> set[str]:
    """Collect the non-null JSON types a property accepts, including those of oneOf/anyOf branches."""
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(declared)
    for keyword in ("oneOf", "anyOf"):
        for branch in schema.get(keyword, []):
            if isinstance(branch, dict):
                found |= json_types(branch)
    found.discard("null")
    return found


def meltano_kind(name: str, schema: dict[str, t.Any]) -> str:
    """Return the Meltano setting kind for one flattened JSON schema property."""
    types = json_types(schema)
    if schema.get("secret"):
        assert types == {"string"}, f"secret setting {name} must be a string, not {sorted(types)}"
        return "password"
    if schema.get("enum"):
        return "options"
    if "array" in types:
        return "array"
    if len(types) > 1:
        # Meltano has no union kind. The SDK's faker_config.seed (number, string or boolean) is
        # listed as a string on the Hub, which is what Meltano passes through unchanged.
        return "string"
    if types == {"string"}:
        return "date_iso8601" if schema.get("format") in ("date-time", "date") else "string"
    kinds = {"integer": "integer", "number": "decimal", "boolean": "boolean", "object": "object"}
    (only_type,) = types
    assert only_type in kinds, f"setting {name} has JSON type {only_type!r} with no Meltano kind mapped"
    return kinds[only_type]


def expected_settings(about: dict[str, t.Any]) -> dict[str, ExpectedSetting]:
    """Derive every Meltano setting from the settings schema in the tap's --about output."""
    expected: dict[str, ExpectedSetting] = {}
    for name, schema in flatten_settings(about["settings"]["properties"]).items():
        options = tuple(value for value in schema.get("enum", []) if value is not None)
        expected[name] = ExpectedSetting(
            name=name,
            kind=meltano_kind(name, schema),
            sensitive=bool(schema.get("secret", False)),
            options=options,
            default=schema.get("default"),
            label=schema.get("title"),
            description=schema.get("description"),
        )
    return expected


def settings_by_name(settings: list[dict[str, t.Any]], source: str) -> dict[str, dict[str, t.Any]]:
    """Index a list of Meltano setting definitions by name, failing on duplicates."""
    indexed: dict[str, dict[str, t.Any]] = {}
    for setting in settings:
        name = setting["name"]
        assert name not in indexed, f"{source} defines setting {name!r} twice"
        indexed[name] = setting
    return indexed
