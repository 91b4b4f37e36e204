"""Small inline SVG charts drawn on the server (no chart framework, no script)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 320, 120, 24


@dataclass(frozen=True)
class Series:
    label: str
    points: list[float | None]  # oldest first; None = not measured at that visit
    css: str


def _y(value: float, low: float, high: float) -> float:
    return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)


def trend_svg(
    dates: list[str], series: list[Series], *, low: float, high: float, guides: tuple[float, ...] = ()
) -> str:
    """A line per series over visit dates, with dashed guide lines (e.g. targets), as SVG markup."""
    n = len(dates)
    if n == 0:
        return ""
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)
    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" class="trend" role="img" aria-label="trend">']
    for guide in guides:
        y = _y(guide, low, high)
        parts.append(
            f'<line x1="{PAD}" x2="{WIDTH - PAD}" y1="{y:.1f}" y2="{y:.1f}" class="guide"/>'
            f'<text x="2" y="{y + 4:.1f}" class="axis">{guide:g}</text>'
        )
    for s in series:
        coords = [
            (PAD + i * step, _y(min(max(v, low), high), low, high)) for i, v in enumerate(s.points) if v is not None
        ]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline points="{path}" class="{s.css}"/>')
            parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" class="{s.css}"/>' for x, y in coords]
    parts.append(f'<text x="{PAD}" y="{HEIGHT - 4}" class="axis">{dates[0]}</text>')
    if n > 1:
        parts.append(f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" class="axis" text-anchor="end">{dates[-1]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar_svg(label: str, counts: dict[str, int], href: str | None) -> str:
    """One horizontal bar split by tier (red, yellow, green), each part labelled with its count."""
    total = sum(counts.values()) or 1
    x, parts = 0.0, [f'<svg viewBox="0 0 300 22" class="bar" role="img" aria-label="{label}">']
    for tier in ("red", "yellow", "green"):
        width = counts.get(tier, 0) / total * 300
        if width:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{width:.1f}" height="22" class="{tier}"/>')
            if width > 24:
                parts.append(f'<text x="{x + 4:.1f}" y="15" class="count">{counts[tier]}</text>')
        x += width
    parts.append("</svg>")
    svg = "".join(parts)
    return f'<a href="{href}">{svg}</a>' if href else svg
