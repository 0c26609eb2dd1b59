"""Server-rendered SVG charts (no JavaScript, no CDN). Text is escaped; numbers are ours."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def spend_against_cap_svg(
    *,
    series: list[tuple[date, Decimal]],
    cap: Decimal,
    start: date,
    end: date,
    title: str,
    description: str,
    width: int = 640,
    height: int = 260,
) -> SafeString:
    """Cumulative spend as a step line over the order's term, with the cap as a horizontal line.
    The cap and the dates are written the way the active language writes them."""
    left, right, top, bottom = 70, 20, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    days = max((end - start).days, 1)
    top_value = max([cap] + [value for _day, value in series]) or Decimal("1")

    def x(day: date) -> float:
        return left + plot_w * min(max((day - start).days, 0), days) / days

    def y(value: Decimal) -> float:
        return top + plot_h * (1 - float(value / top_value))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="chart">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#b1b4b6"/>',
    ]
    for fraction in (Decimal("0.5"), Decimal("0.8"), Decimal("0.9")):
        level = y(cap * fraction)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{level:.1f}" y2="{level:.1f}" '
                     f'stroke="#e5e6e7" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{left - 6}" y="{level + 4:.1f}" font-size="11" text-anchor="end" '
                     f'fill="#505a5f">{int(fraction * 100)}%</text>')
    cap_y = y(cap)
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{cap_y:.1f}" y2="{cap_y:.1f}" stroke="#d4351c" '
                 f'stroke-width="2"/>')
    parts.append(f'<text x="{left - 6}" y="{cap_y + 4:.1f}" font-size="11" text-anchor="end" fill="#d4351c">'
                 f'{escape(number_format(cap, 2, use_l10n=True, force_grouping=True))}</text>')
    if series:
        points = [(x(start), y(Decimal("0")))]
        previous = Decimal("0")
        for day, value in series:
            points.append((x(day), y(previous)))
            points.append((x(day), y(value)))
            previous = value
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1d70b8" stroke-width="2.5"/>')
        last_day, last_value = series[-1]
        parts.append(f'<circle cx="{x(last_day):.1f}" cy="{y(last_value):.1f}" r="4" fill="#1d70b8"/>')
    parts.append(f'<text x="{left}" y="{height - 12}" font-size="11" fill="#505a5f">'
                 f'{escape(date_format(start, "SHORT_DATE_FORMAT"))}</text>')
    parts.append(f'<text x="{left + plot_w}" y="{height - 12}" font-size="11" text-anchor="end" '
                 f'fill="#505a5f">{escape(date_format(end, "SHORT_DATE_FORMAT"))}</text>')
    parts.append(f'<text x="{left - 6}" y="{top + plot_h + 4}" font-size="11" text-anchor="end" fill="#505a5f">0</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
