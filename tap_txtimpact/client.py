"""The base stream for the Workflow Report API: auth, errors, retries, paging, windows."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import random
import typing as t
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, urlparse

import backoff
import msgspec
import requests
from singer_sdk import RESTStream
from singer_sdk.authenticators import APIKeyAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.types import Context

from tap_txtimpact.fast_path import fast_record_writer
from tap_txtimpact.pagination import PageSummary, PageToken, ReportPaginator
from tap_txtimpact.throttle import RequestThrottle, ThrottledSession
from tap_txtimpact.timestamps import (
    ONE_DAY,
    ONE_SECOND,
    floor_to_second,
    parse_timestamp,
    split_range,
    to_api_timestamp,
)

if t.TYPE_CHECKING:
    from backoff.types import Details
    from singer_sdk.tap_base import Tap

#: Longest wait between two attempts of one request, in seconds.
MAX_RETRY_WAIT_SECONDS = 60.0

#: Longest part of a server message copied into an error, in characters.
MAX_SERVER_MESSAGE_CHARS = 500

#: Words in a 400 message that mark a rejected date range rather than another
#: invalid parameter. The API document names "date range exceeds maximum" as a cause
#: of 400 without giving the wording or the maximum.
_RANGE_WORDS = ("range", "maximum", "exceed", "span", "days")


#: Failures worth another attempt: the SDK's list for REST streams.
RETRIABLE_ERRORS = (
    ConnectionResetError,
    RetriableAPIError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class InvalidAPIKeyError(FatalAPIError):
    """The API returned 401: the key is missing, wrong or revoked."""


class DateRangeRejectedError(FatalAPIError):
    """The API returned 400 to a request whose date range it considers too long."""


class RequestFailedError(FatalAPIError):
    """A request kept failing until its retries ran out."""


@dataclass
class ApiAccount:
    """What every stream of one run shares about the API account.

    Attributes:
        session: The HTTP session whose sends share one request budget.
        max_window: The longest date range the server has accepted after rejecting a
            longer one, or the configured window; ``None`` until either is known.
        sync_started_at: The run's start, cut to the second. Bookmarks never pass it.
    """

    session: ThrottledSession
    max_window: dt.timedelta | None = None
    sync_started_at: dt.datetime = field(
        default_factory=lambda: floor_to_second(dt.datetime.now(dt.timezone.utc)),
    )

    @classmethod
    def from_config(cls, config: t.Mapping[str, t.Any]) -> ApiAccount:
        """Build the shared account state from the tap's settings."""
        throttle = RequestThrottle(float(config.get("requests_per_second", 3)))
        window_days = config.get("date_window_days")
        return cls(
            session=ThrottledSession(throttle),
            max_window=dt.timedelta(days=window_days) if window_days else None,
        )


def _server_message(response: requests.Response) -> str:
    """Return the error text the server sent, shortened."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None

    if isinstance(body, dict):
        for key in ("Message", "message", "error", "Error", "title"):
            if isinstance(body.get(key), str):
                return body[key][:MAX_SERVER_MESSAGE_CHARS]

    return response.text[:MAX_SERVER_MESSAGE_CHARS]


def _server_time(response: requests.Response) -> dt.datetime | None:
    """Return the time in a response's ``Date`` header, if it has a valid one."""
    header = response.headers.get("Date")
    if not header:
        return None

    try:
        return email.utils.parsedate_to_datetime(header).astimezone(dt.timezone.utc)
    except (TypeError, ValueError):
        return None


def _retry_after_seconds(response: requests.Response) -> float | None:
    """Return the wait in a ``Retry-After`` header, if it contains a number of seconds."""
    header = response.headers.get("Retry-After")
    if header is None:
        return None

    try:
        return max(0.0, float(header))
    except ValueError:
        # NOTE: the HTTP-date form of Retry-After is not parsed; exponential backoff
        # applies instead.
        return None


