"""Check that the Hub listing and meltano.yml declare exactly the settings the tap reports.

The tap's `--about --format=json` output is the source of truth. Its settings JSON schema is
turned into Meltano settings by `hub_expectations.expected_settings`: nested objects with fixed
keys become dotted names, and JSON types map to Meltano kinds.
"""

from __future__ import annotations

import typing as t

import pytest
from hub_expectations import (
    LISTING_PATH,
    MELTANO_YML_PATH,
    PLUGIN_NAME,
    ExpectedSetting,
    expected_settings,
    load_listing,
    load_yaml,
    run_about,
    settings_by_name,
)


@pytest.fixture(scope="module")
def about() -> dict[str, t.Any]:
    return run_about()


@pytest.fixture(scope="module")
def expected(about: dict[str, t.Any]) -> dict[str, ExpectedSetting]:
    return expected_settings(about)


@pytest.fixture(scope="module")
def listed() -> dict[str, dict[str, t.Any]]:
    return settings_by_name(load_listing()["settings"], source=str(LISTING_PATH))


@pytest.fixture(scope="module")
def project_settings() -> dict[str, dict[str, t.Any]]:
    """Return the settings of the tap-txtimpact extractor in the repository's meltano.yml."""
    assert MELTANO_YML_PATH.is_file(), f"{MELTANO_YML_PATH} is missing"
    project = load_yaml(MELTANO_YML_PATH)
    extractors = project.get("plugins", {}).get("extractors", [])
    matches = [plugin for plugin in extractors if plugin.get("name") == PLUGIN_NAME]
    assert len(matches) == 1, f"meltano.yml must define extractor {PLUGIN_NAME} once, found {len(matches)}"
    return settings_by_name(matches[0].get("settings", []), source=str(MELTANO_YML_PATH))


def _meltano_kind_and_secrecy(setting: dict[str, t.Any]) -> tuple[str, bool]:
    """Return a setting's kind and secrecy with Meltano's two spellings of a secret made equal.

    The Hub lists secrets as `kind: password` with `sensitive: true`. Meltano 4 rewrites
    `password` to `kind: string` with `sensitive: true` when it adds a plugin, so meltano.yml may
    hold either spelling.
    """
    kind = setting.get("kind", "string")
    sensitive = bool(setting.get("sensitive", False))
    if kind == "password":
        return "string", True
    return kind, sensitive


# Hub listing against the tap.


def test_listing_has_every_tap_setting(
    expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]
) -> None:
    missing = sorted(expected.keys() - listed.keys())
    assert missing == [], f"settings the tap reports but the hub listing lacks: {missing}"


def test_listing_has_no_unknown_setting(
    expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]
) -> None:
    unknown = sorted(listed.keys() - expected.keys())
    assert unknown == [], f"hub listing settings the tap does not have: {unknown}"


def test_listing_setting_kinds(expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]) -> None:
    wrong = {
        name: (listed[name].get("kind"), setting.kind)
        for name, setting in expected.items()
        if name in listed and listed[name].get("kind") != setting.kind
    }
    assert wrong == {}, f"hub listing kinds as (listed, expected): {wrong}"


def test_listing_setting_secrecy(expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]) -> None:
    wrong = {
        name: (bool(listed[name].get("sensitive", False)), setting.sensitive)
        for name, setting in expected.items()
        if name in listed and bool(listed[name].get("sensitive", False)) != setting.sensitive
    }
    assert wrong == {}, f"hub listing sensitive flags as (listed, expected): {wrong}"


def test_listing_setting_options(expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]) -> None:
    wrong = {}
    for name, setting in expected.items():
        if name not in listed:
            continue
        values = tuple(option["value"] for option in listed[name].get("options", []))
        if sorted(values) != sorted(setting.options):
            wrong[name] = (values, setting.options)
    assert wrong == {}, f"hub listing option values as (listed, expected): {wrong}"


def test_listing_setting_defaults(expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]) -> None:
    wrong = {
        name: (listed[name].get("value"), setting.default)
        for name, setting in expected.items()
        if name in listed and listed[name].get("value") != setting.default
    }
    assert wrong == {}, f"hub listing default values as (listed, expected): {wrong}"


def test_listing_setting_labels(expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]) -> None:
    wrong = {
        name: (listed[name].get("label"), setting.label)
        for name, setting in expected.items()
        if name in listed and setting.label is not None and listed[name].get("label") != setting.label
    }
    assert wrong == {}, f"hub listing labels as (listed, tap title): {wrong}"


def test_listing_setting_descriptions(
    expected: dict[str, ExpectedSetting], listed: dict[str, dict[str, t.Any]]
) -> None:
    wrong = {
        name: (listed[name].get("description"), setting.description)
        for name, setting in expected.items()
        if name in listed and listed[name].get("description") != setting.description
    }
    assert wrong == {}, f"hub listing descriptions as (listed, tap): {wrong}"


def test_listing_capabilities(about: dict[str, t.Any]) -> None:
    assert sorted(load_listing()["capabilities"]) == sorted(about["capabilities"])


def test_listing_python_versions(about: dict[str, t.Any]) -> None:
    assert load_listing()["supported_python_versions"] == about["supported_python_versions"]


def test_listing_required_settings_group(about: dict[str, t.Any]) -> None:
    groups = load_listing()["settings_group_validation"]
    assert [sorted(group) for group in groups] == [sorted(about["settings"]["required"])]


# meltano.yml against the tap.


def test_project_has_every_tap_setting(
    expected: dict[str, ExpectedSetting], project_settings: dict[str, dict[str, t.Any]]
) -> None:
    missing = sorted(expected.keys() - project_settings.keys())
    assert missing == [], f"settings the tap reports but meltano.yml lacks: {missing}"


def test_project_has_no_unknown_setting(
    expected: dict[str, ExpectedSetting], project_settings: dict[str, dict[str, t.Any]]
) -> None:
    unknown = sorted(project_settings.keys() - expected.keys())
    assert unknown == [], f"meltano.yml settings the tap does not have: {unknown}"


def test_project_setting_kinds_and_secrecy(
    expected: dict[str, ExpectedSetting], project_settings: dict[str, dict[str, t.Any]]
) -> None:
    wrong = {}
    for name, setting in expected.items():
        if name not in project_settings:
            continue
        declared = _meltano_kind_and_secrecy(project_settings[name])
        derived = _meltano_kind_and_secrecy({"kind": setting.kind, "sensitive": setting.sensitive})
        if declared != derived:
            wrong[name] = (declared, derived)
    assert wrong == {}, f"meltano.yml (kind, sensitive) as (declared, expected): {wrong}"
