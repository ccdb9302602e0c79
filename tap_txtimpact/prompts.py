"""Prompt column naming and prompt value decoding.

The Detail Report names one column per prompt after the prompt's text, and each value
is a JSON-encoded ``{"Text", "Media"}`` string. These functions turn those texts into
property names that SQL targets accept, and those values into plain objects. They are
pure: nothing here imports the SDK, the client or the streams.
"""

from __future__ import annotations

import hashlib
import json
import re
import typing as t
import unicodedata

import msgspec

#: Longest property name in bytes. PostgreSQL truncates identifiers at 63 bytes, and
#: the SDK's schema flattening appends ``__media`` (7 bytes) to object properties.
MAX_NAME_BYTES = 56

#: Length of the hexadecimal digest appended to keep a name unique or short.
HASH_LENGTH = 8

#: Words that PostgreSQL 17 (Appendix C, "reserved" and "reserved (can be function or
#: type)") or Snowflake ("Reserved & limited keywords") reject as plain identifiers.
RESERVED_WORDS = frozenset(
    """
    account all alter analyse analyze and any array as asc asymmetric authorization
    between binary both by case cast check collate collation column concurrently
    connect connection constraint create cross current current_catalog current_date
    current_role current_schema current_time current_timestamp current_user database
    default deferrable delete desc distinct do drop else end except exists false
    fetch following for foreign freeze from full gscluster grant group having ilike
    in increment initially inner insert intersect into is isnull issue join lateral
    leading left like limit localtime localtimestamp minus natural not notnull null
    of offset on only or order organization outer overlaps placing primary qualify
    references regexp returning revoke right rlike row rows sample schema select
    session_user set similar some start symmetric table tablesample then to trailing
    trigger true try_cast union unique update user using values variadic verbose
    view when whenever where window with
    """.split()
)

_NON_WORD = re.compile(r"[^a-z0-9]+")


def _hash_suffix(prompt_text: str) -> str:
    """Return a short digest of the exact prompt text."""
    digest = hashlib.sha1(prompt_text.encode("utf-8"), usedforsecurity=False)
    return digest.hexdigest()[:HASH_LENGTH]


def slugify_prompt(prompt_text: str) -> str:
    """Return the readable part of a prompt's property name.

    Accents are folded to ASCII, everything else that is not a letter or digit becomes
    one underscore, and the result is lowercase. A text with no letters or digits
    (emoji only, for example) gives ``prompt``; a leading digit gets a ``p_`` prefix;
    an SQL reserved word gets a ``_prompt`` suffix.
    """
    folded = unicodedata.normalize("NFKD", prompt_text)
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_WORD.sub("_", ascii_text).strip("_")

    if not slug:
        return "prompt"

    if slug[0].isdigit():
        slug = f"p_{slug}"

    if slug in RESERVED_WORDS:
        slug = f"{slug}_prompt"

    return slug


def _with_hash(slug: str, prompt_text: str) -> str:
    """Return ``slug`` shortened as needed and followed by the text's digest."""
    suffix = f"_{_hash_suffix(prompt_text)}"
    head = slug[: MAX_NAME_BYTES - len(suffix)].rstrip("_")
    return f"{head}{suffix}"


