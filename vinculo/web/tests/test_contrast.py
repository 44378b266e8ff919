"""The stylesheet's colour pairs meet WCAG 2.2 AA contrast (4.5:1 for text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "vinculo.css"

# (text colour, background colour): every pair the stylesheet uses for text.
PAIRS = [
    ("--ink", "--paper"),
    ("--ink", "--wash"),
    ("--ink-soft", "--paper"),
    ("--ink-soft", "--wash"),
    ("--brand", "--paper"),
    ("--brand", "--wash"),
    ("--brand-dark", "--info-wash"),
    ("#ffffff", "--brand"),
    ("#ffffff", "--brand-dark"),
    ("#ffffff", "--bad"),
    ("--ok", "--ok-wash"),
    ("--warn", "--warn-wash"),
    ("--bad", "--bad-wash"),
    ("--bad", "--paper"),
    ("#3a2a00", "--accent"),
]


def _variables() -> dict[str, str]:
    return dict(re.findall(r"(--[a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS.read_text(encoding="utf-8")))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_meet_aa(text: str, background: str) -> None:
    colours = _variables()
    foreground = colours.get(text, text)
    behind = colours.get(background, background)
    ratio = contrast(foreground, behind)
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"
