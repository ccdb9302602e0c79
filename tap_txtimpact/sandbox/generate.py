"""Seeded generation of subscribers, sessions and answers for the sandbox.

Every function here takes its `random.Random` from the caller, so the same seed always
produces the same data. Generation is tuned for speed because benchmarks ask for tens of
thousands of sessions: answers without media reuse one encoded string per distinct text.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from tap_txtimpact.sandbox.timestamps import format_time
from tap_txtimpact.sandbox.workflows import (
    CHOICE,
    FREE_TEXT_ANSWERS,
    MEDIA,
    PromptSpec,
)

MEDIA_HOST = "https://cdn.example.com/mms/"
MEDIA_EXTENSIONS = (".jpg", ".png", ".mp4")

# Share of planned outcomes for a new session. The rest get no answer at all.
COMPLETED_SHARE = 0.6
INCOMPLETE_SHARE = 0.25

FIRST_ANSWER_MAX_DELAY = 1800  # seconds from session start to the first answer
NEXT_ANSWER_MAX_DELAY = 7200  # seconds between two answers of one session

FIRST_NAMES = ("Jane", "John", "José", "Zoë", "Mary-Kate", "Li", "Amélie", "Omar", "Priya")
LAST_NAMES = ("Doe", "Smith", "Álvarez", "O'Neil", "Wang", "Dubois", "Haddad", "Patel")
CITIES = ("Austin", "Zürich", "São Paulo", "Montréal", "Boston", "")
PLANS = ("Gold", "Silver", "Bronze", "")
AREA_CODES = ("415", "212", "312", "646", "305", "206")


@dataclass(frozen=True)
class Subscriber:
    """A subscriber's profile as the Detail Report shows it."""

    digits: str
    name: str
    email: str
    custom1: str
    custom2: str
    custom3: str
    custom4: str
    dob: str


class Answer(NamedTuple):
    """One answer: text, kept media URLs, dropped `.txt` URLs and the encoded column value."""

    text: str
    media: tuple[str, ...]
    dropped_media: tuple[str, ...]
    encoded: str


class Session:
    """One workflow session: its profile, its planned answers and how many are revealed.

    `answers` and `answer_times` hold the whole plan, including answers whose time is
    still after the sandbox clock. Only the first `revealed` entries are visible.
    """

    __slots__ = (
        "answer_times",
        "answers",
        "last_answer_time",
        "mobile",
        "order_key",
        "revealed",
        "session_id",
        "start",
        "start_text",
        "status",
        "subscriber",
    )

    def __init__(
        self,
        mobile: str,
        start: int,
        subscriber: Subscriber,
        answers: list[Answer],
        answer_times: list[int],
    ) -> None:
        self.session_id = ""
        self.order_key = 0
        self.mobile = mobile
        self.start = start
        self.start_text = format_time(start)
        self.subscriber = subscriber
        self.answers = answers
        self.answer_times = answer_times
        self.revealed = 0
        self.status = "P"
        self.last_answer_time = start

    def reveal_until(self, now: float, prompt_count: int) -> None:
        """Make visible every planned answer whose time is at or before `now`.

        The status becomes C when the answer to the workflow's last prompt is revealed.
        """
        times = self.answer_times
        count = self.revealed
        while count < len(times) and times[count] <= now:
            count += 1
        if count == self.revealed:
            return
        self.revealed = count
        self.last_answer_time = times[count - 1]
        if count >= prompt_count:
            self.status = "C"

    @property
    def has_pending_answers(self) -> bool:
        """Whether planned answers remain that the clock has not reached yet."""
        return self.revealed < len(self.answer_times)


_encoded_texts: dict[str, str] = {}
_text_only_answers: dict[str, Answer] = {}


def _encode_text(text: str) -> str:
    encoded = _encoded_texts.get(text)
    if encoded is None:
        encoded = json.dumps(text, ensure_ascii=False)
        _encoded_texts[text] = encoded
    return encoded


def encode_answer(text: str, media: tuple[str, ...]) -> str:
    """Encode an answer as the JSON string that the Detail Report puts in a prompt column.

    The string is assembled by hand, because a `json.dumps` call per answer dominated
    the generation time of large campaigns. Media URLs never need escaping, since they
    are built here from a host, a hex token and an extension.
    """
    urls = ",".join(f'"{url}"' for url in media)
    return f'{{"Text":{_encode_text(text)},"Media":[{urls}]}}'


