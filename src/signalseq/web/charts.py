"""Server-rendered SVG charts (no JavaScript): horizontal bars with labels, and a line
of daily values."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR_HEIGHT = 22
LABEL_WIDTH = 260
BAR_WIDTH = 360


def bars(rows: list[tuple[str, float, str]], title: str) -> Markup:
    """``rows``: (label, value between 0 and 1, annotation shown after the bar)."""
    height = BAR_HEIGHT * len(rows) + 8
    width = LABEL_WIDTH + BAR_WIDTH + 140
    peak = max((v for _l, v, _a in rows), default=0) or 1
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, annotation) in enumerate(rows):
        y = 4 + index * BAR_HEIGHT
        length = 0 if value <= 0 else max(2, round(BAR_WIDTH * value / peak))
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{BAR_HEIGHT - 8}" '
            f'class="bar"><title>{escape(label)}: {escape(annotation)}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}" class="value">'
            f"{escape(annotation)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every piece of text above is escaped


def line(points: list[tuple[str, int]], title: str) -> Markup:
    """Daily counts as a polyline with the first and last day labelled."""
    width, height, pad = 620, 120, 24
    peak = max((v for _d, v in points), default=0) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = " ".join(
        f"{pad + i * step:.1f},{height - pad - (v / peak) * (height - 2 * pad):.1f}"
        for i, (_d, v) in enumerate(points)
    )
    first, last = (points[0][0], points[-1][0]) if points else ("", "")
    return Markup(  # noqa: S704 - the only text is escaped
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<polyline points="{coords}" class="line" fill="none"/>'
        f'<text x="{pad}" y="{height - 4}" class="label">{escape(first)}</text>'
        f'<text x="{width - pad}" y="{height - 4}" text-anchor="end" class="label">'
        f"{escape(last)}</text>"
        f'<text x="{pad}" y="14" class="label">max {peak}</text></svg>'
    )
