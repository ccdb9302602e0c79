"""A shorter per-record path for the streams that carry nearly all records.

For every record the SDK walks the selection mask through all properties and nested
objects, conforms types, applies stream maps and updates the bookmark. The tap builds
records that already match their schema, and it tracks the bookmark from each page
(``TXTImpactStream.scan_bookmark``), so when nothing would change the record those
steps are skipped. In a cProfile run over 50,000 Detail Report sessions, the selection
walk and the per-record bookmark updates took about a fifth of the tap's time before
this path existed.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from functools import cached_property

from singer_sdk.mapper import SameRecordTransform

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
    ``_write_record_message`` and ``_increment_stream_state``, as they are in
    singer-sdk 0.54. The pin in pyproject.toml keeps the SDK on that line, and
    the equivalence tests compare the output of both paths.
    """

    #: The tap's writer when it is a ``BufferedStdoutWriter``, which also encodes the
    #: ``PromptAnswer`` structs of detail records; ``None`` for any other writer.
    record_writer: BufferedStdoutWriter | None = None

    #: When the page that the current records came from was received; records of one
    #: page share it, which saves reading the clock for every record.
    extracted_at: dt.datetime | None = None

    @cached_property
    def fast_path_enabled(self) -> bool:
        """Return whether records can skip the SDK's per-record steps."""
        stream_maps = self.stream_maps
        return (
            self.record_writer is not None
            and self.get_batch_config(self.config) is None
            and self.replication_method == "INCREMENTAL"
            and len(stream_maps) == 1
            and type(stream_maps[0]) is SameRecordTransform
            and not stream_maps[0].flattening_enabled
            and all(self.mask.values())
        )

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the RECORD line, skipping selection, conformance and maps when unneeded."""
        if not self.fast_path_enabled or self.record_writer is None:
            super()._write_record_message(record)
            return

        self.record_writer.write_record(
            self.name,
            record,
            self.extracted_at or dt.datetime.now(dt.timezone.utc),
        )
        # The SDK writes a STATE message only when this flag says state may have changed.
        self.state_manager.is_flushed = False

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


def fast_record_writer(writer: object) -> BufferedStdoutWriter | None:
    """Return the writer if it can write records on the fast path, else ``None``."""
    return writer if isinstance(writer, BufferedStdoutWriter) else None
