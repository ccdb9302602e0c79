"""The `/_sandbox/` control endpoints: ground truth, clock, faults, prompts and statistics.

GET  /_sandbox/clock                  current sandbox time
POST /_sandbox/advance?seconds=N      advance the clock by N simulated seconds
GET  /_sandbox/stats                  report request counts
GET  /_sandbox/faults                 faults in effect
POST /_sandbox/faults                 replace the faults with a JSON object; absent fields are off
GET  /_sandbox/sessions/{campaignId}  ground-truth sessions
GET  /_sandbox/prompts/{campaignId}   prompt texts in workflow order
POST /_sandbox/prompts/{campaignId}   append the prompt {"text": "..."} to the workflow
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from tap_txtimpact.sandbox.errors import ApiError, parse_campaign_id
from tap_txtimpact.sandbox.faults import Faults
from tap_txtimpact.sandbox.timestamps import format_time

if TYPE_CHECKING:
    from tap_txtimpact.sandbox.server import SandboxServer


def run_control(
    server: SandboxServer,
    method: str,
    route: list[str],
    params: dict[str, list[str]],
    body: bytes,
) -> Any:
    """Run the control request `method /_sandbox/<route>` and return its JSON-ready result.

    Raises:
        ApiError: A 400 for an invalid body or parameter, a 404 for an unknown route
            or campaign.
    """
    data = server.data
    name = route[0]
    if len(route) == 2 and name in ("sessions", "prompts"):
        return _run_campaign_control(server, method, name, route[1], body)
    if len(route) != 1:
        name = "/".join(route)
    if method == "GET" and name == "clock":
        return {"now": format_time(data.now)}
    if method == "GET" and name == "stats":
        return server.stats.snapshot()
    if method == "GET" and name == "faults":
        return server.faults.to_dict()
    if method == "POST" and name == "faults":
        try:
            faults = Faults.from_mapping(json.loads(body or b"{}"))
        except (ValueError, TypeError) as error:
            raise ApiError(400, f"Invalid faults: {error}") from None
        server.set_faults(faults)
        return faults.to_dict()
    if method == "POST" and name == "advance":
        data.advance(_parse_seconds(params))
        return {"now": format_time(data.now)}
    raise ApiError(404, f"No control endpoint {method} /_sandbox/{'/'.join(route)}.")


def _run_campaign_control(server: SandboxServer, method: str, name: str, campaign_text: str, body: bytes) -> Any:
    data = server.data
    campaign_id = parse_campaign_id(campaign_text)
    if data.campaign(campaign_id) is None:
        raise ApiError(404, f"Workflow campaign {campaign_id} was not found.")
    if method == "GET" and name == "sessions":
        return data.sessions(campaign_id)
    if method == "GET":
        return data.prompts(campaign_id)
    if method == "POST" and name == "prompts":
        try:
            text = json.loads(body or b"{}").get("text")
            data.add_prompt(campaign_id, text)
        except (ValueError, TypeError, AttributeError) as error:
            raise ApiError(400, f'Invalid prompt: send a JSON object {{"text": "..."}}. {error}') from None
        return data.prompts(campaign_id)
    raise ApiError(404, f"No control endpoint {method} /_sandbox/{name}/{campaign_id}.")


def _parse_seconds(params: dict[str, list[str]]) -> float:
    values = params.get("seconds")
    try:
        seconds = float(values[0]) if values else None
    except ValueError:
        seconds = None
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        raise ApiError(400, "Query parameter seconds must be a finite number of at least 0.")
    return seconds
