"""Singer message output: msgspec encoding, stdout flushed at state boundaries."""

from __future__ import annotations

import sys
import typing as t

import msgspec
from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.messages import Message, RecordMessage


def _encode_unknown(value: t.Any) -> t.Any:  # noqa: ANN401
    """Encode values msgspec has no native form for (``Decimal`` and the like) as text."""
    return str(value)


class BufferedStdoutWriter(GenericSingerWriter[bytes, Message]):
    """Writes Singer messages to stdout as JSON lines, encoded with msgspec.

    The SDK's writers flush stdout after every message, which costs a system call per
    record when stdout is a pipe. Here RECORD messages stay in the stream's buffer and
    every other message (SCHEMA, STATE, ACTIVATE_VERSION) flushes it, so a target
    always receives a STATE after the records it covers.
    """

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(enc_hook=_encode_unknown, decimal_format="number")

    def serialize_message(self, message: Message) -> bytes:
        """Encode one message as a JSON line."""
        payload = message.to_dict() if not isinstance(message, RecordMessage) else _record_payload(message)
        return self._encoder.encode(payload) + b"\n"

    def write_message(self, message: Message) -> None:
        """Write one message; flush unless it is a RECORD."""
        line = self.serialize_message(message)
        stdout = sys.stdout
        binary = getattr(stdout, "buffer", None)
        if binary is None:
            # A text stream without a byte buffer, such as io.StringIO in tests.
            stdout.write(line.decode("utf-8"))
            return

        if isinstance(message, RecordMessage):
            binary.write(line)
            return

        stdout.flush()
        binary.write(line)
        binary.flush()


def _record_payload(message: RecordMessage) -> dict[str, t.Any]:
    """Return a RECORD message as the dict the Singer spec describes."""
    payload: dict[str, t.Any] = {"type": "RECORD", "stream": message.stream, "record": message.record}
    if message.version is not None:
        payload["version"] = message.version
    if message.time_extracted is not None:
        payload["time_extracted"] = message.time_extracted
    return payload
