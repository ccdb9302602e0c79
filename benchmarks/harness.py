"""Process control and measurement for the benchmarks.

Every process started here is a child of the benchmark and is stopped by its PID only.
Measured processes are reaped with `os.wait4`, whose resource usage covers the process
and any children it waited for: user and system CPU time and peak RSS (`ru_maxrss`,
in KiB on Linux).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCHMARKS_DIR = Path(__file__).resolve().parent
COUNTER_SCRIPT = BENCHMARKS_DIR / "count_records.py"
PAGE_CACHE_SCRIPT = BENCHMARKS_DIR / "page_cache.py"

#: Output modes of a measured run: stdout to /dev/null, or to a pipe read by a counting consumer.
DEVNULL = "devnull"
PIPE = "pipe"
MODES = (DEVNULL, PIPE)

SERVER_START_TIMEOUT_SECONDS = 120
SERVER_STOP_TIMEOUT_SECONDS = 10
CONSUMER_TIMEOUT_SECONDS = 60
# Wait between polls of a child's exit where pidfd_open (Linux 5.3+) is missing.
EXIT_POLL_SECONDS = 0.005

# Set in some shells and CI jobs, unlike on a user's machine: unbuffered stdout turns
# every write of the raw loop into a system call, and without a bytecode cache every
# run compiles each imported module again.
UNSET_VARIABLES = ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")

_METRIC_PREFIX = "METRIC: "
_RAW_SUMMARY = re.compile(r"records=(\d+) requests=(\d+)")


class BenchmarkError(RuntimeError):
    """A benchmark step failed: a process timed out, exited non-zero or miscounted."""


@dataclass
class Measurement:
    """One measured run of one extractor.

    Attributes:
        scenario: What was extracted, such as ``detail`` or ``participation``.
        extractor: ``tap``, ``raw`` (the baseline loop) or ``msdk`` (tap-rest-api-msdk).
        mode: ``devnull`` or ``pipe``.
        repeat: Repeat number, from 1.
        wall_seconds: From process start to exit.
        user_seconds: User CPU time of the process and the children it waited for.
        system_seconds: System CPU time, likewise.
        max_rss_kib: Peak resident set size in KiB.
        records: RECORD messages written.
        requests: Report requests the sandbox counted during the run.
        rate_limited: Of those, how many got a 429.
    """

    scenario: str
    extractor: str
    mode: str
    repeat: int
    wall_seconds: float
    user_seconds: float
    system_seconds: float
    max_rss_kib: int
    records: int
    requests: int
    rate_limited: int

    @property
    def cpu_seconds(self) -> float:
        """User plus system CPU time."""
        return self.user_seconds + self.system_seconds

    @property
    def records_per_second(self) -> float:
        """Records per second of wall time."""
        return self.records / self.wall_seconds if self.wall_seconds else 0.0

    @property
    def records_per_cpu_second(self) -> float:
        """Records per second of the process's own CPU time."""
        return self.records / self.cpu_seconds if self.cpu_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the fields and derived rates as a JSON-ready dict."""
        data = asdict(self)
        data["cpu_seconds"] = self.cpu_seconds
        data["records_per_second"] = self.records_per_second
        data["records_per_cpu_second"] = self.records_per_cpu_second
        return data


@dataclass
class ProcessRun:
    """Exit status, timing and resource usage of one measured process."""

    exit_code: int
    wall_seconds: float
    user_seconds: float
    system_seconds: float
    max_rss_kib: int
    piped_records: int | None


def child_environment(pycache: Path) -> dict[str, str]:
    """Return the environment of every child process: ours without UNSET_VARIABLES.

    Bytecode goes to `pycache` (PYTHONPYCACHEPREFIX), so no `__pycache__` folder is
    written into the source tree or the venvs.
    """
    environment = {name: value for name, value in os.environ.items() if name not in UNSET_VARIABLES}
    environment["PYTHONPYCACHEPREFIX"] = str(pycache)
    return environment


def bin_path(name: str) -> Path:
    """Return a console script installed beside the running Python, such as tap-txtimpact."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        message = f"{name} not found next to {sys.executable}; run run.py with the project's venv Python."
        raise BenchmarkError(message)
    return path


