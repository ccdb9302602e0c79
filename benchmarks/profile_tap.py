"""Run `tap-txtimpact` in this process under cProfile and save the profile.

cProfile's default clock is the wall clock, which is cheap to read, so the profile
keeps the proportions of an unprofiled run. Time spent waiting for the server shows
up in `recv_into`. run.py sends the profiled run through its page cache unless
--direct is given, which keeps that wait small.

Usage: profile_tap.py OUTPUT.prof [tap-txtimpact arguments...]
"""

from __future__ import annotations

import cProfile
import sys


def main() -> None:
    """Profile one tap invocation, imports included, and write the stats to the given file."""
    if len(sys.argv) < 2:
        sys.exit("usage: profile_tap.py OUTPUT.prof [tap-txtimpact arguments...]")
    output_path, tap_arguments = sys.argv[1], sys.argv[2:]

    profiler = cProfile.Profile()
    profiler.enable()
    exit_code: int | str | None = 0
    try:
        from tap_txtimpact.tap import TapTXTImpact

        TapTXTImpact.cli(tap_arguments, prog_name="tap-txtimpact")
    except SystemExit as exit_request:
        exit_code = exit_request.code
    finally:
        profiler.disable()
        profiler.dump_stats(output_path)
    sys.exit(exit_code)


if __name__ == "__main__":
    main()
