"""The TXTImpact tap: settings, their checks, and stream discovery."""

from __future__ import annotations

import typing as t
from functools import cached_property

from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers._classproperty import classproperty

from tap_txtimpact import schemas
from tap_txtimpact.client import ApiAccount
from tap_txtimpact.discovery import PromptDiscoveryRequest
from tap_txtimpact.output import BufferedStdoutWriter
from tap_txtimpact.prompts import name_prompt_properties
from tap_txtimpact.streams import (
    DetailStream,
    ParticipationStream,
    ParticipationSummaryStream,
    PromptsStream,
    ResponsesStream,
    detail_stream_name,
)
from tap_txtimpact.timestamps import parse_timestamp

DEFAULT_API_URL = "https://api.txtimpact.com/api/v2"


class TapTXTImpact(Tap):
    """Singer tap for the TXTImpact Workflow Report API."""

    name = "tap-txtimpact"
    dynamic_catalog = True
    message_writer_class = BufferedStdoutWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType(min_length=1),
            required=True,
            secret=True,
            title="API Key",
            description="TXTImpact API key, sent in the apikey header of every request.",
        ),
        th.Property(
            "campaign_ids",
            th.ArrayType(th.IntegerType(minimum=1)),
            required=True,
            title="Campaign IDs",
            description="Numeric IDs of the workflow campaigns to extract, at least one.",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start Date",
            description=(
                "Earliest session start to extract (UTC, ISO-8601). Without it the first run reads the whole history."
            ),
        ),
        th.Property(
            "end_date",
            th.DateTimeType,
            title="End Date",
            description="Latest session start to extract (UTC, ISO-8601). Without it, up to now.",
        ),
        th.Property(
            "api_url",
            th.URIType,
            default=DEFAULT_API_URL,
            title="API URL",
            description="Base URL of the Workflow Report API; point it at the sandbox for tests.",
        ),
        th.Property(
            "page_size",
            th.IntegerType(minimum=1),
            default=500,
            title="Page Size",
            description="Rows per request (pageSize). The API's 0, meaning all rows, is not allowed.",
        ),
        th.Property(
            "requests_per_second",
            th.NumberType(exclusive_minimum=0),
            default=3,
            title="Requests Per Second",
            description=(
                "Request budget shared by all streams, retries included. The API allows 3 per second per account."
            ),
        ),
        th.Property(
            "request_timeout",
            th.NumberType(exclusive_minimum=0),
            default=60,
            title="Request Timeout",
            description="Seconds to wait for a response before retrying; connecting waits at most 10.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType(minimum=0),
            default=8,
            title="Max Retries",
            description="Retries of a request that timed out, was cut off, or got a 429 or 5xx.",
        ),
        th.Property(
            "retry_wait_seconds",
            th.NumberType(exclusive_minimum=0),
            default=1,
            title="Retry Wait Seconds",
            description=(
                "Wait before the first retry, doubled for each further retry up to 60 "
                "seconds. A 429's Retry-After overrides it."
            ),
        ),
        th.Property(
            "date_window_days",
            th.IntegerType(minimum=1),
            title="Date Window Days",
            description=(
                "Longest date range per request in days. Without it the tap asks for "
                "the whole range and halves it each time the API rejects it."
            ),
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        if kwargs.get("validate_config", True):
            self.check_settings()

    def check_settings(self) -> None:
        """Raise ``ConfigValidationError`` listing every invalid setting, before any request."""
        errors = self.setting_errors()
        if errors:
            summary = "Config validation failed: " + " ".join(errors)
            raise ConfigValidationError(summary, errors=errors)

    def setting_errors(self) -> list[str]:
        """Return the problems that the settings' JSON schema cannot express."""
        errors = []
        campaign_ids = self.config.get("campaign_ids")
        if isinstance(campaign_ids, list):
            if not campaign_ids:
                errors.append("campaign_ids is empty: list at least one workflow campaign ID, e.g. [42].")
            repeated = sorted({c for c in campaign_ids if campaign_ids.count(c) > 1}, key=str)
            if repeated:
                errors.append(f"campaign_ids lists {repeated} more than once; list each campaign once.")

        dates = {}
        for setting in ("start_date", "end_date"):
            value = self.config.get(setting)
            if value is None:
                continue
            try:
                dates[setting] = parse_timestamp(str(value))
            except ValueError:
                errors.append(
                    f"{setting} {value!r} is not an ISO-8601 date-time; use a value such as 2026-04-01T00:00:00Z."
                )

        if len(dates) == 2 and dates["start_date"] > dates["end_date"]:
            errors.append("start_date is after end_date; swap them or remove one.")

        api_url = str(self.config.get("api_url", DEFAULT_API_URL))
        if not api_url.startswith(("http://", "https://")):
            errors.append(f"api_url {api_url!r} is not an http(s) URL, e.g. {DEFAULT_API_URL}.")

        return errors

    @classproperty
    def _env_var_config(cls) -> dict[str, t.Any]:  # noqa: N805
        """Return settings from ``TAP_TXTIMPACT_*`` variables, with numbers parsed.

        NOTE: singer-sdk 0.54 parses integers, booleans, arrays and objects from the
        environment. It passes ``number`` settings on as text, which then fails
        validation, so this override parses them too.
        """
        config = dict(super()._env_var_config)
        properties = cls.config_jsonschema.get("properties", {})
        for name, value in config.items():
            types = properties.get(name, {}).get("type", [])
            if isinstance(value, str) and "number" in types:
                try:
                    config[name] = float(value)
                except ValueError:
                    continue
        return config

    @cached_property
    def account(self) -> ApiAccount:
        """Return what all streams of this run share: session, throttle, window."""
        return ApiAccount.from_config(self.config)

    def discover_prompt_columns(self) -> dict[int, dict[str, str]]:
        """Return each campaign's ``prompt text -> property`` map.

        A passed catalog is used as it is, and a campaign missing from it is left out
        with a warning. Without a catalog, each campaign's Detail Report is asked for
        one row.
        """
        catalog = self.input_catalog
        columns: dict[int, dict[str, str]] = {}
        discovery: PromptDiscoveryRequest | None = None

        for campaign_id in self.config["campaign_ids"]:
            stream_name = detail_stream_name(campaign_id)
            if catalog is not None:
                entry = catalog.get_stream(stream_name)
                if entry is None:
                    self.logger.warning(
                        "Campaign %s is in campaign_ids but '%s' is not in the catalog, so "
                        "its Detail Report is not read: neither '%s' nor 'responses' gets "
                        "its sessions this run. Run discovery again to add it.",
                        campaign_id,
                        stream_name,
                        stream_name,
                    )
                else:
                    columns[campaign_id] = schemas.prompt_columns_from_schema(entry.schema.to_dict())
                continue

            discovery = discovery or PromptDiscoveryRequest(self, self.account)
            prompt_texts = discovery.prompt_texts(campaign_id)
            columns[campaign_id] = name_prompt_properties(
                prompt_texts,
                reserved_names=schemas.DETAIL_FIXED_NAMES,
            )
            if prompt_texts:
                self.logger.info("Campaign %s: discovered %d prompt(s)", campaign_id, len(prompt_texts))
            else:
                self.logger.info(
                    "Campaign %s has no sessions yet, so '%s' has the fixed properties "
                    "only; run discovery again once sessions exist.",
                    campaign_id,
                    stream_name,
                )

        return columns

    def discover_streams(self) -> list[Stream]:
        """Return the report streams and one Detail Report stream per campaign."""
        # During a sync the SDK discovers streams while the tap is built, before
        # __init__ returns, so the checks run here as well.
        self.check_settings()

        account = self.account
        prompt_columns = self.discover_prompt_columns()
        streams: list[Stream] = [
            ParticipationStream(self, account),
            ParticipationSummaryStream(self, account),
            ResponsesStream(self, account),
            PromptsStream(self, prompt_columns),
        ]
        streams.extend(
            DetailStream(self, account, campaign_id=campaign_id, prompt_columns=columns)
            for campaign_id, columns in prompt_columns.items()
        )
        return streams


if __name__ == "__main__":
    TapTXTImpact.cli()
