"""HTTP server of the sandbox: the two report endpoints and the `/_sandbox` control endpoints.

Report requests go through, in order: the `apikey` check (401), the per-key rate limit
(429), injected faults, path and query validation (400, 404), then the report. Control
endpoints need no API key, are not rate limited and are not counted in the statistics.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tap_txtimpact.sandbox import faults as fault_actions
from tap_txtimpact.sandbox.control import run_control
from tap_txtimpact.sandbox.data import SandboxData
from tap_txtimpact.sandbox.errors import ApiError, parse_campaign_id
from tap_txtimpact.sandbox.faults import Faults
from tap_txtimpact.sandbox.ratelimit import TokenBucketLimiter
from tap_txtimpact.sandbox.reports import (
    RESPONSE_REPORT,
    detail_report,
    parse_query,
    response_report,
)
from tap_txtimpact.sandbox.stats import RequestStats

logger = logging.getLogger("tap_txtimpact.sandbox")

REPORT_PATH = re.compile(r"^/api/v2/workflow/([^/]+)/(ResponseReport|DetailReport)/?$", re.IGNORECASE)
CONTROL_PREFIX = "/_sandbox/"
ENDPOINT_NAMES = {"responsereport": "ResponseReport", "detailreport": "DetailReport"}
# Statistics name for requests outside the report and control endpoints.
OTHER_ENDPOINT = "other"
# Idle keep-alive connections are closed after this many seconds, so threads do not pile up.
IDLE_TIMEOUT_SECONDS = 30


class SandboxServer(ThreadingHTTPServer):
    """Threading HTTP server that stores the sandbox state shared by all handlers."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        data: SandboxData,
        api_keys: Sequence[str],
        requests_per_second: float,
        max_range_days: float,
        faults: Faults,
        stats: RequestStats,
    ) -> None:
        super().__init__(address, SandboxHandler)
        self.data = data
        self.api_keys = frozenset(api_keys)
        self.limiter = TokenBucketLimiter(requests_per_second)
        self.max_range_days = max_range_days
        self.stats = stats
        self._fault_lock = threading.Lock()
        self._faults = faults
        self._report_number = 0
        self._connections: set[socket.socket] = set()
        self._reset_connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def set_faults(self, faults: Faults) -> None:
        """Replace the faults and restart the report request count."""
        with self._fault_lock:
            self._faults = faults
            self._report_number = 0

    @property
    def faults(self) -> Faults:
        """Faults in effect."""
        return self._faults

    def next_report_number(self) -> tuple[int, Faults]:
        """Count a report request and return its number and the faults in effect for it."""
        with self._fault_lock:
            self._report_number += 1
            return self._report_number, self._faults

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def mark_for_reset(self, connection: socket.socket) -> None:
        """Make the end of this connection a TCP reset instead of a normal close."""
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with self._connections_lock:
            self._reset_connections.add(connection)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
            reset = request in self._reset_connections
            self._reset_connections.discard(request)
        if reset:
            # Closing without shutdown(SHUT_WR) sends no FIN first, so with a zero
            # linger time the client sees only the reset.
            self.close_request(request)
            return
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down open keep-alive connections, so their handler threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                logger.debug("Connection was already closed")

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.warning("Error while serving %s", client_address, exc_info=True)


