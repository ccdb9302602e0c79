"""Markdown tables of benchmark medians, the machine description, and BENCHMARKS.md updates.

Generated sections sit between `<!-- BEGIN GENERATED: NAME -->` and
`<!-- END GENERATED: NAME -->` lines, so a new run replaces its own sections and leaves
the hand-written text and the sections it did not run untouched.
"""

from __future__ import annotations

import os
import platform
import pstats
import re
import statistics
import subprocess
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path

from harness import Measurement

KIB_PER_MIB = 1024

# Targets the tables are read against; see BENCHMARKS.md for where they come from.
TARGET_CPU_RATIO_VS_RAW = 1.0
TARGET_SPEEDUP_VS_MSDK = 3.0
TARGET_PEAK_RSS_MIB = 64.0
TARGET_RSS_GROWTH = 1.1
TARGET_BUDGET_WALL_RATIO = 1.05


def _command_output(argv: Sequence[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine_lines(repository: Path) -> list[str]:
    """Describe the machine, Python, SDK and commit as Markdown list items."""
    model = ""
    for line in _command_output(["lscpu"]).splitlines():
        if line.startswith("Model name:"):
            model = line.partition(":")[2].strip()
            break
    memory = ""
    for line in _command_output(["free", "-h"]).splitlines():
        if line.startswith("Mem:"):
            memory = line.split()[1]
            break
    commit = _command_output(["git", "-C", str(repository), "rev-parse", "--short", "HEAD"])
    dirty = _command_output(["git", "-C", str(repository), "status", "--porcelain", "--", "tap_txtimpact"])
    return [
        f"- CPU: {_command_output(['nproc'])} cores (`nproc`), {model or 'unknown model'} (`lscpu`)",
        f"- Memory: {memory or 'unknown'} total (`free -h`)",
        f"- OS: {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, singer-sdk {metadata.version('singer-sdk')}, "
        f"requests {metadata.version('requests')}",
        "- Load average (1, 5, 15 min) when the run started: " + ", ".join(f"{load:.2f}" for load in os.getloadavg()),
        f"- tap-txtimpact at commit {commit or 'unknown'}"
        + (" with uncommitted changes in tap_txtimpact/" if dirty else ""),
    ]


def _median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def _select(measurements: Sequence[Measurement], **fields: object) -> list[Measurement]:
    return [m for m in measurements if all(getattr(m, name) == value for name, value in fields.items())]


def _format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


def _ratio(numerator: float, denominator: float) -> str:
    """Format a ratio, or n/a when either side is not positive, as when startup noise exceeds the work."""
    return f"{numerator / denominator:.2f}" if numerator > 0 and denominator > 0 else "n/a"


class Summary:
    """Medians of the repeats of one scenario, extractor and mode."""

    def __init__(self, runs: Sequence[Measurement]) -> None:
        self.runs = runs
        self.wall = _median(m.wall_seconds for m in runs)
        self.cpu = _median(m.cpu_seconds for m in runs)
        self.cpu_min = min(m.cpu_seconds for m in runs)
        self.cpu_max = max(m.cpu_seconds for m in runs)
        self.records = int(_median(m.records for m in runs))
        self.rate = _median(m.records_per_second for m in runs)
        self.cpu_rate = _median(m.records_per_cpu_second for m in runs)
        self.rss_mib = _median(m.max_rss_kib for m in runs) / KIB_PER_MIB
        self.requests = int(_median(m.requests for m in runs))
        self.rate_limited = max(m.rate_limited for m in runs)


def summarize(measurements: Sequence[Measurement], **fields: object) -> Summary | None:
    """Return the medians of the runs matching `fields`, or None when there are none."""
    runs = _select(measurements, **fields)
    return Summary(runs) if runs else None


EXTRACTOR_LABELS = {
    "raw": "raw loop (requests + json)",
    "tap": "tap-txtimpact",
    "msdk": "tap-rest-api-msdk",
}


def throughput_lines(measurements: Sequence[Measurement], scenarios: Sequence[str], modes: Sequence[str]) -> list[str]:
    """Build the medians table and the tap-to-baseline ratio table."""
    rows = []
    for scenario in scenarios:
        for mode in modes:
            for extractor in ("raw", "tap", "msdk"):
                summary = summarize(measurements, scenario=scenario, extractor=extractor, mode=mode)
                if summary is None:
                    continue
                rows.append(
                    [
                        scenario,
                        mode,
                        EXTRACTOR_LABELS[extractor],
                        f"{summary.wall:.2f}",
                        f"{summary.cpu:.2f} ({summary.cpu_min:.2f}-{summary.cpu_max:.2f})",
                        f"{summary.records:,}",
                        f"{summary.rate:,.0f}",
                        f"{summary.cpu_rate:,.0f}",
                        f"{summary.rss_mib:.1f}",
                        str(summary.requests),
                    ]
                )
    header = [
        "report",
        "stdout",
        "extractor",
        "wall s",
        "CPU s (min-max)",
        "records",
        "records/s",
        "records/CPU-s",
        "peak RSS MiB",
        "requests",
    ]
    for extractor in ("raw", "tap", "msdk"):
        summary = summarize(measurements, scenario="startup", extractor=extractor)
        if summary is not None:
            rows.append(
                [
                    "startup only",
                    "devnull",
                    EXTRACTOR_LABELS[extractor],
                    f"{summary.wall:.2f}",
                    f"{summary.cpu:.2f} ({summary.cpu_min:.2f}-{summary.cpu_max:.2f})",
                    "0",
                    "",
                    "",
                    f"{summary.rss_mib:.1f}",
                    "0",
                ]
            )
    lines = ["Medians:", "", *_format_table(header, rows), ""]

    ratio_rows = []
    for scenario in scenarios:
        for mode in modes:
            tap = summarize(measurements, scenario=scenario, extractor="tap", mode=mode)
            for baseline_name in ("raw", "msdk"):
                baseline = summarize(measurements, scenario=scenario, extractor=baseline_name, mode=mode)
                if tap is None or baseline is None:
                    continue
                ratio_rows.append(
                    [
                        scenario,
                        mode,
                        f"tap / {baseline_name}",
                        _ratio(tap.wall, baseline.wall),
                        _ratio(tap.cpu, baseline.cpu),
                        _ratio(*_cpu_above_startup(measurements, tap, baseline_name, baseline)),
                        _ratio(tap.rate, baseline.rate),
                        _ratio(tap.cpu_rate, baseline.cpu_rate),
                        _ratio(tap.rss_mib, baseline.rss_mib),
                        _ratio(tap.requests, baseline.requests),
                    ]
                )
    ratio_header = [
        "report",
        "stdout",
        "ratio",
        "wall",
        "CPU",
        "CPU above startup",
        "records/s",
        "records/CPU-s",
        "peak RSS",
        "requests",
    ]
    lines += [
        "Ratios of the medians, tap divided by the baseline. "
        "CPU above startup subtracts each extractor's startup-only CPU time:",
        "",
        *_format_table(ratio_header, ratio_rows),
    ]
    return lines


def _cpu_above_startup(
    measurements: Sequence[Measurement],
    tap: Summary,
    baseline_name: str,
    baseline: Summary,
) -> tuple[float, float]:
    """Return the tap's and the baseline's CPU time minus their startup-only CPU time."""
    tap_startup = summarize(measurements, scenario="startup", extractor="tap")
    baseline_startup = summarize(measurements, scenario="startup", extractor=baseline_name)
    if tap_startup is None or baseline_startup is None:
        return 0.0, 0.0
    return tap.cpu - tap_startup.cpu, baseline.cpu - baseline_startup.cpu


def memory_lines(measurements: Sequence[Measurement], small: int, large: int) -> list[str]:
    """Build the peak RSS table for the imports-only, small and large Detail Report runs."""
    floor = summarize(measurements, scenario="startup", extractor="tap")
    small_run = summarize(measurements, scenario="memory_small", extractor="tap")
    large_run = summarize(measurements, scenario="memory_large", extractor="tap")
    rows = []
    if floor is not None:
        rows.append(["`tap-txtimpact --about` (imports only)", "0", f"{floor.rss_mib:.1f}"])
    if small_run is not None:
        rows.append([f"detail, {small:,} sessions", f"{small_run.records:,}", f"{small_run.rss_mib:.1f}"])
    if large_run is not None:
        rows.append([f"detail, {large:,} sessions", f"{large_run.records:,}", f"{large_run.rss_mib:.1f}"])
    lines = _format_table(["tap run, stdout to /dev/null", "records", "peak RSS MiB (median)"], rows)

    targets: list[list[str]] = []
    peaks = [m.max_rss_kib / KIB_PER_MIB for m in _select(measurements, extractor="tap") if m.scenario != "startup"]
    if peaks:
        peak = max(peaks)
        targets.append(
            _target_row(
                f"peak RSS < {TARGET_PEAK_RSS_MIB:g} MiB",
                f"{peak:.1f} MiB (largest run)",
                met=peak < TARGET_PEAK_RSS_MIB,
            )
        )
    if small_run is not None and large_run is not None:
        growth = large_run.rss_mib / small_run.rss_mib
        targets.append(
            _target_row(
                f"peak RSS {large:,} / {small:,} sessions <= {TARGET_RSS_GROWTH:g}",
                f"{growth:.2f} ({large_run.rss_mib:.1f} / {small_run.rss_mib:.1f} MiB)",
                met=growth <= TARGET_RSS_GROWTH,
            )
        )
    return lines + _targets_table(targets)


def budget_lines(measurements: Sequence[Measurement], layout: str, page_size: int) -> list[str]:
    """Build the table of the rate-limited full sync and its targets."""
    runs = _select(measurements, scenario="budget")
    rows = []
    for run in runs:
        ideal = run.requests / 3
        rows.append(
            [
                str(run.repeat),
                str(run.requests),
                f"{run.wall_seconds:.2f}",
                f"{ideal:.2f}",
                _ratio(run.wall_seconds, ideal),
                str(run.rate_limited),
                f"{run.records:,}",
                f"{run.cpu_seconds:.2f}",
            ]
        )
    header = ["run", "requests", "wall s", "requests / 3", "wall / (requests / 3)", "429s", "records", "CPU s"]
    intro = [
        f"Sandbox sessions {layout}, sandbox limit 3 requests/s, tap defaults "
        f"(requests_per_second 3), page_size {page_size}, no catalog (discovery plus every stream), "
        "stdout to a pipe.",
        "",
    ]

    targets: list[list[str]] = []
    if runs:
        worst = max(run.wall_seconds / (run.requests / 3) for run in runs)
        limited = sum(run.rate_limited for run in runs)
        targets.append(
            _target_row(
                f"wall <= {TARGET_BUDGET_WALL_RATIO:g} x requests / 3",
                f"{worst:.3f} (worst of {len(runs)} runs)",
                met=worst <= TARGET_BUDGET_WALL_RATIO,
            )
        )
        targets.append(_target_row("no 429", f"{limited} 429s in {len(runs)} runs", met=limited == 0))
    return intro + _format_table(header, rows) + _targets_table(targets)


def throughput_target_lines(measurements: Sequence[Measurement], modes: Sequence[str]) -> list[str]:
    """Build the CPU-ratio and tap-rest-api-msdk targets of the throughput runs."""
    targets: list[list[str]] = []
    for scenario in ("detail", "participation"):
        for mode in modes:
            tap = summarize(measurements, scenario=scenario, extractor="tap", mode=mode)
            raw = summarize(measurements, scenario=scenario, extractor="raw", mode=mode)
            if tap and raw:
                ratio = tap.cpu / raw.cpu
                targets.append(
                    _target_row(
                        f"{scenario}, {mode}: CPU tap / raw <= {TARGET_CPU_RATIO_VS_RAW:g}",
                        f"{ratio:.2f} ({tap.cpu:.2f} s / {raw.cpu:.2f} s)",
                        met=ratio <= TARGET_CPU_RATIO_VS_RAW,
                    )
                )
    for mode in modes:
        tap = summarize(measurements, scenario="detail", extractor="tap", mode=mode)
        msdk = summarize(measurements, scenario="detail", extractor="msdk", mode=mode)
        if tap and msdk:
            wall_speedup = tap.rate / msdk.rate
            cpu_speedup = tap.cpu_rate / msdk.cpu_rate
            targets.append(
                _target_row(
                    f"detail, {mode}: records/s tap / tap-rest-api-msdk >= {TARGET_SPEEDUP_VS_MSDK:g}",
                    f"{wall_speedup:.2f} by wall time, {cpu_speedup:.2f} by CPU time",
                    met=wall_speedup >= TARGET_SPEEDUP_VS_MSDK,
                )
            )
    return _targets_table(targets)


def _target_row(target: str, measured: str, *, met: bool) -> list[str]:
    return [target, measured, "yes" if met else "no"]


def _targets_table(rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    return ["", "Targets:", "", *_format_table(["target", "measured", "met"], rows)]


def replace_sections(path: Path, sections: dict[str, list[str]]) -> None:
    """Replace each named generated section of a Markdown file, appending those it lacks."""
    text = path.read_text() if path.exists() else ""
    for name, lines in sections.items():
        begin = f"<!-- BEGIN GENERATED: {name} -->"
        end = f"<!-- END GENERATED: {name} -->"
        block = "\n".join([begin, *lines, end])
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(_literal(block), text, count=1)
        else:
            text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text)


def _literal(replacement: str) -> Callable[[re.Match[str]], str]:
    """Return a substitution that inserts `replacement` without expanding backslashes."""
    return lambda _match: replacement


def _short_location(filename: str, repository: Path) -> str:
    """Return a profiled function's file relative to site-packages or the repository."""
    marker = "site-packages/"
    if marker in filename:
        return filename.split(marker, 1)[1]
    try:
        return str(Path(filename).resolve().relative_to(repository))
    except ValueError:
        return Path(filename).name if filename.startswith("/") else filename


def profile_lines(profile_path: Path, repository: Path, top: int) -> list[str]:
    """Format the `top` functions of a cProfile dump by cumulative and by own time."""
    stats = pstats.Stats(str(profile_path))
    entries = []
    for (filename, line, name), (primitive_calls, calls, own, cumulative, _callers) in stats.stats.items():
        location = f"{_short_location(filename, repository)}:{line}({name})" if line else name
        call_text = str(calls) if calls == primitive_calls else f"{calls}/{primitive_calls}"
        entries.append((own, cumulative, call_text, location))

    lines = []
    for title, key in (("cumulative time", 1), ("own time (tottime)", 0)):
        ranked = sorted(entries, key=lambda entry: entry[key], reverse=True)[:top]
        lines += [f"Top {top} by {title}, of {stats.total_tt:.2f} s profiled:", "", "```text"]
        lines.append(f"{'calls':>14} {'tottime':>8} {'cumtime':>8}  function")
        lines.extend(
            f"{calls:>14} {own:8.3f} {cumulative:8.3f}  {location}" for own, cumulative, calls, location in ranked
        )
        lines += ["```", ""]
    return lines[:-1]
