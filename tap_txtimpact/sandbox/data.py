"""The sandbox's seeded data model: campaigns, sessions and a simulated clock.

All data derives from one seed. The initial sessions of a campaign come from a generator
seeded with the seed and the campaign id. Sessions that arrive while the clock advances
come from one generator per campaign and simulated hour. So the same seed and the same
sequence of `advance` and `add_prompt` calls always produce the same data, however the
advances are split.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tap_txtimpact.sandbox.generate import (
    AREA_CODES,
    Session,
    Subscriber,
    make_session,
    make_subscriber,
)
from tap_txtimpact.sandbox.timestamps import format_time, parse_timestamp
from tap_txtimpact.sandbox.workflows import FREE_TEXT, PromptSpec, template_for

DEFAULT_CLOCK_START = "2026-04-24T12:00:00Z"
# Campaign id to initial session count. Each position gets the next workflow template,
# so the empty campaign comes last and every template has sessions to show.
DEFAULT_CAMPAIGNS: dict[int, int] = {101: 60, 102: 300, 103: 5000, 104: 0}
DEFAULT_ARRIVALS_PER_HOUR = 3.0

HOUR = 3600
HISTORY_SECONDS = 120 * 24 * HOUR
# A few initial sessions start shortly before the clock, so some answers are still to come.
RECENT_SHARE = 0.05
RECENT_WINDOW = 6 * HOUR
# Subscribers per initial session. It is below 1, so some subscribers return.
SUBSCRIBERS_PER_SESSION = 0.7
RETURNING_SHARE = 0.6


class Campaign:
    """A workflow campaign: its prompts and its sessions ordered by start time and id."""

    def __init__(self, campaign_id: int, specs: Sequence[PromptSpec], area_code: str) -> None:
        self.campaign_id = campaign_id
        self.specs = list(specs)
        self.area_code = area_code
        self.sessions: list[Session] = []
        self.starts: list[int] = []
        self.subscribers: list[Subscriber] = []
        self.pending: list[Session] = []
        self.receives_arrivals = False

    @property
    def prompts(self) -> list[str]:
        """Prompt texts in workflow order."""
        return [spec.text for spec in self.specs]

    def append(self, session: Session, now: float) -> None:
        """Add a session that starts no earlier than every existing one."""
        ordinal = len(self.sessions) + 1
        session.order_key = self.campaign_id * 10_000_000 + ordinal
        session.session_id = str(session.order_key)
        session.reveal_until(now, len(self.specs))
        self.sessions.append(session)
        self.starts.append(session.start)
        if session.has_pending_answers:
            self.pending.append(session)

    def bounds(self, start: float | None, end: float | None) -> tuple[int, int]:
        """Return the slice of `sessions` whose start lies in [start, end]."""
        low = 0 if start is None else bisect.bisect_left(self.starts, start)
        high = len(self.starts) if end is None else bisect.bisect_right(self.starts, end)
        return low, high


def _to_epoch(moment: str | datetime | float) -> float:
    if isinstance(moment, str):
        return parse_timestamp(moment)
    if isinstance(moment, datetime):
        return moment.timestamp()
    return float(moment)


class SandboxData:
    """Campaigns, sessions and the clock, guarded by one lock.

    Args:
        seed: Seed for every random choice.
        campaigns: Campaign id to initial session count. A campaign created with no
            sessions stays empty when the clock advances.
        clock_start: Sandbox time at creation, as ISO-8601 text, datetime or epoch seconds.
        arrivals_per_hour: Mean count of new sessions per non-empty campaign per
            simulated hour while the clock advances.
        workflows: Optional campaign id to prompt texts, replacing the template.
    """

    def __init__(
        self,
        seed: int = 7,
        campaigns: Mapping[int, int] | None = None,
        clock_start: str | datetime | float = DEFAULT_CLOCK_START,
        arrivals_per_hour: float = DEFAULT_ARRIVALS_PER_HOUR,
        workflows: Mapping[int, Sequence[str]] | None = None,
    ) -> None:
        if arrivals_per_hour < 0:
            raise ValueError(f"arrivals_per_hour must be zero or more, got {arrivals_per_hour}")
        self.seed = seed
        self.now = _to_epoch(clock_start)
        self.arrivals_per_hour = arrivals_per_hour
        self.lock = threading.RLock()
        self.campaigns: dict[int, Campaign] = {}
        layout = DEFAULT_CAMPAIGNS if campaigns is None else campaigns
        custom = workflows or {}
        for position, (campaign_id, size) in enumerate(layout.items()):
            if size < 0:
                raise ValueError(f"session count for campaign {campaign_id} must be zero or more, got {size}")
            specs: Sequence[PromptSpec] = template_for(position)
            if campaign_id in custom:
                specs = [PromptSpec(text, FREE_TEXT) for text in custom[campaign_id]]
            self.campaigns[campaign_id] = self._generate(campaign_id, specs, size)

    def _generate(self, campaign_id: int, specs: Sequence[PromptSpec], size: int) -> Campaign:
        rng = random.Random(f"{self.seed}:{campaign_id}:initial")
        campaign = Campaign(campaign_id, specs, rng.choice(AREA_CODES))
        if size == 0:
            return campaign
        campaign.receives_arrivals = True
        pool_size = max(1, int(size * SUBSCRIBERS_PER_SESSION))
        base_number = rng.randrange(1_000_000, 5_000_000)
        campaign.subscribers = [
            make_subscriber(rng, campaign.area_code, base_number + index) for index in range(pool_size)
        ]
        now = int(self.now)
        sessions = []
        for _ in range(size):
            subscriber = campaign.subscribers[int(rng.random() * pool_size)]
            window = RECENT_WINDOW if rng.random() < RECENT_SHARE else HISTORY_SECONDS
            start = now - int(rng.random() * window)
            sessions.append(make_session(rng, campaign.specs, start, subscriber))
        # A stable sort keeps generation order for equal starts, so ids stay deterministic.
        sessions.sort(key=lambda session: session.start)
        for session in sessions:
            campaign.append(session, self.now)
        return campaign

    def campaign(self, campaign_id: int) -> Campaign | None:
        """Return the campaign with this id, or None."""
        return self.campaigns.get(campaign_id)

    def _require(self, campaign_id: int) -> Campaign:
        campaign = self.campaigns.get(campaign_id)
        if campaign is None:
            raise KeyError(f"campaign {campaign_id} not found; known: {sorted(self.campaigns)}")
        return campaign

    def advance(self, seconds: float) -> None:
        """Move the clock forward: new sessions arrive and pending sessions get answers."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a finite number of at least 0, got {seconds}")
        with self.lock:
            previous = self.now
            self.now = previous + seconds
            for campaign in self.campaigns.values():
                self._reveal_pending(campaign)
                if campaign.receives_arrivals:
                    self._add_arrivals(campaign, previous, self.now)

    def _reveal_pending(self, campaign: Campaign) -> None:
        prompt_count = len(campaign.specs)
        for session in campaign.pending:
            session.reveal_until(self.now, prompt_count)
        campaign.pending = [session for session in campaign.pending if session.has_pending_answers]

    def _add_arrivals(self, campaign: Campaign, after: float, until: float) -> None:
        """Append the sessions that start in (after, until], hour by hour."""
        mean = self.arrivals_per_hour
        if mean == 0:
            return
        for hour in range(math.floor(after / HOUR), math.floor(until / HOUR) + 1):
            # The whole hour is drawn every time, so split advances see the same sessions.
            rng = random.Random(f"{self.seed}:{campaign.campaign_id}:arrivals:{hour}")
            count = rng.randint(0, round(2 * mean))
            offsets = sorted(rng.randrange(HOUR) for _ in range(count))
            for offset in offsets:
                start = hour * HOUR + offset
                session = self._arrival(rng, campaign, start)
                if after < start <= until:
                    campaign.append(session, self.now)

    def _arrival(self, rng: random.Random, campaign: Campaign, start: int) -> Session:
        if rng.random() < RETURNING_SHARE:
            subscriber = rng.choice(campaign.subscribers)
        else:
            subscriber = make_subscriber(rng, campaign.area_code, rng.randrange(10_000_000))
        return make_session(rng, campaign.specs, start, subscriber)

    def add_prompt(self, campaign_id: int, text: str) -> None:
        """Append a free-text prompt to a campaign's workflow.

        Existing sessions show "" for it, and sessions already planned keep their plan.
        New sessions may answer it.

        Raises:
            KeyError: The campaign does not exist.
            ValueError: The text is empty or already a prompt of this campaign.
        """
        with self.lock:
            campaign = self._require(campaign_id)
            if not isinstance(text, str) or not text:
                raise ValueError(f"prompt text must be a non-empty string, got {text!r}")
            if text in campaign.prompts:
                raise ValueError(f"campaign {campaign_id} already has the prompt {text!r}")
            campaign.specs.append(PromptSpec(text, FREE_TEXT))

    def prompts(self, campaign_id: int) -> list[str]:
        """Return the prompt texts of a campaign in workflow order."""
        with self.lock:
            return self._require(campaign_id).prompts

    def sessions(self, campaign_id: int) -> list[dict[str, Any]]:
        """Return the visible state of every session of a campaign, as plain dicts.

        This is the ground truth for tests. Answers not yet reached by the clock are absent.
        """
        with self.lock:
            campaign = self._require(campaign_id)
            prompts = campaign.prompts
            return [describe_session(session, prompts) for session in campaign.sessions]


def describe_session(session: Session, prompts: list[str]) -> dict[str, Any]:
    """Return a session's visible state as a plain dict."""
    answers: dict[str, dict[str, Any] | None] = {}
    dropped: list[str] = []
    for index, prompt in enumerate(prompts):
        if index < session.revealed:
            answer = session.answers[index]
            answers[prompt] = {"text": answer.text, "media": list(answer.media)}
            dropped.extend(answer.dropped_media)
        else:
            answers[prompt] = None
    subscriber = session.subscriber
    return {
        "session_id": session.session_id,
        "mobile_number": session.mobile,
        "session_start": session.start_text,
        "status": session.status,
        "name": subscriber.name,
        "email": subscriber.email,
        "custom1": subscriber.custom1,
        "custom2": subscriber.custom2,
        "custom3": subscriber.custom3,
        "custom4": subscriber.custom4,
        "dob": subscriber.dob,
        "answers": answers,
        "dropped_media": dropped,
        "last_answer_time": format_time(session.last_answer_time),
        "prompts_answered": session.revealed,
        "last_prompt_text": prompts[session.revealed - 1] if session.revealed else "",
    }