class TXTImpactStream(RESTStream[PageToken]):
    """Base class of the streams that read a Workflow Report API endpoint.

    Subclasses set ``path`` (with a ``{campaign_id}`` placeholder), ``rows_key`` and
    ``total_key``, and turn parsed rows into records in ``parse_response``.
    """

    rows_key: str = ""
    total_key: str = ""
    extracted_at: dt.datetime | None = None
    current_campaign_id: int = 0

    def __init__(self, tap: Tap, account: ApiAccount, **kwargs: t.Any) -> None:  # noqa: ANN401
        self.account = account
        self._bodies: dict[int, dict[str, t.Any]] = {}
        self._summaries: dict[int, PageSummary] = {}
        self._current_page: int | None = None
        self._window: tuple[dt.datetime, dt.datetime] | None = None
        self.scan_latest_start = ""
        self.scan_server_time: dt.datetime | None = None
        self.record_writer = fast_record_writer(tap.message_writer)
        super().__init__(tap, **kwargs)

    @property
    def url_base(self) -> str:
        """Return the configured API base URL."""
        return str(self.config["api_url"]).rstrip("/")

    @property
    def requests_session(self) -> requests.Session:
        """Return the run's shared, throttled session."""
        return self.account.session

    @property
    def authenticator(self) -> APIKeyAuthenticator:
        """Send the key in the ``apikey`` header, as the API requires."""
        return APIKeyAuthenticator(
            key="apikey",
            value=str(self.config["api_key"]),
            location="header",
        )

    @property
    def timeout(self) -> tuple[float, float]:  # type: ignore[override]
        """Return the connect and read timeouts in seconds."""
        read_timeout = float(self.config.get("request_timeout", 60))
        return min(10.0, read_timeout), read_timeout

    def get_url(self, context: Context | None) -> str:
        """Return the endpoint URL for the context's campaign."""
        campaign_id = self.campaign_id_of(context)
        return self.url_base + self.path.format(campaign_id=campaign_id)

    def campaign_id_of(self, context: Context | None) -> int:
        """Return the campaign a context is about."""
        if context is None or "campaign_id" not in context:
            msg = f"Stream '{self.name}' was synced without a campaign_id context."
            raise ValueError(msg)

        return int(context["campaign_id"])

    # Request parameters and date windows

    def get_bookmark(self, context: Context | None) -> dt.datetime | None:
        """Return the saved bookmark that requests of this context start from."""
        value = self.get_context_state(context).get("replication_key_value")
        if not value or self.replication_key is None:
            return None

        return parse_timestamp(str(value))

    def configured_date(self, setting: str) -> dt.datetime | None:
        """Return the ``start_date`` or ``end_date`` setting as a datetime."""
        value = self.config.get(setting)
        return parse_timestamp(value) if value else None

    @property
    def page_size(self) -> int:
        """Return the configured ``pageSize``."""
        return int(self.config.get("page_size", 500))

    def get_url_params(
        self,
        context: Context | None,
        next_page_token: PageToken | None,
    ) -> dict[str, t.Any]:
        """Return paging and date parameters for one page of one window."""
        page, page_size = next_page_token or PageToken(1, self.page_size)
        self._current_page = page
        params: dict[str, t.Any] = {"page": page, "pageSize": page_size}

        if self._window is not None:
            window_start, window_end = self._window
            params["startDateTime"] = to_api_timestamp(window_start)
            params["endDateTime"] = to_api_timestamp(window_end)
            return params

        bookmark = self.get_bookmark(context)
        if bookmark is not None:
            params["lastUpdated"] = to_api_timestamp(bookmark)

        end_date = self.configured_date("end_date")
        if end_date is not None:
            params["endDateTime"] = to_api_timestamp(end_date)

        return params

    def initial_windows(
        self,
        context: Context | None,
    ) -> list[tuple[dt.datetime, dt.datetime] | None]:
        """Return the date windows to request, or ``[None]`` for a single request.

        A run with a bookmark asks for changes since the bookmark with ``lastUpdated``
        and no date range, so its cost follows what changed, not how long the history
        is. A first run with ``start_date`` asks for that range, in windows once the
        server's maximum is known.
        """
        start = self.configured_date("start_date")
        if start is None or self.get_bookmark(context) is not None:
            return [None]

        end = self.configured_date("end_date") or self.account.sync_started_at
        if self.account.max_window is None:
            return [(start, end)]

        return list(split_range(start, end, self.account.max_window))

    def _split_window(
        self,
        rejected: tuple[dt.datetime, dt.datetime],
        remaining: t.Iterable[tuple[dt.datetime, dt.datetime] | None],
        error: DateRangeRejectedError,
    ) -> list[tuple[dt.datetime, dt.datetime]]:
        """Return the windows that replace a rejected one and those after it."""
        start, end = rejected
        length = end - start + ONE_SECOND
        if length <= ONE_DAY:
            msg = (
                f"The API rejected a one-day date range ({to_api_timestamp(start)} to "
                f"{to_api_timestamp(end)}) for stream '{self.name}'; a smaller window "
                f"cannot help. Server message: {error}"
            )
            raise FatalAPIError(msg) from error

        new_window = max(ONE_DAY, (length // 2) // ONE_DAY * ONE_DAY)
        self.account.max_window = new_window
        overall_end = end
        for window in remaining:
            if window is not None:
                overall_end = max(overall_end, window[1])

        self.logger.info(
            "The API rejected the date range %s to %s; splitting it into windows of %d days",
            to_api_timestamp(start),
            to_api_timestamp(end),
            new_window.days,
        )
        return list(split_range(start, overall_end, new_window))

    def request_windows(self, context: Context | None) -> t.Iterator[dict[str, t.Any]]:
        """Request every page of every window and yield the parsed rows as records.

        A window that the server rejects as too long is split and requested again.
        """
        self.scan_latest_start = ""
        self.scan_server_time = None
        pending: deque[tuple[dt.datetime, dt.datetime] | None] = deque(
            self.initial_windows(context),
        )
        while pending:
            window = pending.popleft()
            self._window = window
            try:
                yield from self.request_records(context)
            except DateRangeRejectedError as error:
                if window is None:
                    raise

                pending = deque(self._split_window(window, pending, error))
            except (RetriableAPIError, requests.RequestException) as error:
                raise self._give_up_error(context, error) from error
            finally:
                self._window = None

    # Responses, errors and retries

    def response_body(self, response: requests.Response) -> dict[str, t.Any]:
        """Return the JSON body that ``validate_response`` parsed for ``response``."""
        body = self._bodies.get(id(response))
        if body is None:
            body = self._parse_body(response)
        return body

    def _parse_body(self, response: requests.Response) -> dict[str, t.Any]:
        """Parse a 2xx body once, and keep only the latest one."""
        try:
            body = msgspec.json.decode(response.content)
        except msgspec.DecodeError as error:
            msg = self._describe_failure(
                response,
                f"the body is not valid JSON ({error}); it may have been cut off",
            )
            raise RetriableAPIError(msg, response) from error

        if not isinstance(body, dict) or not isinstance(body.get(self.rows_key), list):
            msg = self._describe_failure(
                response,
                f"the body has no '{self.rows_key}' list",
            )
            raise RetriableAPIError(msg, response)

        self.extracted_at = dt.datetime.now(dt.timezone.utc)
        rows = body[self.rows_key]
        total = body.get(self.total_key)
        self._bodies = {id(response): body}
        self._summaries = {
            id(response): PageSummary(
                row_count=len(rows),
                total=total if isinstance(total, int) else None,
                identity=(repr(rows[0]), repr(rows[-1])) if rows else None,
            ),
        }
        if self.scan_server_time is None:
            self.scan_server_time = _server_time(response)
        return body

    def scan_bookmark(self) -> dt.datetime | None:
        """Return the bookmark that the last completed scan justifies.

        That is the latest session start among the rows kept, but no later than the
        server's clock when the scan began (its first ``Date`` header). A scan takes
        time: an older session answered while later pages were read has a last-answer
        time after the scan began, and the next run must still ask for it. A scan
        that kept no rows uses the server's clock alone. The result is also capped at
        the run's start and at ``end_date``.
        """
        candidates = []
        if self.scan_latest_start:
            candidates.append(parse_timestamp(self.scan_latest_start))
        if self.scan_server_time is not None:
            candidates.append(self.scan_server_time)
        if not candidates:
            return None

        candidates.append(self.account.sync_started_at)
        end_date = self.configured_date("end_date")
        if end_date is not None:
            candidates.append(end_date)
        return min(candidates)

    def _describe_failure(self, response: requests.Response, reason: str) -> str:
        """Describe a failed request by endpoint, campaign, page and parameters."""
        url = urlparse(response.request.url or response.url)
        params = dict(parse_qsl(url.query))
        status = f"{response.status_code} {response.reason or ''}".strip()
        return (
            f"{status} from {url.path} (stream '{self.name}', "
            f"page {params.get('page', '?')}, parameters {params}): {reason}"
        )

    def response_error_message(self, response: requests.Response) -> str:
        """Build an error message with status, path, page, parameters and the reason."""
        return self._describe_failure(response, _server_message(response))

    def validate_response(self, response: requests.Response) -> None:
        """Sort responses into success, retriable and fatal errors.

        429 and 5xx are retried. A 200 whose body does not parse is retried too, since
        a cut-off transfer causes it. 401 means the key was rejected, which no retry
        fixes. A 400 about the date range is raised apart so the range can be split.
        """
        status = response.status_code
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)

        if status == HTTPStatus.UNAUTHORIZED:
            msg = self._describe_failure(
                response,
                "the API rejected the API key. Check the api_key setting (sent as the apikey header).",
            )
            raise InvalidAPIKeyError(msg)

        if status == HTTPStatus.BAD_REQUEST:
            message = self.response_error_message(response)
            sent_range = "startDateTime=" in (response.request.url or "")
            server_text = _server_message(response).lower()
            if sent_range and any(word in server_text for word in _RANGE_WORDS):
                raise DateRangeRejectedError(message)
            raise FatalAPIError(message)

        if status == HTTPStatus.NOT_FOUND:
            msg = self._describe_failure(
                response,
                f"{_server_message(response)} Check that the campaign ID is right, or "
                "remove it from the campaign_ids setting.",
            )
            raise FatalAPIError(msg)

        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(self.response_error_message(response))

        self._parse_body(response)

    def _give_up_error(
        self,
        context: Context | None,
        error: Exception,
    ) -> RequestFailedError:
        """Wrap the last error of a request whose retries ran out."""
        try:
            campaign: int | None = self.campaign_id_of(context)
        except ValueError:
            campaign = None

        msg = (
            f"Giving up on {self.path.format(campaign_id=campaign)} (stream "
            f"'{self.name}', campaign {campaign}, page {self._current_page}) after "
            f"{self.backoff_max_tries()} attempts. Last error: {error}"
        )
        return RequestFailedError(msg)

    def request_decorator(self, func: t.Callable[..., requests.Response]) -> t.Callable[..., requests.Response]:
        """Retry ``func`` on transient failures.

        The same policy as the SDK's, except that backoff's own log lines are off:
        ``backoff_handler`` logs each retry once, and a request whose retries run out
        is reported by ``request_windows``.
        """
        decorator: t.Callable[..., t.Callable[..., requests.Response]] = backoff.on_exception(
            self.backoff_wait_generator,
            RETRIABLE_ERRORS,
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            jitter=self.backoff_jitter,
            logger=None,
        )
        return decorator(func)

    def backoff_max_tries(self) -> int:
        """Return the attempts per request: the first plus ``max_retries``."""
        return int(self.config.get("max_retries", 8)) + 1

    def backoff_wait_generator(self) -> t.Generator[float, t.Any, None]:
        """Wait as long as ``Retry-After`` sets, or else back off exponentially.

        backoff sends each failure's exception into this generator, so a 429's
        ``Retry-After`` header can set the wait for that attempt.
        """
        base = float(self.config.get("retry_wait_seconds", 1.0))
        return self._wait_times(base)

    @staticmethod
    def _wait_times(base: float) -> t.Generator[float, t.Any, None]:
        """Yield the wait before each retry."""
        error = yield 0.0
        attempt = 0
        while True:
            wait = min(MAX_RETRY_WAIT_SECONDS, base * 2**attempt)
            response = getattr(error, "response", None)
            if isinstance(response, requests.Response):
                retry_after = _retry_after_seconds(response)
                if retry_after is not None:
                    wait = retry_after

            attempt += 1
            error = yield wait

    def backoff_jitter(self, value: float) -> float:
        """Add up to 10% to a wait; jitter never shortens what the server asked."""
        return value + random.uniform(0, value * 0.1)  # noqa: S311

    def backoff_handler(self, details: Details) -> None:
        """Log each retry at INFO with the reason, never the request headers."""
        error = details.get("exception")
        self.logger.info(
            "Retrying page %s of stream '%s' in %.2f s (attempt %d of %d): %s",
            self._current_page,
            self.name,
            details.get("wait", 0.0),
            details.get("tries", 0) + 1,
            self.backoff_max_tries(),
            error,
        )

    def generate_child_contexts(
        self,
        record: dict[str, t.Any],  # noqa: ARG002
        context: Context | None,  # noqa: ARG002
    ) -> t.Iterable[Context | None]:
        """Yield no child context: only the Detail Report streams have a child.

        The SDK's default yields the context for every record and copies it, which
        costs a noticeable share of the per-record time when there is nothing to sync.
        """
        return ()

    def get_new_paginator(self) -> ReportPaginator:
        """Return a paginator that stops at the report's total."""
        return ReportPaginator(
            self.page_summary,
            page_size=self.page_size,
        )

    def report_rows(self, response: requests.Response) -> list[dict[str, t.Any]]:
        """Return the rows of one page."""
        rows: list[dict[str, t.Any]] = self.response_body(response)[self.rows_key]
        return rows

    def release_page(self, response: requests.Response) -> None:
        """Drop a parsed page once its records are built, so only one page is in memory."""
        self._bodies.pop(id(response), None)

    def page_summary(self, response: requests.Response) -> PageSummary:
        """Return what the paginator needs to know about a page."""
        return self._summaries[id(response)]