class SandboxHandler(BaseHTTPRequestHandler):
    """Request handler that sends a Content-Length with every response, so keep-alive works."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate sends; with Nagle's algorithm the body waits
    # for the client's delayed ACK, about 40 ms per request on loopback.
    disable_nagle_algorithm = True
    server_version = "TXTImpactSandbox/1.0"
    timeout = IDLE_TIMEOUT_SECONDS
    server: SandboxServer

    def date_time_string(self, timestamp: float | None = None) -> str:
        """Return the Date header from the sandbox clock, as a real server's clock would be.

        Clients may read the server's time from this header, so it must agree with the
        session and answer times the sandbox serves.
        """
        return email.utils.formatdate(self.server.data.now if timestamp is None else timestamp, usegmt=True)

    def log_message(self, format: str, *args: Any) -> None:
        logger.info("%s %s", self.client_address[0], format % args)

    def do_GET(self) -> None:
        self._discard_body()
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            self._handle_control("GET")
            return
        match = REPORT_PATH.match(path)
        if match is None:
            self._send_json(404, {"Message": f"No endpoint matches {path}."}, endpoint=OTHER_ENDPOINT)
            return
        self._handle_report(match.group(1), ENDPOINT_NAMES[match.group(2).lower()])

    def do_POST(self) -> None:
        body = self._discard_body()
        path = urlsplit(self.path).path
        if path.startswith(CONTROL_PREFIX):
            self._handle_control("POST", body)
            return
        message = {"Message": f"Method POST is not allowed on {path}."}
        self._send_json(405, message, {"Allow": "GET"}, endpoint=OTHER_ENDPOINT)

    def _discard_body(self) -> bytes:
        """Read the request body, so the next request on this connection starts cleanly."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle_report(self, campaign_text: str, endpoint: str) -> None:
        try:
            campaign_key: str | None = str(parse_campaign_id(campaign_text))
        except ApiError:
            campaign_key = None
        try:
            self._check_access()
            number, faults = self.server.next_report_number()
            delay = faults.delay_for(number)
            if delay:
                time.sleep(delay)
            action = faults.action_for(number)
            if action == fault_actions.RESET:
                self._send_reset(endpoint, campaign_key)
                return
            if action in (fault_actions.DISCONNECT, fault_actions.TRUNCATE):
                body = self._report_body(campaign_text, endpoint, faults)
                self._send_cut(action, body, endpoint, campaign_key)
                return
            self._raise_for_fault(action, faults, number)
            body = self._report_body(campaign_text, endpoint, faults)
        except ApiError as error:
            logger.info("Report request %s failed with %d: %s", self.path, error.status, error.message)
            self._send_json(error.status, {"Message": error.message}, error.headers, endpoint, campaign_key)
            return
        self._send_json(200, body, None, endpoint, campaign_key)

    def _check_access(self) -> None:
        key = self.headers.get("apikey")
        if not key:
            raise ApiError(401, "Missing API key: send it in the apikey header.")
        if key not in self.server.api_keys:
            raise ApiError(401, "Invalid API key.")
        wait = self.server.limiter.acquire(key)
        if wait:
            message = f"Rate limit exceeded: at most {self.server.limiter.rate:g} requests per second."
            raise ApiError(429, message, {"Retry-After": str(wait)})

    @staticmethod
    def _raise_for_fault(action: str | None, faults: Faults, number: int) -> None:
        if action == fault_actions.FAIL_FIRST:
            raise ApiError(500, "Injected failure: the first requests fail.")
        if action == fault_actions.SERVER_ERROR:
            raise ApiError(faults.server_error_status(number), "Injected server error.")
        if action == fault_actions.RATE_LIMIT:
            headers = {"Retry-After": str(faults.retry_after)}
            raise ApiError(429, "Injected rate limit: too many requests.", headers)

    def _report_body(self, campaign_text: str, endpoint: str, faults: Faults) -> dict[str, Any]:
        campaign_id = parse_campaign_id(campaign_text)
        data = self.server.data
        with data.lock:
            campaign = data.campaign(campaign_id)
            if campaign is None:
                raise ApiError(404, f"Workflow campaign {campaign_id} was not found.")
            params = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
            query = parse_query(params, endpoint, data.now, self.server.max_range_days)
            if endpoint == RESPONSE_REPORT:
                return response_report(campaign, query, faults.page_size_cap)
            return detail_report(campaign, query, faults.page_size_cap)

    def _send_reset(self, endpoint: str, campaign: str | None) -> None:
        """Close the connection with a TCP reset and no response (injected fault)."""
        self.close_connection = True
        self.server.stats.record(endpoint, campaign, "reset")
        logger.info("Injected connection reset for %s", self.path)
        self.server.mark_for_reset(self.connection)

    def _send_cut(self, action: str, body: dict[str, Any], endpoint: str, campaign: str | None) -> None:
        """Send half of a 200 body, announced either as the whole body or as the half."""
        self.close_connection = action == fault_actions.DISCONNECT
        encoded = _encode(body)
        half = encoded[: len(encoded) // 2]
        announced = len(half) if action == fault_actions.TRUNCATE else len(encoded)
        self.server.stats.record(endpoint, campaign, "200")
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(announced))
        self.end_headers()
        self.wfile.write(half)

    def _send_json(
        self,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
        endpoint: str | None = None,
        campaign: str | None = None,
    ) -> None:
        if endpoint is not None:
            self.server.stats.record(endpoint, campaign, str(status))
        encoded = _encode(body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(encoded)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(encoded)

    def _handle_control(self, method: str, body: bytes = b"") -> None:
        parts = urlsplit(self.path)
        route = parts.path[len(CONTROL_PREFIX) :].strip("/").split("/")
        params = parse_qs(parts.query)
        try:
            result = run_control(self.server, method, route, params, body)
        except ApiError as error:
            self._send_json(error.status, {"Message": error.message})
            return
        self._send_json(200, result)


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")
