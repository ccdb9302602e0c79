"""Run the tap in-process and collect the Singer messages it writes."""

from __future__ import annotations

import contextlib
import io
import json
import typing as t
from dataclasses import dataclass, field

from tap_txtimpact.tap import TapTXTImpact


@dataclass
class SyncOutput:
    """Messages of one run, sorted by type."""

    messages: list[dict[str, t.Any]] = field(default_factory=list)

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        return [m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream]

    def schemas(self, stream: str) -> list[dict[str, t.Any]]:
        return [m for m in self.messages if m["type"] == "SCHEMA" and m["stream"] == stream]

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]


def discover(config: dict[str, t.Any]) -> dict[str, t.Any]:
    """Return the catalog that discovery builds."""
    return TapTXTImpact(config=config).catalog_dict


def run_sync(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    message_writer: t.Any = None,
) -> SyncOutput:
    """Sync in-process and return every message written to stdout."""
    tap = TapTXTImpact(config=config, state=state, catalog=catalog, message_writer=message_writer)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        tap.sync_all()

    output = SyncOutput()
    for line in buffer.getvalue().splitlines():
        if line.strip():
            output.messages.append(json.loads(line))
    return output


def select_streams(catalog: dict[str, t.Any], names: t.Collection[str]) -> dict[str, t.Any]:
    """Return the catalog with only ``names`` selected."""
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in names
    return catalog
