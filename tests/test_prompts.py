"""Prompt property naming and prompt value decoding."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from tap_txtimpact.prompts import (
    MAX_NAME_BYTES,
    RESERVED_WORDS,
    PromptAnswer,
    PromptValueError,
    decode_prompt_value,
    name_prompt_properties,
    slugify_prompt,
)
from tap_txtimpact.schemas import DETAIL_FIXED_NAMES

NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")

LONG_PROMPT = (
    "Thinking about every visit you made to any of our stores during the last twelve "
    "months, how likely are you to recommend us to a friend or a colleague?"
)


def digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("What is your age group?", "what_is_your_age_group"),
        ("Please share a photo of your receipt", "please_share_a_photo_of_your_receipt"),
        ("¿Cuál es tu café favorito?", "cual_es_tu_cafe_favorito"),
        ("Rate us 😀 from 1-5!!!", "rate_us_from_1_5"),
        ("😀🎉", "prompt"),
        ("   ", "prompt"),
        ("1st choice?", "p_1st_choice"),
        ("Select", "select_prompt"),
        ("ORDER", "order_prompt"),
        ("user", "user_prompt"),
        ("Straße & Öl", "strae_ol"),
        ("__private__", "private"),
    ],
)
def test_slug_cases(prompt: str, expected: str) -> None:
    assert slugify_prompt(prompt) == expected


@pytest.mark.parametrize(
    ("prompts", "expected"),
    [
        # Texts that differ only in case or punctuation: the first keeps the slug.
        (
            ["Your rating?", "Your Rating!"],
            {"Your rating?": "your_rating", "Your Rating!": f"your_rating_{digest('Your Rating!')}"},
        ),
        # A text whose slug equals a fixed column gets the hash.
        (["Name?"], {"Name?": f"name_{digest('Name?')}"}),
        (["E-mail", "Email"], {"E-mail": "e_mail", "Email": f"email_{digest('Email')}"}),
        # A text too long for 56 bytes is cut and hashed.
        (
            [LONG_PROMPT],
            {LONG_PROMPT: slugify_prompt(LONG_PROMPT)[: MAX_NAME_BYTES - 9].rstrip("_") + "_" + digest(LONG_PROMPT)},
        ),
        # Two emoji-only texts.
        (["👍", "👎"], {"👍": "prompt", "👎": f"prompt_{digest('👎')}"}),
        # A repeated text is named once.
        (["Why?", "Why?"], {"Why?": "why"}),
    ],
)
def test_name_cases(prompts: list[str], expected: dict[str, str]) -> None:
    assert name_prompt_properties(prompts, reserved_names=DETAIL_FIXED_NAMES) == expected


HARD_PROMPTS = [
    "Name?",
    "name",
    "NAME!",
    "Email",
    "Session Id",
    "dob",
    "Select",
    "from",
    "1. How old are you?",
    "123",
    "Your rating?",
    "Your Rating!",
    "your-rating",
    "Café?",
    "Cafe?",
    "😀",
    "🎉",
    LONG_PROMPT,
    LONG_PROMPT + "!",
    LONG_PROMPT.upper(),
    "x" * 300,
    "Ünïcödé ẞ ﬁ ligatures",
]


def test_hard_names_are_sql_safe() -> None:
    names = name_prompt_properties(HARD_PROMPTS, reserved_names=DETAIL_FIXED_NAMES)
    for prompt, name in names.items():
        assert NAME_PATTERN.match(name), (prompt, name)
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES, (prompt, name)
        assert name not in RESERVED_WORDS, (prompt, name)
        assert "__" not in name, (prompt, name)


def test_hard_names_are_unique_with_fixed() -> None:
    names = name_prompt_properties(HARD_PROMPTS, reserved_names=DETAIL_FIXED_NAMES)
    lowered = [name.lower() for name in names.values()] + list(DETAIL_FIXED_NAMES)
    assert len(set(lowered)) == len(lowered)


def test_names_stable_across_discoveries() -> None:
    first = name_prompt_properties(HARD_PROMPTS, reserved_names=DETAIL_FIXED_NAMES)
    second = name_prompt_properties(list(HARD_PROMPTS), reserved_names=DETAIL_FIXED_NAMES)
    assert first == second


def test_appended_prompt_renames_nothing() -> None:
    before = name_prompt_properties(HARD_PROMPTS, reserved_names=DETAIL_FIXED_NAMES)
    after = name_prompt_properties([*HARD_PROMPTS, "name", "A new question?"], reserved_names=DETAIL_FIXED_NAMES)
    for prompt, name in before.items():
        assert after[prompt] == name
    assert after["A new question?"] == "a_new_question"


def test_existing_names_are_kept() -> None:
    existing = {"Old prompt": "custom_name"}
    names = name_prompt_properties(["Old prompt", "custom name"], existing=existing)
    assert names["Old prompt"] == "custom_name"
    assert names["custom name"] == f"custom_name_{digest('custom name')}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        (None, None),
        ('{"Text":"25-34","Media":[]}', PromptAnswer("25-34", [])),
        (
            '{"Text":"","Media":["https://cdn.example.com/mms/receipt_abc.jpg"]}',
            PromptAnswer(None, ["https://cdn.example.com/mms/receipt_abc.jpg"]),
        ),
        (
            json.dumps({"Text": "both", "Media": ["https://a.test/1.jpg", "https://a.test/2.mp4"]}),
            PromptAnswer("both", ["https://a.test/1.jpg", "https://a.test/2.mp4"]),
        ),
        ('{"Text":"no media key"}', PromptAnswer("no media key", [])),
        ('{"Media":null,"Text":null}', PromptAnswer(None, [])),
        ('{"Text":"single","Media":"https://a.test/x.png"}', PromptAnswer("single", ["https://a.test/x.png"])),
        ('{"Text":"Ünïcödé 😀","Media":[]}', PromptAnswer("Ünïcödé 😀", [])),
        ('"just a string"', PromptAnswer("just a string", [])),
        ("42", PromptAnswer("42", [])),
        ({"Text": "already decoded", "Media": []}, PromptAnswer("already decoded", [])),
    ],
)
def test_decode_value_shapes(raw: object, expected: PromptAnswer | None) -> None:
    assert decode_prompt_value(raw) == expected


@pytest.mark.parametrize("raw", ['{"Text": "cut off', "not json at all", "[1, 2]", "true"])
def test_decode_invalid_keeps_text(raw: str) -> None:
    with pytest.raises(PromptValueError) as caught:
        decode_prompt_value(raw)
    assert caught.value.answer == PromptAnswer(raw, [])


def test_answer_as_record() -> None:
    assert PromptAnswer("a", ["u"]).as_record() == {"text": "a", "media": ["u"]}
