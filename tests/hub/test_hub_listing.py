"""Validate the Meltano Hub listing against the Hub's own extractor JSON schema."""

from __future__ import annotations

import copy
import json
import typing as t
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hub_expectations import EXTRACTOR_SCHEMA_PATH, HUB_REFERENCE_DIR, HUB_SCHEMA_DIR, load_listing
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

requires_hub_schemas = pytest.mark.skipif(
    not EXTRACTOR_SCHEMA_PATH.is_file(),
    reason=(
        f"Meltano Hub schemas not found in {HUB_REFERENCE_DIR}: they are reference data kept "
        "beside the repository and are absent from a plain clone"
    ),
)


def _load_schema_file(path: Path) -> dict[str, t.Any]:
    """Load one Hub schema file and make its file URI its base URI.

    The Hub's `$id`s are short relative names ("extractors.schema.json",
    "common/common.schema.json") that do not share a root, while each `$ref` is written
    relative to the file that contains it. Replacing `$id` with the file's URI resolves every
    `$ref` the way the files are laid out on disk.
    """
    contents = json.loads(path.read_text(encoding="utf-8"))
    contents["$id"] = path.as_uri()
    return contents


def _retrieve_schema(uri: str) -> Resource[t.Any]:
    """Resolve a `$ref` target to a file under the Hub schema folder, and nowhere else."""
    parts = urlsplit(uri)
    path = Path(unquote(parts.path)).resolve()
    if parts.scheme != "file" or not path.is_relative_to(HUB_SCHEMA_DIR.resolve()) or not path.is_file():
        raise NoSuchResource(ref=uri)
    return Resource.from_contents(_load_schema_file(path), default_specification=DRAFT7)


@pytest.fixture(scope="module")
def extractor_validator() -> Draft7Validator:
    """Return a draft-07 validator for Hub extractor definitions with local `$ref` resolution."""
    schema = _load_schema_file(EXTRACTOR_SCHEMA_PATH)
    Draft7Validator.check_schema(schema)
    registry: Registry[t.Any] = Registry(retrieve=_retrieve_schema)
    return Draft7Validator(schema, registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)


def _error_report(validator: Draft7Validator, instance: dict[str, t.Any]) -> list[str]:
    return [
        f"{'/'.join(str(part) for part in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path))
    ]


@requires_hub_schemas
def test_listing_matches_hub_schema(extractor_validator: Draft7Validator) -> None:
    errors = _error_report(extractor_validator, load_listing())
    assert errors == [], "hub listing is invalid:\n" + "\n".join(errors)


# Each case breaks a rule that sits in a different referenced schema file, so a validator
# that silently failed to resolve a `$ref` would pass the listing above but fail here.
@requires_hub_schemas
@pytest.mark.parametrize(
    ("mutation", "broken_rule"),
    [
        ({"quality": None}, "quality is required (extractors.schema.json)"),
        ({"maintenance_status": "abandoned"}, "maintenance_status enum (hub_metadata.schema.json)"),
        ({"namespace": None}, "namespace is required (common/common.schema.json)"),
        ({"capabilities": ["catalog", "incremental"]}, "capability enum (extractors_specific.schema.json)"),
        ({"settings": [{"name": "api_key", "kind": "secret"}]}, "setting kind enum (base_setting.schema.json)"),
        ({"homepage": "https://www.txtimpact.com"}, "no unknown top-level keys (extractors.schema.json)"),
    ],
)
def test_hub_schema_rejects_broken_listing(
    extractor_validator: Draft7Validator,
    mutation: dict[str, t.Any],
    broken_rule: str,
) -> None:
    listing = copy.deepcopy(load_listing())
    for key, value in mutation.items():
        if value is None:
            del listing[key]
        else:
            listing[key] = value
    assert not extractor_validator.is_valid(listing), f"schema accepted a listing that breaks: {broken_rule}"


def test_listing_identity() -> None:
    listing = load_listing()
    assert listing["name"] == "tap-txtimpact"
    assert listing["namespace"] == "tap_txtimpact"
    assert listing["variant"] == "txtimpact-community"
    assert listing["executable"] == "tap-txtimpact"
    assert listing["pip_url"] == "git+https://github.com/txtimpact-community/tap-txtimpact.git"
    assert listing["domain_url"] == "https://www.txtimpact.com"
    assert "meltano_sdk" in listing["keywords"]
