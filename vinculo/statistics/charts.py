"""Charts as inline SVG drawn on the server: they work offline, print, and need no script.

Pure: plain data in, SVG text out (escaped here). Colours come from CSS classes (the Okabe-Ito
palette, in static/statistics/statistics.css), never from style attributes, which the Content
Security Policy refuses; every bar carries its value as a direct label, and bars of different
series also differ by a pattern, so no reading depends on colour. Each chart has a title and a
description for screen readers; the page shows its data table next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAR = 22  # height of one bar
GAP = 8  # space between bars
LABEL_WIDTH = 220  # the bars' labels on the left
PLOT_WIDTH = 360  # the longest bar
VALUE_WIDTH = 80  # the direct label after the bar
PATTERNS = 4  # hatching patterns cycled with the colours


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when the value is hidden) and the text shown for it."""

    label: str
    value: int | float | None
    shown: str  # e.g. "12", "<5", "x"


def _defs(chart_id: str) -> str:
    """Hatching patterns, one per series beyond the first; the lines take the series' colour from CSS."""
    paths = [
        "M0,8 L8,0",  # diagonal
        "M0,4 L8,4",  # horizontal
        "M4,0 L4,8",  # vertical
        "M0,0 L8,8",  # other diagonal
    ]
    patterns = "".join(
        f'<pattern id="{chart_id}-p{n}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<path class="chart-hatch" d="{d}"/></pattern>'
        for n, d in enumerate(paths)
    )
    return f"<defs>{patterns}</defs>"


def bar_chart(*, chart_id: str, title: str, description: str, units: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars, one per label, each with its value written after it; hidden values drawn as no bar."""
    height = len(bars) * (BAR + GAP) + 48
    width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH
    largest = max((b.value for b in bars if b.value is not None), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        _defs(chart_id),
        f'<text class="chart-units" x="{LABEL_WIDTH}" y="14">{escape(units)}</text>',
        f'<line class="chart-axis" x1="{LABEL_WIDTH}" y1="22" x2="{LABEL_WIDTH}" y2="{height - 8}"/>',
    ]
    for n, bar in enumerate(bars):
        y = 28 + n * (BAR + GAP)
        series = n % 8 + 1
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 6}" y="{y + BAR * 0.7:.1f}">{escape(bar.label)}</text>'
        )
        if bar.value is not None and bar.value > 0:
            length = max(1.0, PLOT_WIDTH * bar.value / largest)
            parts.append(
                f'<rect class="chart-bar chart-series-{series}" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{length:.1f}" height="{BAR}"/>'
            )
            if n % PATTERNS or n >= PATTERNS:  # the first bar plain, the others hatched
                parts.append(
                    f'<rect class="chart-pattern" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}" '
                    f'fill="url(#{chart_id}-p{n % PATTERNS})"/>'
                )
        else:
            length = 0.0
        parts.append(
            f'<text class="chart-value" x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR * 0.7:.1f}">'
            f"{escape(bar.shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
