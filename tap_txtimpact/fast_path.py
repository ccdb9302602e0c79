"""A shorter per-record path for the streams that carry nearly all records.

For every record the SDK walks the selection mask through all properties and nested
objects, conforms types, applies stream maps and updates the bookmark. The tap builds
records that already match their schema, and it tracks the bookmark from each page
(``TXTImpactStream.scan_bookmark``), so when nothing would change the record those
steps are skipped. Benchmarks put the saving at about a third of the tap's CPU time on
the Detail Report (see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property

from singer_sdk.mapper import SameRecordTransform
from singer_sdk.singerlib import RecordMessage

from tap_txtimpact.output import BufferedStdoutWriter

if t.TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.helpers.types import Context

    _StreamBase = Stream
else:
    _StreamBase = object


class FastRecordPathMixin(_StreamBase):
    """Skips SDK per-record steps that cannot change a record of this tap.

    The fast path applies when records go to stdout through the tap's own writer
    (not to BATCH files), no stream map or flattening is configured, no property is
    deselected and the stream is incremental. Otherwise every SDK step runs as usual.

    NOTE: this overrides two private ``singer_sdk.Stream`` methods,
    ``_generate_record_messages`` and ``_increment_stream_state``, as they are in
    singer-sdk 0.54. The pin in pyproject.toml keeps the SDK on that line, and
    the equivalence tests compare the output of both paths.
    """

    writer_encodes_structs: bool

    #: When the page that the current records came from was received; records of one
    #: page share it, which saves reading the clock for every record.
    extracted_at: dt.datetime | None = None

    @cached_property
    def fast_path_enabled(self) -> bool:
        """Return whether records can skip the SDK's per-record steps."""
        stream_maps = self.stream_maps
        return (
            self.writer_encodes_structs
            and self.get_batch_config(self.config) is None
            and self.replication_method == "INCREMENTAL"
            and len(stream_maps) == 1
            and type(stream_maps[0]) is SameRecordTransform
            and not stream_maps[0].flattening_enabled
            and all(self.mask.values())
        )

    def _generate_record_messages(self, record: dict[str, t.Any]) -> t.Generator[RecordMessage, None, None]:
        """Yield the RECORD message, skipping selection, conformance and maps when unneeded."""
        if not self.fast_path_enabled:
            yield from super()._generate_record_messages(record)
            return

        yield RecordMessage(
            stream=self.name,
            record=record,
            time_extracted=self.extracted_at or dt.datetime.now(dt.timezone.utc),
        )

    def _increment_stream_state(
        self,
        latest_record: dict[str, t.Any],
        *,
        context: Context | None = None,
    ) -> None:
        """Leave the bookmark to the end of the partition when on the fast path.

        The bookmark is then written once from the scan, which saw every row.
        """
        if not self.fast_path_enabled:
            super()._increment_stream_state(latest_record, context=context)


def writer_encodes_structs(writer: object) -> bool:
    """Return whether a message writer encodes msgspec structs such as ``PromptAnswer``."""
    return isinstance(writer, BufferedStdoutWriter)
