"""Pipe consumer for the benchmarks: read Singer messages from stdin and print how many are RECORDs.

It reads line by line, as a Singer target does, so the extractor on the other end of
the pipe pays the same write and wake-up costs as in a real `tap | target` run.
"""

from __future__ import annotations

import sys

# Compact JSON as the Meltano Singer SDK writes it, and json.dumps' default spacing.
RECORD_PREFIXES = (b'{"type":"RECORD"', b'{"type": "RECORD"')


def main() -> None:
    """Count the RECORD lines on stdin and print the count."""
    count = 0
    for line in sys.stdin.buffer:
        if line.startswith(RECORD_PREFIXES):
            count += 1
    print(count)


if __name__ == "__main__":
    main()
