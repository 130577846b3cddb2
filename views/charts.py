"""Charts drawn on the server as SVG: no script, no external service, nothing for the
Content-Security-Policy to allow (colours are presentation attributes, not styles).

Each chart is an image with a title for screen readers; the page puts the same figures in a
table beside it, which is what a screen reader reads and what the export holds.
"""

from __future__ import annotations

from markupsafe import Markup, escape

# Colours with at least 3:1 contrast against white (WCAG 1.4.11), told apart by hue.
PALETTE = ("#1f5f8b", "#b34700", "#2e7d32", "#6a1b9a", "#8d6e00", "#ad1457", "#00695c", "#4e342e")
WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
AXIS = "#555555"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _nice_top(value: float) -> float:
    """A round number at or above `value` for the axis's top."""
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= step * factor:
            return step * factor
    return step * 10


def _frame(title: str, body: list[str], labels: list[str], top: float, number) -> Markup:
    """The SVG around a chart's shapes: title, value axis with three ticks, category labels."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="kp-chart" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for fraction in (0, 0.5, 1):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="{AXIS}">{escape(number(top * fraction))}</text>'
        )
    parts.extend(body)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for i, text in enumerate(labels):
        x = LEFT + slot * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="12" '
            f'fill="{AXIS}">{escape(text)}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_bars(title: str, labels: list[str], series: list[list[float]], number) -> Markup:
    """One bar a label, each series a segment of it, stacked in the series' order."""
    totals = [sum(v or 0 for v in column) for column in zip(*series, strict=True)] or [0]
    top = _nice_top(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    body = []
    for i in range(len(labels)):
        base = 0.0
        for s, values in enumerate(series):
            value = values[i] or 0
            if not value:
                continue
            y = TOP + plot_h * (1 - (base + value) / top)
            h = plot_h * value / top
            body.append(
                f'<rect x="{LEFT + slot * i + slot * 0.15:.1f}" y="{y:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour(s)}"/>'
            )
            base += value
    return _frame(title, body, labels, top, number)


def grouped_bars(title: str, labels: list[str], series: list[list[float | None]], number):
    """One bar a series side by side for each label; a missing value draws nothing."""
    values = [v for column in series for v in column if v is not None]
    top = _nice_top(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = slot * 0.8 / max(len(series), 1)
    body = []
    for s, column in enumerate(series):
        for i, value in enumerate(column):
            if not value:
                continue
            h = plot_h * value / top
            body.append(
                f'<rect x="{LEFT + slot * i + slot * 0.1 + width * s:.1f}" '
                f'y="{TOP + plot_h - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{colour(s)}"/>'
            )
    return _frame(title, body, labels, top, number)