class ServerProcess:
    """A local HTTP server as a child process that prints its base URL on stdout when ready.

    A separate process keeps the server's CPU time out of the measured process.
    """

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: Mapping[str, str]) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env)
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> ServerProcess:
        """Start the server and wait until it prints its base URL."""
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=self._log,
            stdin=subprocess.DEVNULL,
            env=self.env,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], SERVER_START_TIMEOUT_SECONDS)
        line = self._process.stdout.readline().decode().strip() if ready else ""
        if not line.startswith("http://"):
            self.stop()
            message = (
                f"the {self.name} did not print its URL within {SERVER_START_TIMEOUT_SECONDS} s "
                f"(got {line!r}); see {self.log_path}"
            )
            raise BenchmarkError(message)
        self.url = line
        return self

    @property
    def base_url(self) -> str:
        """Server root, without the `/api/v2` path."""
        return self.url.removesuffix("/api/v2")

    def stats(self) -> dict[str, Any]:
        """Return the report request counts from `GET /_sandbox/stats`."""
        with urllib.request.urlopen(f"{self.base_url}/_sandbox/stats", timeout=10) as response:
            return json.load(response)

    def stop(self) -> None:
        """Stop the server with SIGTERM, or SIGKILL when it does not exit in time."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(SERVER_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        self._process = None

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def sandbox_process(
    sessions: Mapping[int, int],
    requests_per_second: float,
    log_path: Path,
    env: Mapping[str, str],
    seed: int = 7,
) -> ServerProcess:
    """Return the `tap-txtimpact-sandbox` command on a free port of 127.0.0.1, not yet started."""
    layout = ",".join(f"{campaign}={count}" for campaign, count in sessions.items())
    argv = [
        str(bin_path("tap-txtimpact-sandbox")),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--seed",
        str(seed),
        "--sessions",
        layout,
        "--requests-per-second",
        f"{requests_per_second:g}",
        "--log-level",
        "WARNING",
    ]
    return ServerProcess("sandbox", argv, log_path, env)


def page_cache_process(upstream: ServerProcess, log_path: Path, env: Mapping[str, str]) -> ServerProcess:
    """Return the caching proxy (page_cache.py) in front of a running server, not yet started."""
    argv = [sys.executable, str(PAGE_CACHE_SCRIPT), "--upstream", upstream.base_url]
    return ServerProcess("page cache", argv, log_path, env)


def _wait_with_rusage(pid: int, timeout: float) -> tuple[int, Any]:
    """Reap `pid` and return its wait status and resource usage; kill it after `timeout` seconds.

    A pidfd signals the exit without reaping, so the kill can never hit a reused PID.
    """
    deadline = time.monotonic() + timeout
    if hasattr(os, "pidfd_open"):
        pidfd = os.pidfd_open(pid)
        try:
            ready, _, _ = select.select([pidfd], [], [], timeout)
            if not ready:
                signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                os.wait4(pid, 0)
                raise BenchmarkError(f"process {pid} timed out after {timeout:g} s and was killed")
        finally:
            os.close(pidfd)
        _, status, usage = os.wait4(pid, 0)
        return status, usage

    while True:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped == pid:
            return status, usage
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            raise BenchmarkError(f"process {pid} timed out after {timeout:g} s and was killed")
        time.sleep(EXIT_POLL_SECONDS)


def run_measured(
    argv: Sequence[str],
    *,
    mode: str,
    stderr_path: Path,
    timeout: float,
    env: Mapping[str, str],
) -> ProcessRun:
    """Run one extractor with stdout to /dev/null or to a counting consumer, and measure it.

    Wall time runs from just before the process starts until it has been reaped. The
    consumer's own CPU time is not counted.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")

    stdout_target: Any = subprocess.DEVNULL if mode == DEVNULL else subprocess.PIPE
    consumer: subprocess.Popen[bytes] | None = None
    with stderr_path.open("wb") as stderr_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=stdout_target,
            stderr=stderr_file,
            env=env,
        )
        try:
            if mode == PIPE:
                consumer = subprocess.Popen(
                    [sys.executable, str(COUNTER_SCRIPT)],
                    stdin=process.stdout,
                    stdout=subprocess.PIPE,
                    env=env,
                )
                assert process.stdout is not None
                # The consumer must see end-of-file when the extractor exits.
                process.stdout.close()
            status, usage = _wait_with_rusage(process.pid, timeout)
        except BaseException:
            if process.returncode is None and process.poll() is None:
                process.kill()
                process.wait()
            if consumer is not None:
                consumer.kill()
                consumer.wait()
            raise
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)

    piped_records = None
    if consumer is not None:
        try:
            output, _ = consumer.communicate(timeout=CONSUMER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()
            raise BenchmarkError(f"the pipe consumer did not finish within {CONSUMER_TIMEOUT_SECONDS} s") from None
        piped_records = int(output.decode().strip() or 0)

    return ProcessRun(
        exit_code=process.returncode,
        wall_seconds=wall,
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        max_rss_kib=usage.ru_maxrss,
        piped_records=piped_records,
    )


def records_in_log(stderr_path: Path, stream: str | None) -> int:
    """Return the records an extractor reported on stderr.

    The raw loop writes `records=N requests=N`. Singer SDK taps log `record_count`
    metrics, which are summed for `stream`, or for every stream when it is None.
    """
    total = 0
    for line in stderr_path.read_text(errors="replace").splitlines():
        summary = _RAW_SUMMARY.search(line)
        if summary and _METRIC_PREFIX not in line:
            return int(summary.group(1))

        _, marker, payload = line.partition(_METRIC_PREFIX)
        if not marker:
            continue
        try:
            metric = json.loads(payload)
        except ValueError:
            continue
        if metric.get("metric") != "record_count":
            continue
        if stream is None or metric.get("tags", {}).get("stream") == stream:
            total += int(metric.get("value", 0))
    return total


def tail(path: Path, lines: int = 15) -> str:
    """Return the last lines of a log file, for error messages."""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
