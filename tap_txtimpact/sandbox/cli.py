"""Command line entry point `tap-txtimpact-sandbox`: serve the sandbox until interrupted."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence
from types import FrameType

from tap_txtimpact.sandbox.data import DEFAULT_ARRIVALS_PER_HOUR, DEFAULT_CLOCK_START
from tap_txtimpact.sandbox.sandbox import (
    DEFAULT_API_KEY,
    DEFAULT_MAX_RANGE_DAYS,
    DEFAULT_REQUESTS_PER_SECOND,
    DEFAULT_TICK_ADVANCE,
    Sandbox,
)

logger = logging.getLogger("tap_txtimpact.sandbox")


CONTROL_HELP = """\
control endpoints (no API key, not rate limited, not counted):
  POST /_sandbox/advance?seconds=N      move the clock: sessions arrive, open ones get answers
  GET  /_sandbox/clock                  the sandbox's current time
  GET  /_sandbox/sessions/{campaignId}  every session with its answers
  GET  /_sandbox/prompts/{campaignId}   the workflow's prompts
  POST /_sandbox/prompts/{campaignId}   append a prompt, body {"text": "..."}
  GET  /_sandbox/faults                 the injected faults
  POST /_sandbox/faults                 replace them, body such as {"server_error_every": 5}
  GET  /_sandbox/stats                  request counts by endpoint, campaign and status
"""


def _is_ascii_integer(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_sessions(text: str) -> dict[int, int]:
    """Parse `101=40,102=0` into {101: 40, 102: 0}.

    Raises:
        argparse.ArgumentTypeError: An item is not `CAMPAIGN_ID=COUNT` with integers.
    """
    layout: dict[int, int] = {}
    for item in text.split(","):
        campaign, separator, count = item.strip().partition("=")
        if not separator or not _is_ascii_integer(campaign) or not _is_ascii_integer(count):
            raise argparse.ArgumentTypeError(
                f"invalid session layout item {item!r}: expected CAMPAIGN_ID=COUNT, such as 101=40"
            )
        layout[int(campaign)] = int(count)
    return layout


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the sandbox command."""
    parser = argparse.ArgumentParser(
        prog="tap-txtimpact-sandbox",
        description="Serve a seeded local fake of the TXTImpact Workflow Report API.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=CONTROL_HELP,
    )

    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    server.add_argument(
        "--port",
        type=int,
        default=8080,
        help="port to listen on, or 0 for a free port (default: %(default)s)",
    )
    server.add_argument(
        "--log-level",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        default="INFO",
        help="logging level (default: %(default)s)",
    )

    data = parser.add_argument_group("data")
    data.add_argument("--seed", type=int, default=7, help="seed for all generated data (default: %(default)s)")
    data.add_argument(
        "--sessions",
        type=parse_sessions,
        default=None,
        metavar="ID=COUNT,...",
        help="campaign ids and initial session counts, such as 101=40,102=0,103=5000 "
        "(default: 101=60,102=300,103=5000,104=0)",
    )
    data.add_argument(
        "--arrivals-per-hour",
        type=float,
        default=DEFAULT_ARRIVALS_PER_HOUR,
        help="mean new sessions per non-empty campaign per simulated hour (default: %(default)s)",
    )

    api = parser.add_argument_group("API limits")
    api.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"accepted apikey header value, repeatable for several keys (default: {DEFAULT_API_KEY})",
    )
    api.add_argument(
        "--requests-per-second",
        type=float,
        default=DEFAULT_REQUESTS_PER_SECOND,
        help="rate limit per API key, or 0 for none (default: %(default)s)",
    )
    api.add_argument(
        "--max-range-days",
        type=float,
        default=DEFAULT_MAX_RANGE_DAYS,
        help="maximum date range of a request in days, or 0 for none (default: %(default)s)",
    )

    clock = parser.add_argument_group("clock")
    clock.add_argument(
        "--clock-start",
        default=DEFAULT_CLOCK_START,
        help="initial sandbox time, UTC ISO-8601 (default: %(default)s)",
    )
    clock.add_argument(
        "--tick",
        type=float,
        default=0,
        metavar="SECONDS",
        help="advance the clock every SECONDS of real time, or 0 for never (default: %(default)s)",
    )
    clock.add_argument(
        "--tick-advance",
        type=float,
        default=DEFAULT_TICK_ADVANCE,
        metavar="SECONDS",
        help="simulated seconds added by each tick (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Start the sandbox, print its base URL and serve until SIGINT or SIGTERM."""
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        sandbox = Sandbox(
            seed=arguments.seed,
            campaigns=arguments.sessions,
            clock_start=arguments.clock_start,
            arrivals_per_hour=arguments.arrivals_per_hour,
            api_keys=arguments.api_keys or (DEFAULT_API_KEY,),
            requests_per_second=arguments.requests_per_second,
            max_range_days=arguments.max_range_days,
            host=arguments.host,
            port=arguments.port,
            tick_seconds=arguments.tick,
            tick_advance=arguments.tick_advance,
        )
    except ValueError as error:
        build_parser().error(str(error))

    stop_requested = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        logger.info("Received %s, stopping", signal.Signals(signal_number).name)
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        sandbox.start()
    except OSError as error:
        message = f"tap-txtimpact-sandbox: failed to listen on {arguments.host}:{arguments.port}: {error}\n"
        build_parser().exit(1, message)

    print(sandbox.url, flush=True)
    try:
        stop_requested.wait()
    finally:
        sandbox.stop()
