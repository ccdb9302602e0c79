"""The README's settings table matches what the tap reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- settings:start -->"
END = "<!-- settings:end -->"


def about_settings_table() -> list[str]:
    about = subprocess.run(
        [sys.executable, "-m", "tap_txtimpact.tap", "--about", "--format=markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = about.split("## Settings", 1)[1].strip().splitlines()
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append(line)
    return table


def readme_settings_table() -> list[str]:
    text = README.read_text(encoding="utf-8")
    block = text.split(START, 1)[1].split(END, 1)[0]
    return [line for line in block.strip().splitlines() if line]


def test_readme_settings_match_about() -> None:
    assert readme_settings_table() == about_settings_table()
