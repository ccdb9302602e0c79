"""Benchmark tap-txtimpact against a raw extraction loop, and check its request budget.

Run it with the project's venv Python, from anywhere:

    .venv/bin/python benchmarks/run.py --sessions 50000 --repeats 3 [--msdk] [--budget]
    .venv/bin/python benchmarks/run.py --all --msdk --write BENCHMARKS.md

Without a section option it runs the throughput and memory sections. Each section
starts its own `tap-txtimpact-sandbox` on 127.0.0.1 as a child process, so the
server's CPU is never counted in the measured process. See BENCHMARKS.md for what
each section measures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import report
from harness import (
    BENCHMARKS_DIR,
    DEVNULL,
    MODES,
    PIPE,
    BenchmarkError,
    Measurement,
    ServerProcess,
    bin_path,
    child_environment,
    page_cache_process,
    records_in_log,
    run_measured,
    sandbox_process,
    tail,
)

REPOSITORY = BENCHMARKS_DIR.parent
RAW_LOOP_SCRIPT = BENCHMARKS_DIR / "raw_loop.py"
PROFILE_SCRIPT = BENCHMARKS_DIR / "profile_tap.py"
MSDK_VENV = BENCHMARKS_DIR / ".venv-msdk"
# The version measured when BENCHMARKS.md was written; pinned so reruns compare alike.
MSDK_REQUIREMENTS = ("tap-rest-api-msdk==1.4.2", "setuptools<81")

SANDBOX_API_KEY = "sandbox-key"
LARGE_CAMPAIGN = 501
SMALL_CAMPAIGN = 502
BUDGET_FIRST_CAMPAIGN = 601
# The API document allows 3 requests per second per account.
API_REQUESTS_PER_SECOND = 3
# Tap budget for throughput runs: 1 ms between requests, far less than one page takes, so the throttle adds no wait.
UNTHROTTLED_REQUESTS_PER_SECOND = 1000
# Pause between budget runs, so the sandbox's token bucket (3 tokens at 3/s) is full again.
BUDGET_REFILL_SECONDS = 2.0
PROFILE_TOP_FUNCTIONS = 25


@dataclass
class Context:
    """Work folder, run timeout and child environment, shared by every step of one invocation."""

    workdir: Path
    timeout: float
    env: dict[str, str]


@dataclass
class Variant:
    """One extractor command whose runs are measured and compared."""

    scenario: str
    extractor: str
    argv: list[str]
    stream: str | None
    expected_records: int
    modes: tuple[str, ...]


def build_parser() -> argparse.ArgumentParser:
    """Build the command line parser."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sections = parser.add_argument_group("sections (default: --throughput --memory)")
    sections.add_argument("--throughput", action="store_true", help="Detail and Participation Report extraction")
    sections.add_argument("--memory", action="store_true", help="peak RSS at --small-sessions and --sessions")
    sections.add_argument("--budget", action="store_true", help="full default sync under the 3 requests/s limit")
    sections.add_argument("--profile", action="store_true", help="cProfile one tap Detail Report run")
    sections.add_argument("--all", action="store_true", help="all four sections")

    parser.add_argument(
        "--sessions", type=int, default=50_000, help="sessions in the measured campaign (default: %(default)s)"
    )
    parser.add_argument(
        "--small-sessions",
        type=int,
        default=5_000,
        help="sessions in the memory section's small campaign (default: %(default)s)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="measured runs of each extractor and mode (default: %(default)s)"
    )
    parser.add_argument(
        "--page-size", type=int, default=1000, help="pageSize of the throughput runs (default: %(default)s)"
    )
    parser.add_argument(
        "--modes",
        default=",".join(MODES),
        help="stdout modes, comma-separated: devnull, pipe (default: %(default)s)",
    )
    parser.add_argument(
        "--msdk",
        action="store_true",
        help=f"also run tap-rest-api-msdk, installed with uv into {MSDK_VENV.relative_to(REPOSITORY)} when missing",
    )
    parser.add_argument(
        "--budget-campaigns", type=int, default=3, help="campaigns of the budget sync (default: %(default)s)"
    )
    parser.add_argument(
        "--budget-sessions",
        type=int,
        default=3000,
        help="sessions per campaign of the budget sync (default: %(default)s)",
    )
    parser.add_argument(
        "--budget-page-size", type=int, default=500, help="page_size of the budget sync (default: %(default)s)"
    )
    parser.add_argument("--budget-repeats", type=int, default=1, help="budget syncs to run (default: %(default)s)")
    parser.add_argument(
        "--direct",
        action="store_true",
        help="send throughput, memory and profile requests straight to the sandbox instead of through "
        "page_cache.py, so wall time includes the sandbox building each page",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds before a run is killed (default: %(default)s)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="folder for configs, catalogs and logs (default: a new temporary folder)"
    )
    parser.add_argument("--json", type=Path, help="also write every run's measurements to this JSON file")
    parser.add_argument(
        "--write",
        type=Path,
        metavar="MARKDOWN",
        help="replace the generated sections of this file, such as BENCHMARKS.md",
    )
    return parser