def name_prompt_properties(
    prompt_texts: t.Iterable[str],
    reserved_names: t.Iterable[str] = (),
    existing: t.Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each prompt text to a unique, SQL-safe property name.

    Texts are named in order, so a prompt appended to a workflow never renames the
    prompts before it. A name keeps the plain slug when that is short enough and not
    yet taken (case-insensitively, ``reserved_names`` included), and otherwise gets
    the first 8 hexadecimal digits of the SHA-1 of the exact text.

    Args:
        prompt_texts: Prompt texts in workflow order. Repeats are named once.
        reserved_names: Names already used by fixed properties.
        existing: Prompt texts already named (text to name), for example from a
            catalog. Their names are kept as they are.

    Returns:
        A dict from each prompt text to its property name, in input order.

    Raises:
        ValueError: If two different texts hash to the same name, which needs a
            SHA-1 prefix collision on top of a slug collision.
    """
    names: dict[str, str] = dict(existing or {})
    taken = {name.lower() for name in reserved_names}
    taken.update(name.lower() for name in names.values())

    for text in prompt_texts:
        if text in names:
            continue

        slug = slugify_prompt(text)
        name = slug
        if len(slug) > MAX_NAME_BYTES or slug in taken:
            name = _with_hash(slug, text)

        if name in taken:
            msg = (
                f"Cannot name prompt {text!r}: the name {name!r} is already used. "
                "Rename one of the prompts in the workflow."
            )
            raise ValueError(msg)

        names[text] = name
        taken.add(name)

    return names


class PromptAnswer(msgspec.Struct, frozen=True):
    """A decoded prompt value: the subscriber's text and media URLs.

    msgspec encodes it as the JSON object ``{"text": ..., "media": [...]}``.
    """

    text: str | None
    media: list[str]

    def as_record(self) -> dict[str, t.Any]:
        """Return the answer as a plain record property value."""
        return {"text": self.text, "media": self.media}


class PromptValueError(ValueError):
    """A prompt value that is not the documented JSON object.

    The answer is still returned, with the raw value as its text, so the caller can
    keep it and log a warning.
    """

    def __init__(self, reason: str, answer: PromptAnswer) -> None:
        super().__init__(reason)
        self.answer = answer


class _EncodedAnswer(msgspec.Struct):
    """The documented shape of a prompt value, for the fast decoding path."""

    Text: str | None = None
    Media: list[str] | None = None


_decode_documented = msgspec.json.Decoder(_EncodedAnswer).decode


def _media_list(media: t.Any) -> list[str]:  # noqa: ANN401
    """Return ``Media`` as a list of URL strings."""
    if media is None or media == "":
        return []

    if isinstance(media, str):
        return [media]

    if isinstance(media, list):
        return [str(url) for url in media if url not in (None, "")]

    return [str(media)]


def decode_prompt_value(raw: t.Any) -> PromptAnswer | None:  # noqa: ANN401
    """Decode one Detail Report prompt value.

    ``""`` (and ``null``) mean the prompt was not answered and give ``None``. A JSON
    object gives its ``Text`` (``None`` when empty) and ``Media`` list. A decoded JSON
    string or number is taken as the text.

    Raises:
        PromptValueError: If the value is not valid JSON or not one of the shapes
            above. Its ``answer`` keeps the raw value as text.
    """
    if raw is None or raw == "":
        return None

    if isinstance(raw, str):
        try:
            documented = _decode_documented(raw)
        except msgspec.DecodeError:
            pass
        else:
            media = documented.Media
            return PromptAnswer(
                text=documented.Text or None,
                media=[url for url in media if url] if media else [],
            )

    return _decode_other_shapes(raw)


def _decode_other_shapes(raw: t.Any) -> PromptAnswer:  # noqa: ANN401
    """Decode a value that is not the documented JSON object, or raise."""
    if isinstance(raw, dict):
        decoded: t.Any = raw
    elif isinstance(raw, str):
        try:
            decoded = json.loads(raw)
        except ValueError:
            reason = "not valid JSON"
            raise PromptValueError(reason, PromptAnswer(raw, [])) from None
    else:
        reason = f"a JSON {type(raw).__name__} instead of a JSON-encoded string"
        raise PromptValueError(reason, PromptAnswer(str(raw), []))

    if isinstance(decoded, dict):
        text = decoded.get("Text")
        return PromptAnswer(
            text=None if text in (None, "") else str(text),
            media=_media_list(decoded.get("Media")),
        )

    if isinstance(decoded, (str, int, float)) and not isinstance(decoded, bool):
        text = str(decoded)
        return PromptAnswer(text or None, [])

    reason = f"JSON {type(decoded).__name__} instead of an object"
    raise PromptValueError(reason, PromptAnswer(str(raw), []))
