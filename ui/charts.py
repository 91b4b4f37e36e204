"""Small inline SVG charts drawn on the server (no chart framework, no script).

Every text that goes into the markup (labels, dates, links, class names) is escaped here, so the
charts are `Markup` that templates print as they are: an area name loaded from a county's CSV
cannot become markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 320, 120, 24


@dataclass(frozen=True)
class Series:
    label: str
    points: list[float | None]  # oldest first; None = not measured at that visit
    css: str


def _y(value: float, low: float, high: float) -> float:
    return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)


def trend_svg(
    dates: list[str], series: list[Series], *, low: float, high: float, guides: tuple[float, ...] = (), label: str
) -> Markup:
    """A line per series over visit dates, with dashed guide lines (e.g. targets), as SVG markup."""
    n = len(dates)
    if n == 0:
        return Markup("")
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)
    parts = [Markup('<svg viewBox="0 0 {} {}" class="trend" role="img" aria-label="{}">').format(WIDTH, HEIGHT, label)]
    for guide in guides:
        y = _y(guide, low, high)
        parts.append(
            Markup(
                '<line x1="{pad}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="guide"/>'
                '<text x="2" y="{text_y:.1f}" class="axis">{guide:g}</text>'
            ).format(pad=PAD, right=WIDTH - PAD, y=y, text_y=y + 4, guide=guide)
        )
    for s in series:
        coords = [
            (PAD + i * step, _y(min(max(v, low), high), low, high)) for i, v in enumerate(s.points) if v is not None
        ]
        if coords:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(Markup('<polyline points="{}" class="{}"/>').format(path, s.css))
            parts += [
                Markup('<circle cx="{:.1f}" cy="{:.1f}" r="2.5" class="{}"/>').format(x, y, s.css) for x, y in coords
            ]
    parts.append(Markup('<text x="{}" y="{}" class="axis">{}</text>').format(PAD, HEIGHT - 4, dates[0]))
    if n > 1:
        parts.append(
            Markup('<text x="{}" y="{}" class="axis" text-anchor="end">{}</text>').format(
                WIDTH - PAD, HEIGHT - 4, dates[-1]
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def stacked_bar_svg(label: str, counts: dict[str, int], tiers: tuple[str, ...], href: str | None) -> Markup:
    """One horizontal bar split by tier (in the order given), each part labelled with its count."""
    total = sum(counts.values()) or 1
    x, parts = 0.0, [Markup('<svg viewBox="0 0 300 22" class="bar" role="img" aria-label="{}">').format(label)]
    for tier in tiers:
        width = counts.get(tier, 0) / total * 300
        if width:
            parts.append(
                Markup('<rect x="{:.1f}" y="0" width="{:.1f}" height="22" class="{}"/>').format(x, width, tier)
            )
            if width > 24:
                parts.append(Markup('<text x="{:.1f}" y="15" class="count">{}</text>').format(x + 4, counts[tier]))
        x += width
    parts.append(Markup("</svg>"))
    svg = Markup("").join(parts)
    return Markup('<a href="{}">{}</a>').format(href, svg) if href else svg
