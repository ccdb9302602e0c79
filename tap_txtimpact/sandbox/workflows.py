"""Workflow templates and answer vocabularies for the sandbox's synthetic campaigns.

The prompt texts are chosen to be awkward as column names: punctuation, emoji, accents,
a text longer than 120 characters, two texts that differ only in case and punctuation,
a text close to a fixed column name, one that starts with a digit and SQL reserved words.
The default campaign layout uses every template, so every awkward case appears somewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

CHOICE = "choice"
FREE_TEXT = "text"
MEDIA = "media"


@dataclass(frozen=True)
class PromptSpec:
    """One workflow prompt: its text and how subscribers answer it."""

    text: str
    kind: str
    options: tuple[str, ...] = ()


FREE_TEXT_ANSWERS = (
    "Great service, thanks!",
    "Too slow at the checkout.",
    "Loved it 😊👍",
    "Très bien, merci beaucoup",
    "Ça va. Le café était froid.",
    'The "premium" plan is worth it',
    "Line one\nLine two",
    "n/a",
    "Staff were friendly; parking was hard to find & expensive.",
    "¡Excelente atención!",
    "10/10 would come again",
    "Backslash \\ and tab\tinside",
    "No comment",
    "日本語のテキスト",
)

NAME_ANSWERS = ("Jane", "José Álvarez", "Mary-Kate O'Neil", "李雷", "Sam", "Zoë")

_FEEDBACK = (
    PromptSpec("What is your age group?", CHOICE, ("18-24", "25-34", "35-44", "45-54", "55+")),
    PromptSpec("How satisfied are you overall? (1-5)", CHOICE, ("1", "2", "3", "4", "5")),
    PromptSpec("Your rating?", CHOICE, tuple(str(n) for n in range(1, 11))),
    PromptSpec("Your Rating!", CHOICE, ("Great", "OK", "Poor")),
    PromptSpec("Name?", FREE_TEXT, NAME_ANSWERS),
    PromptSpec("Please share a photo of your receipt", MEDIA),
    PromptSpec("Anything else? Tell us 😊 — comments, ideas, complaints…", FREE_TEXT),
)

_EVENT = (
    PromptSpec("1st time attending? Reply YES or NO", CHOICE, ("YES", "NO", "yes", "No")),
    PromptSpec("Select", CHOICE, ("Workshop A", "Workshop B", "Keynote")),
    PromptSpec("Order", CHOICE, ("Vegetarian", "Vegan", "Regular")),
    PromptSpec(
        "¿Cómo nos conociste? / Comment avez-vous entendu parler de nous ?",
        CHOICE,
        ("Amigo", "Réseaux sociaux", "Radio", "Otro"),
    ),
    PromptSpec(
        "Before we finish, please describe in your own words what you enjoyed most about "
        "the event, what we could improve next time, and whether you would recommend it "
        "to a friend or colleague.",
        FREE_TEXT,
    ),
    PromptSpec("Send us a short video or photo from the day (optional)", MEDIA),
)

_STORE_SURVEY = (
    PromptSpec("Which store did you visit?", CHOICE, ("Downtown", "Airport", "Mall", "Online")),
    PromptSpec(
        "How likely are you to recommend us to a friend? (0-10)",
        CHOICE,
        tuple(str(n) for n in range(11)),
    ),
    PromptSpec("What's the #1 thing we could improve?", FREE_TEXT),
    PromptSpec("Upload a picture of the product (jpg/png) or skip", MEDIA),
    PromptSpec("Thanks! Any final words?", FREE_TEXT),
)

TEMPLATES: tuple[tuple[PromptSpec, ...], ...] = (_FEEDBACK, _EVENT, _STORE_SURVEY)


def template_for(position: int) -> tuple[PromptSpec, ...]:
    """Return the workflow template for the campaign at this position in the layout."""
    return TEMPLATES[position % len(TEMPLATES)]