def text_only_answer(text: str) -> Answer:
    """Return the shared `Answer` for a text without media."""
    answer = _text_only_answers.get(text)
    if answer is None:
        answer = Answer(text, (), (), encode_answer(text, ()))
        _text_only_answers[text] = answer
    return answer


def _pick(rng: random.Random, options: Sequence[str]) -> str:
    # Faster than rng.choice, which matters for tens of thousands of sessions.
    return options[int(rng.random() * len(options))]


def make_subscriber(rng: random.Random, area_code: str, number: int) -> Subscriber:
    """Create a subscriber with a unique number and a partly empty profile."""
    name = ""
    if rng.random() < 0.8:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    email = ""
    if rng.random() < 0.7:
        local = name.split(" ")[0].lower() if name else "anon"
        email = f"{local}.{number % 100000}@example.com"
    dob = ""
    if rng.random() < 0.6:
        dob = f"{rng.randint(1950, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return Subscriber(
        digits=f"1{area_code}{number % 10_000_000:07d}",
        name=name,
        email=email,
        custom1=rng.choice(CITIES),
        custom2=rng.choice(PLANS),
        custom3="VIP" if rng.random() < 0.1 else "",
        custom4=f"{rng.randint(10000, 99999)}" if rng.random() < 0.3 else "",
        dob=dob,
    )


def _make_media(rng: random.Random) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (kept URLs, dropped `.txt` URLs) for one answer with attachments."""
    token = f"{rng.getrandbits(48):012x}"
    roll = rng.random()
    if roll < 0.04:
        return (), (f"{MEDIA_HOST}{token}.txt",)
    kept = [f"{MEDIA_HOST}{token}{_pick(rng, MEDIA_EXTENSIONS)}"]
    if roll < 0.3:
        kept.append(f"{MEDIA_HOST}{token}b{_pick(rng, MEDIA_EXTENSIONS)}")
    dropped: tuple[str, ...] = ()
    if roll > 0.85:
        dropped = (f"{MEDIA_HOST}{token}.txt",)
    return tuple(kept), dropped


def make_answer(rng: random.Random, spec: PromptSpec) -> Answer:
    """Create one answer to `spec`: text only, text with media, or media only."""
    text = _pick(rng, spec.options or FREE_TEXT_ANSWERS)
    roll = rng.random()
    if spec.kind == MEDIA:
        attach_share = 0.8
        if roll < 0.5:
            text = ""
    else:
        attach_share = 0.06 if spec.kind == CHOICE else 0.1
    if roll >= attach_share:
        return text_only_answer(text)
    media, dropped = _make_media(rng)
    return Answer(text, media, dropped, encode_answer(text, media))


def planned_answer_count(rng: random.Random, prompt_count: int) -> int:
    """Draw how many prompts a new session will answer in the end."""
    roll = rng.random()
    if roll < COMPLETED_SHARE:
        return prompt_count
    if roll < COMPLETED_SHARE + INCOMPLETE_SHARE:
        # A one-prompt workflow cannot be left incomplete, so that session completes.
        return rng.randint(1, prompt_count - 1) if prompt_count > 1 else prompt_count
    return 0


def make_session(
    rng: random.Random,
    specs: tuple[PromptSpec, ...] | list[PromptSpec],
    start: int,
    subscriber: Subscriber,
) -> Session:
    """Create a session that starts at `start` with a full plan of answers and answer times.

    Answers follow the workflow order, and each answer time is later than the previous one.
    """
    count = planned_answer_count(rng, len(specs))
    answers = [make_answer(rng, specs[index]) for index in range(count)]
    times = []
    moment = start
    for index in range(count):
        delay = NEXT_ANSWER_MAX_DELAY if index else FIRST_ANSWER_MAX_DELAY
        moment += 5 + int(rng.random() * delay)
        times.append(moment)
    mobile = "+" + subscriber.digits if rng.random() < 0.3 else subscriber.digits
    return Session(mobile, start, subscriber, answers, times)