def log(message: str) -> None:
    """Print a progress line to stderr."""
    print(message, file=sys.stderr, flush=True)


def write_json(path: Path, data: object) -> Path:
    """Write `data` as JSON and return the path."""
    path.write_text(json.dumps(data, indent=2))
    return path


def tap_config(
    server: ServerProcess, campaign_ids: Sequence[int], page_size: int, **settings: object
) -> dict[str, Any]:
    """Return tap settings that point at `server`."""
    return {
        "api_key": SANDBOX_API_KEY,
        "campaign_ids": list(campaign_ids),
        "api_url": server.url,
        "page_size": page_size,
        **settings,
    }


def discover(config_path: Path, context: Context) -> dict[str, Any]:
    """Run `tap-txtimpact --discover` and return the catalog."""
    log_path = context.workdir / f"discover-{config_path.stem}.log"
    with log_path.open("wb") as stderr:
        try:
            result = subprocess.run(
                [str(bin_path("tap-txtimpact")), "--config", str(config_path), "--discover"],
                stdout=subprocess.PIPE,
                stderr=stderr,
                stdin=subprocess.DEVNULL,
                timeout=context.timeout,
                env=context.env,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BenchmarkError(f"discovery timed out after {context.timeout:g} s; see {log_path}") from None
    if result.returncode != 0:
        raise BenchmarkError(f"discovery failed with exit code {result.returncode}:\n{tail(log_path)}")
    return json.loads(result.stdout)


def select_only(catalog: dict[str, Any], stream: str) -> dict[str, Any]:
    """Return a copy of `catalog` in which only `stream` is selected."""
    selected = json.loads(json.dumps(catalog))
    found = False
    for entry in selected["streams"]:
        for item in entry["metadata"]:
            if item["breadcrumb"] == []:
                item["metadata"]["selected"] = entry["tap_stream_id"] == stream
        found = found or entry["tap_stream_id"] == stream
    if not found:
        raise BenchmarkError(f"stream {stream!r} is not in the discovered catalog")
    return selected


def measure(variant: Variant, mode: str, repeat: int, server: ServerProcess, context: Context) -> Measurement:
    """Run one variant once, check its exit code and record count, and return the measurement."""
    stderr_path = context.workdir / f"{variant.scenario}-{variant.extractor}-{mode}-{repeat}.log"
    before = server.stats()
    run = run_measured(variant.argv, mode=mode, stderr_path=stderr_path, timeout=context.timeout, env=context.env)
    after = server.stats()
    if run.exit_code != 0:
        raise BenchmarkError(
            f"{variant.extractor} ({variant.scenario}, {mode}) exited with code {run.exit_code}:\n{tail(stderr_path)}"
        )

    logged = records_in_log(stderr_path, variant.stream)
    records = run.piped_records if run.piped_records is not None else logged
    if run.piped_records is not None and run.piped_records != logged:
        message = f"{variant.extractor} ({variant.scenario}) wrote {run.piped_records} RECORD lines but logged {logged}"
        raise BenchmarkError(message)
    if variant.expected_records >= 0 and records != variant.expected_records:
        message = (
            f"{variant.extractor} ({variant.scenario}, {mode}) wrote {records} records, expected "
            f"{variant.expected_records}; see {stderr_path}"
        )
        raise BenchmarkError(message)

    measurement = Measurement(
        scenario=variant.scenario,
        extractor=variant.extractor,
        mode=mode,
        repeat=repeat,
        wall_seconds=run.wall_seconds,
        user_seconds=run.user_seconds,
        system_seconds=run.system_seconds,
        max_rss_kib=run.max_rss_kib,
        records=records,
        requests=after["total"] - before["total"],
        rate_limited=after["rate_limited"] - before["rate_limited"],
    )
    log(
        f"  {variant.scenario:<13} {variant.extractor:<4} {mode:<7} #{repeat}: "
        f"{measurement.wall_seconds:6.2f} s wall, {measurement.cpu_seconds:6.2f} s CPU, "
        f"{measurement.records:>7,} records, {measurement.max_rss_kib / 1024:5.1f} MiB, "
        f"{measurement.requests} requests"
    )
    return measurement


def ensure_msdk() -> Path:
    """Return the tap-rest-api-msdk executable, installing it into its own venv first if needed."""
    executable = MSDK_VENV / "bin" / "tap-rest-api-msdk"
    if executable.exists():
        return executable
    log(f"Installing {' '.join(MSDK_REQUIREMENTS)} into {MSDK_VENV}")
    # NOTE: singer-sdk 0.40, which tap-rest-api-msdk 1.4.2 pulls in, imports `fs`, which
    # needs pkg_resources; setuptools 84.2.1 no longer has it, hence the cap.
    subprocess.run(["uv", "venv", "--python", sys.executable, str(MSDK_VENV)], check=True)
    subprocess.run(
        ["uv", "pip", "install", "--python", str(MSDK_VENV / "bin" / "python"), *MSDK_REQUIREMENTS], check=True
    )
    return executable


def msdk_config(server: ServerProcess, campaign_id: int, page_size: int) -> dict[str, Any]:
    """Return a tap-rest-api-msdk config for one campaign's Detail Report.

    The API reports a total but no "has more" flag, so paging goes on while the row at
    index page_size - 1 exists: a full page. That costs one empty last request when the
    total is a multiple of the page size. Schema inference makes one more request.
    """
    return {
        "api_url": server.url,
        "headers": {"apikey": SANDBOX_API_KEY},
        "params": {"pageSize": page_size},
        "pagination_request_style": "page_number_paginator",
        "pagination_response_style": "page",
        "pagination_initial_offset": 1,
        "next_page_token_path": f"$.Items[{page_size - 1}]",
        "streams": [
            {
                "name": f"detail_{campaign_id}",
                "path": f"/workflow/{campaign_id}/DetailReport",
                "records_path": "$.Items[*]",
                "primary_keys": ["SessionId"],
            }
        ],
    }


def throughput_variants(
    args: argparse.Namespace,
    server: ServerProcess,
    context: Context,
    modes: tuple[str, ...],
) -> list[Variant]:
    """Write configs and catalogs, and return the raw, tap and optional msdk commands."""
    tap = str(bin_path("tap-txtimpact"))
    workdir = context.workdir
    config = write_json(
        workdir / "tap-large.json",
        tap_config(server, [LARGE_CAMPAIGN], args.page_size, requests_per_second=UNTHROTTLED_REQUESTS_PER_SECOND),
    )
    catalog = discover(config, context)
    detail_stream = f"detail_{LARGE_CAMPAIGN}"
    detail_catalog = write_json(workdir / "catalog-detail.json", select_only(catalog, detail_stream))
    participation_catalog = write_json(workdir / "catalog-participation.json", select_only(catalog, "participation"))

    def raw_argv(report_name: str) -> list[str]:
        return [
            sys.executable,
            str(RAW_LOOP_SCRIPT),
            "--api-url",
            server.url,
            "--campaign-id",
            str(LARGE_CAMPAIGN),
            "--report",
            report_name,
            "--page-size",
            str(args.page_size),
        ]

    variants = [
        Variant("detail", "raw", raw_argv("detail"), None, args.sessions, modes),
        Variant(
            "detail",
            "tap",
            [tap, "--config", str(config), "--catalog", str(detail_catalog)],
            detail_stream,
            args.sessions,
            modes,
        ),
        Variant("participation", "raw", raw_argv("participation"), None, args.sessions, modes),
        Variant(
            "participation",
            "tap",
            [tap, "--config", str(config), "--catalog", str(participation_catalog)],
            "participation",
            args.sessions,
            modes,
        ),
    ]
    if args.msdk:
        msdk = ensure_msdk()
        msdk_path = write_json(workdir / "msdk.json", msdk_config(server, LARGE_CAMPAIGN, args.page_size))
        variants.append(
            Variant("detail", "msdk", [str(msdk), "--config", str(msdk_path)], detail_stream, args.sessions, modes)
        )
    return variants


def memory_variants(args: argparse.Namespace, server: ServerProcess, context: Context) -> list[Variant]:
    """Return tap Detail Report runs of the small and the large campaign, and an imports-only run."""
    tap = str(bin_path("tap-txtimpact"))
    variants = []
    for scenario, campaign, sessions in (
        ("memory_small", SMALL_CAMPAIGN, args.small_sessions),
        ("memory_large", LARGE_CAMPAIGN, args.sessions),
    ):
        settings = {"requests_per_second": UNTHROTTLED_REQUESTS_PER_SECOND}
        config_path = context.workdir / f"tap-{campaign}.json"
        config = write_json(config_path, tap_config(server, [campaign], args.page_size, **settings))
        stream = f"detail_{campaign}"
        catalog_path = context.workdir / f"catalog-{stream}.json"
        catalog = write_json(catalog_path, select_only(discover(config, context), stream))
        argv = [tap, "--config", str(config), "--catalog", str(catalog)]
        variants.append(Variant(scenario, "tap", argv, stream, sessions, (DEVNULL,)))
    return variants


def startup_variants(args: argparse.Namespace) -> list[Variant]:
    """Return runs that only start each extractor: imports and argument parsing, no request."""
    variants = [
        Variant("startup", "raw", [sys.executable, str(RAW_LOOP_SCRIPT), "--help"], None, 0, (DEVNULL,)),
        Variant("startup", "tap", [str(bin_path("tap-txtimpact")), "--about"], None, 0, (DEVNULL,)),
    ]
    if args.msdk and "throughput" in args.chosen:
        variants.append(Variant("startup", "msdk", [str(ensure_msdk()), "--about"], None, 0, (DEVNULL,)))
    return variants


def run_interleaved(
    variants: Sequence[Variant],
    repeats: int,
    server: ServerProcess,
    context: Context,
) -> list[Measurement]:
    """Run every variant once unmeasured, then `repeats` rounds, rotating the order each round."""
    log("Warm-up (not measured):")
    for variant in variants:
        measure(variant, variant.modes[0], 0, server, context)

    measurements = []
    for repeat in range(1, repeats + 1):
        log(f"Round {repeat} of {repeats}:")
        shift = (repeat - 1) % len(variants)
        order = [*variants[shift:], *variants[:shift]]
        for mode in MODES:
            for variant in order:
                if mode in variant.modes:
                    measurements.append(measure(variant, mode, repeat, server, context))
    return measurements


def run_budget(args: argparse.Namespace, context: Context) -> list[Measurement]:
    """Run full default syncs against a sandbox limited to 3 requests per second."""
    campaigns = [BUDGET_FIRST_CAMPAIGN + index for index in range(args.budget_campaigns)]
    layout = dict.fromkeys(campaigns, args.budget_sessions)
    log(f"Budget: sandbox with {layout}, limit {API_REQUESTS_PER_SECOND} requests/s")
    measurements = []
    log_path = context.workdir / "sandbox-budget.log"
    with sandbox_process(layout, API_REQUESTS_PER_SECOND, log_path, context.env) as sandbox:
        config_path = context.workdir / "tap-budget.json"
        config = write_json(config_path, tap_config(sandbox, campaigns, args.budget_page_size))
        variant = Variant("budget", "tap", [str(bin_path("tap-txtimpact")), "--config", str(config)], None, -1, (PIPE,))
        for repeat in range(1, args.budget_repeats + 1):
            time.sleep(BUDGET_REFILL_SECONDS)
            measurements.append(measure(variant, PIPE, repeat, sandbox, context))
    return measurements


def run_profile(args: argparse.Namespace, server: ServerProcess, context: Context) -> list[str]:
    """Run the tap's Detail Report extraction once under cProfile and format the top functions."""
    workdir = context.workdir
    settings = {"requests_per_second": UNTHROTTLED_REQUESTS_PER_SECOND}
    config = write_json(workdir / "tap-profile.json", tap_config(server, [LARGE_CAMPAIGN], args.page_size, **settings))
    stream = f"detail_{LARGE_CAMPAIGN}"
    catalog = write_json(workdir / "catalog-profile.json", select_only(discover(config, context), stream))
    profile_path = workdir / "tap-detail.prof"
    argv = [sys.executable, str(PROFILE_SCRIPT), str(profile_path), "--config", str(config), "--catalog", str(catalog)]
    log("Profile: tap Detail Report run under cProfile, stdout to /dev/null, after one unprofiled run")
    stderr_path = workdir / "profile.log"
    # The unprofiled run fills the page cache, if one is in use, and the bytecode cache.
    tap_argv = [str(bin_path("tap-txtimpact")), "--config", str(config), "--catalog", str(catalog)]
    warm_up = run_measured(tap_argv, mode=DEVNULL, stderr_path=stderr_path, timeout=args.timeout, env=context.env)
    if warm_up.exit_code != 0:
        raise BenchmarkError(f"the tap failed with exit code {warm_up.exit_code}:\n{tail(stderr_path)}")
    run = run_measured(argv, mode=DEVNULL, stderr_path=stderr_path, timeout=args.timeout, env=context.env)
    if run.exit_code != 0 or not profile_path.exists():
        raise BenchmarkError(f"the profiled run failed with exit code {run.exit_code}:\n{tail(stderr_path)}")
    intro = [
        f"One `tap-txtimpact` Detail Report run under cProfile (`benchmarks/profile_tap.py`), "
        f"{args.sessions:,} sessions, pageSize {args.page_size}, stdout to /dev/null, "
        + ("through the page cache" if not args.direct else "straight from the sandbox")
        + f": {run.wall_seconds:.2f} s wall, {run.user_seconds + run.system_seconds:.2f} s CPU with the "
        "profiler's overhead. Times are wall-clock seconds, so `recv_into` includes waiting for the server. "
        "For the full profile, open tap-detail.prof in the work folder with `python -m pstats`.",
        "",
    ]
    return intro + report.profile_lines(profile_path, REPOSITORY, PROFILE_TOP_FUNCTIONS)


def heading(started: dt.datetime, runs: str) -> str:
    """Return the line that says when and how a generated section was measured, and how many runs it shows."""
    command = shlex.join(["benchmarks/run.py", *sys.argv[1:]])
    return f"Measured {started:%Y-%m-%d %H:%M} UTC with `{command}`; {runs}."


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen sections, print their tables and optionally update a Markdown file."""
    args = build_parser().parse_args(argv)
    modes = tuple(mode.strip() for mode in args.modes.split(",") if mode.strip())
    unknown_modes = [mode for mode in modes if mode not in MODES]
    if unknown_modes or not modes:
        build_parser().error(f"--modes takes devnull and/or pipe, got {args.modes!r}")
    if args.repeats < 1 or args.budget_repeats < 1:
        build_parser().error("--repeats and --budget-repeats must be at least 1")

    chosen = {name for name in ("throughput", "memory", "budget", "profile") if getattr(args, name) or args.all}
    if not chosen:
        chosen = {"throughput", "memory"}
    args.chosen = chosen

    started = dt.datetime.now(dt.timezone.utc)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tap-txtimpact-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"Work folder (configs, catalogs, logs): {workdir}")
    context = Context(workdir, args.timeout, child_environment(workdir / "pycache"))

    measurements: list[Measurement] = []
    sections: dict[str, list[str]] = {"machine": report.machine_lines(REPOSITORY)}
    note = heading(started, f"medians of {args.repeats} runs each")

    if chosen & {"throughput", "memory", "profile"}:
        layout = {LARGE_CAMPAIGN: args.sessions}
        if "memory" in chosen:
            layout[SMALL_CAMPAIGN] = args.small_sessions
        log(f"Sandbox with {layout}, no rate limit" + (", behind the page cache" if not args.direct else ""))
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(sandbox_process(layout, 0, workdir / "sandbox-throughput.log", context.env))
            if not args.direct:
                server = stack.enter_context(page_cache_process(server, workdir / "page-cache.log", context.env))
            variants: list[Variant] = []
            if "throughput" in chosen:
                variants += throughput_variants(args, server, context, modes)
            if "memory" in chosen:
                variants += memory_variants(args, server, context)
            if variants:
                variants += startup_variants(args)
                measurements += run_interleaved(variants, args.repeats, server, context)
            if "profile" in chosen:
                profile_note = heading(started, "one profiled run")
                sections["profile"] = [profile_note, "", *run_profile(args, server, context)]

    if "throughput" in chosen:
        scenarios = ("detail", "participation")
        intro = [
            f"{args.sessions:,} sessions in one campaign, pageSize {args.page_size}, sandbox without a rate limit"
            + (", requests straight to the sandbox" if args.direct else ", pages replayed by the page cache")
            + f", tap requests_per_second {UNTHROTTLED_REQUESTS_PER_SECOND}, one stream selected.",
            "",
        ]
        sections["throughput"] = [
            note,
            "",
            *intro,
            *report.throughput_lines(measurements, scenarios, modes),
            *report.throughput_target_lines(measurements, modes),
        ]
    if "memory" in chosen:
        sections["memory"] = [note, "", *report.memory_lines(measurements, args.small_sessions, args.sessions)]
    if "budget" in chosen:
        measurements += run_budget(args, context)
        layout_text = f"{args.budget_campaigns} x {args.budget_sessions:,}"
        budget_note = heading(started, f"{args.budget_repeats} run(s), each shown")
        sections["budget"] = [budget_note, "", *report.budget_lines(measurements, layout_text, args.budget_page_size)]

    for name, lines in sections.items():
        print(f"\n## {name}\n")
        print("\n".join(lines))

    if args.json:
        write_json(args.json, [m.to_dict() for m in measurements])
    if args.write:
        report.replace_sections(args.write, sections)
        log(f"Updated the generated sections {', '.join(sections)} of {args.write}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        sys.exit(1)
