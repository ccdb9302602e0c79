"""Singer message output: msgspec encoding, stdout written in blocks and flushed at state boundaries."""

from __future__ import annotations

import datetime as dt
import sys
import typing as t

import msgspec
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.messages import Message, RecordMessage


def _encode_unknown(value: t.Any) -> t.Any:  # noqa: ANN401
    """Encode values msgspec has no native form for (``Decimal`` and the like) as text."""
    return str(value)


#: Bytes of RECORD lines collected before they are handed to stdout. Fewer, larger
#: writes cost fewer system calls and context switches when stdout is a pipe.
PENDING_BYTES_LIMIT = 1 << 16


class BufferedStdoutWriter(GenericSingerWriter[bytes, Message]):
    """Writes Singer messages to stdout as JSON lines, encoded with msgspec.

    The SDK's writers flush stdout after every message, which costs a system call per
    record when stdout is a pipe. Here RECORD lines collect in a buffer of up to
    ``PENDING_BYTES_LIMIT`` bytes, and every other message (SCHEMA, STATE,
    ACTIVATE_VERSION) writes that buffer out first and then flushes stdout, so a target
    always receives a STATE after the records it covers. Records collected after the
    last STATE of a failed run are not written, which is safe: a run resumed from that
    STATE requests them again.
    """

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(enc_hook=_encode_unknown, decimal_format="number")
        self._pending = bytearray()

    def serialize_message(self, message: Message) -> bytes:
        """Encode one message as a JSON line."""
        payload = message.to_dict() if not isinstance(message, RecordMessage) else _record_payload(message)
        return self._encoder.encode(payload) + b"\n"

    def write_message(self, message: Message) -> None:
        """Write one message; flush stdout unless it is a RECORD."""
        if isinstance(message, RecordMessage):
            self._encoder.encode_into(_record_payload(message), self._pending, -1)
            self._end_record_line()
            return

        line = self.serialize_message(message)
        self.flush(line)

    def write_record(self, stream: str, record: dict[str, t.Any], time_extracted: dt.datetime) -> None:
        """Write one RECORD line straight from its parts, without a ``RecordMessage``.

        The line is the same one ``write_message`` writes for that message.
        """
        self._encoder.encode_into(
            {"type": "RECORD", "stream": stream, "record": record, "time_extracted": time_extracted},
            self._pending,
            -1,
        )
        self._end_record_line()

    def _end_record_line(self) -> None:
        """Close the pending RECORD line, and hand the buffer to stdout once it is large."""
        self._pending += b"\n"
        if len(self._pending) >= PENDING_BYTES_LIMIT:
            _write_bytes(bytes(self._pending))
            self._pending.clear()

    def flush(self, line: bytes = b"") -> None:
        """Write the pending records, then ``line``, and flush stdout."""
        data = bytes(self._pending) + line
        self._pending.clear()
        if data:
            _write_bytes(data)
        sys.stdout.flush()


def _write_bytes(data: bytes) -> None:
    """Write bytes to stdout, or their text to a stream without a byte buffer."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is None:
        # A text stream such as io.StringIO in tests.
        sys.stdout.write(data.decode("utf-8"))
        return

    binary.write(data)


def _record_payload(message: RecordMessage) -> dict[str, t.Any]:
    """Return a RECORD message as the dict the Singer spec describes."""
    payload: dict[str, t.Any] = {"type": "RECORD", "stream": message.stream, "record": message.record}
    if message.version is not None:
        payload["version"] = message.version
    if message.time_extracted is not None:
        payload["time_extracted"] = message.time_extracted
    return payload
