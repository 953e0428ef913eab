"""Charts as inline SVG, drawn on the server: no script, no chart library, no request.

Each chart is an `<svg role="img">` with a title and a description naming what it
shows; colours come from classes in the stylesheet (the CSP allows no inline style),
and every number shown is also in a table on the same page. Every text placed in an
SVG is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape

from orgair_gateway.dashboard.labels import label

__all__ = [
    "EBITDA_SCENARIOS",
    "QUARTILES",
    "HistoryPoint",
    "QuartileRow",
    "dimension_chart",
    "ebitda_scenarios",
    "history_chart",
    "quartile_chart",
    "scenario_chart",
    "share_chart",
]

QUARTILES = ("Q1", "Q2", "Q3", "Q4")
WIDTH = 720


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(
    chart_id: str,
    height: float,
    title: str,
    description: str,
    body: list[str],
    *,
    width: float = WIDTH,
) -> Markup:
    head = (
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text escaped above)


def _label(text: str) -> str:
    return str(escape(label(text)))


def _legend(items: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    parts = []
    for css, text in items:
        parts.append(f'<rect x="{_f(x)}" y="{_f(y - 10)}" width="12" height="12" class="{css}"/>')
        parts.append(f'<text x="{_f(x + 17)}" y="{_f(y)}" class="legend">{escape(text)}</text>')
        x += 26 + 7.5 * len(text)
    return parts


@dataclass(frozen=True)
class QuartileRow:
    sector: str
    counts: Mapping[str, int]
    unscored: int

    @property
    def total(self) -> int:
        return sum(self.counts.get(q, 0) for q in QUARTILES) + self.unscored


def quartile_chart(rows: Sequence[QuartileRow], chart_id: str = "quartiles") -> Markup:
    """Per sector, its members by within-sector quartile (100 % stacked bars)."""
    label_w, bar_w, row_h, top = 170.0, 450.0, 30.0, 34.0
    body = _legend([(f"q{i + 1}", q) for i, q in enumerate(QUARTILES)] + [("unscored", "unscored")],
                   label_w, 18)  # fmt: skip
    for index, row in enumerate(rows):
        y = top + index * row_h
        body.append(
            f'<text x="{_f(label_w - 8)}" y="{_f(y + 13)}" class="axis" text-anchor="end">'
            f"{_label(row.sector)}</text>"
        )
        x = label_w
        segments = [(f"q{i + 1}", q, row.counts.get(q, 0)) for i, q in enumerate(QUARTILES)]
        segments.append(("unscored", "unscored", row.unscored))
        for css, name, count in segments:
            if not count or not row.total:
                continue
            width = bar_w * count / row.total
            body.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(width)}" height="18" class="{css}">'
                f"<title>{_label(row.sector)} {escape(name)}: {count:,}</title></rect>"
            )
            if width >= 26:
                body.append(
                    f'<text x="{_f(x + width / 2)}" y="{_f(y + 13)}" text-anchor="middle" '
                    f'class="inbar {css}-text">{count:,}</text>'
                )
            x += width
        body.append(
            f'<text x="{_f(label_w + bar_w + 8)}" y="{_f(y + 13)}" class="axis">'
            f"{row.total:,} {'company' if row.total == 1 else 'companies'}</text>"
        )
    height = top + max(1, len(rows)) * row_h
    description = (
        "; ".join(
            f"{row.sector}: "
            + ", ".join(f"{q} {row.counts.get(q, 0)}" for q in QUARTILES)
            + f", unscored {row.unscored}"
            for row in rows
        )
        or "No members."
    )
    return _svg(chart_id, height, "Members by within-sector quartile", description, body)


def share_chart(
    shares: Sequence[tuple[str, float, int]], chart_id: str = "sector-shares"
) -> Markup:
    """Each sector's share of the fund's enterprise value (0..1), as horizontal bars on
    an axis from 0 to the next 10 % above the largest share (ticks say where)."""
    label_w, bar_w, row_h, top = 150.0, 380.0, 26.0, 8.0
    largest = max((share for _, share, _ in shares), default=0.0)
    scale = min(1.0, max(0.1, math.ceil(largest * 10 - 1e-9) / 10))
    bottom = top + max(1, len(shares)) * row_h
    body: list[str] = []
    for tick in (0.0, scale / 2, scale):
        x = label_w + bar_w * tick / scale
        body.append(
            f'<line x1="{_f(x)}" y1="{_f(top - 4)}" x2="{_f(x)}" y2="{_f(bottom)}" class="grid"/>'
            f'<text x="{_f(x)}" y="{_f(bottom + 14)}" text-anchor="middle" class="axis">'
            f"{tick * 100:.0f} %</text>"
        )
    for index, (sector, share, companies) in enumerate(shares):
        y = top + index * row_h
        body.append(
            f'<text x="{_f(label_w - 8)}" y="{_f(y + 13)}" class="axis" text-anchor="end">'
            f"{_label(sector)}</text>"
        )
        width = max(0.0, min(1.0, share / scale)) * bar_w
        body.append(
            f'<rect x="{_f(label_w)}" y="{_f(y)}" width="{_f(max(width, 1))}" height="16" '
            f'class="share"><title>{_label(sector)}: {share * 100:.1f} % of EV, '
            f"{companies:,} companies</title></rect>"
        )
        body.append(
            f'<text x="{_f(label_w + width + 6)}" y="{_f(y + 13)}" class="axis">'
            f"{share * 100:.1f} %</text>"
        )
    description = "; ".join(f"{s}: {share * 100:.1f} %" for s, share, _ in shares) or "No EV."
    return _svg(chart_id, bottom + 22, "Share of enterprise value by sector", description, body,
                width=600)  # fmt: skip


def _axis_0_100(x0: float, width: float, y_top: float, y_bottom: float) -> list[str]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        x = x0 + width * tick / 100
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(y_top)}" x2="{_f(x)}" y2="{_f(y_bottom)}" class="grid"/>'
        )
        parts.append(
            f'<text x="{_f(x)}" y="{_f(y_bottom + 14)}" text-anchor="middle" class="axis">'
            f"{tick}</text>"
        )
    return parts


def dimension_chart(
    dimensions: Sequence[tuple[str, float | None, float | None]],
    *,
    first: str = "current approved",
    second: str = "pending review",
    chart_id: str = "dimensions",
) -> Markup:
    """The seven dimension scores (0..100); a second bar per dimension when given."""
    has_second = any(value is not None for _, _, value in dimensions)
    label_w, bar_w, top = 190.0, 440.0, 30.0
    row_h = 34.0 if has_second else 26.0
    bottom = top + len(dimensions) * row_h
    legend = [("series-a", first)] + ([("series-b", second)] if has_second else [])
    body = _legend(legend, label_w, 16)
    body += _axis_0_100(label_w, bar_w, top - 4, bottom)
    for index, (name, value_a, value_b) in enumerate(dimensions):
        y = top + index * row_h
        body.append(
            f'<text x="{_f(label_w - 8)}" y="{_f(y + 13)}" class="axis" text-anchor="end">'
            f"{_label(name)}</text>"
        )
        bars = [("series-a", first, value_a, y + 2)]
        if has_second:
            bars.append(("series-b", second, value_b, y + 16))
        for css, series, value, bar_y in bars:
            if value is None:
                continue
            width = bar_w * max(0.0, min(100.0, value)) / 100
            height = 12 if has_second else 16
            body.append(
                f'<rect x="{_f(label_w)}" y="{_f(bar_y)}" width="{_f(max(width, 1))}" '
                f'height="{height}" class="bar {css}"><title>{_label(name)} ({escape(series)}): '
                f"{value:.1f}</title></rect>"
            )
            body.append(
                f'<text x="{_f(label_w + width + 6)}" y="{_f(bar_y + height - 2)}" class="axis">'
                f"{value:.1f}</text>"
            )
    description = "; ".join(
        f"{name}: {'' if a is None else f'{a:.1f}'}"
        + (f" (pending {b:.1f})" if b is not None else "")
        for name, a, b in dimensions
    )
    return _svg(chart_id, bottom + 22, "Dimension scores", description, body)


@dataclass(frozen=True)
class HistoryPoint:
    at: datetime
    org_air: float
    low: float
    high: float
    status: str


_STATUS_CLASS = {
    "approved": "status-approved",
    "auto_approved": "status-approved",
    "pending_review": "status-pending",
    "rejected": "status-rejected",
}


def history_chart(points: Sequence[HistoryPoint], chart_id: str = "history") -> Markup:
    """Org-AI-R over time with its confidence interval as a band, oldest on the left."""
    left, right, top, bottom, height = 44.0, 16.0, 30.0, 40.0, 280.0
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ordered = sorted(points, key=lambda point: point.at)
    body = _legend(
        [("band", "95 % interval"), ("status-approved", "approved"),
         ("status-pending", "pending review"), ("status-rejected", "rejected")],
        left, 16,
    )  # fmt: skip
    for tick in range(0, 101, 20):
        y = top + plot_h * (1 - tick / 100)
        body.append(
            f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(left + plot_w)}" y2="{_f(y)}" '
            f'class="grid"/><text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" '
            f'class="axis">{tick}</text>'
        )
    if ordered:
        start, end = ordered[0].at.timestamp(), ordered[-1].at.timestamp()
        span = end - start

        def x_of(index: int, point: HistoryPoint) -> float:
            if len(ordered) == 1:
                return left + plot_w / 2
            if span <= 0:
                return left + plot_w * index / (len(ordered) - 1)
            return left + plot_w * (point.at.timestamp() - start) / span

        def y_of(value: float) -> float:
            return top + plot_h * (1 - max(0.0, min(100.0, value)) / 100)

        xs = [x_of(i, p) for i, p in enumerate(ordered)]
        upper = [f"{_f(x)},{_f(y_of(p.high))}" for x, p in zip(xs, ordered, strict=True)]
        lower = [f"{_f(x)},{_f(y_of(p.low))}" for x, p in zip(xs, ordered, strict=True)]
        if len(ordered) == 1:
            x = xs[0]
            p = ordered[0]
            body.append(
                f'<rect x="{_f(x - 12)}" y="{_f(y_of(p.high))}" width="24" '
                f'height="{_f(max(1.0, y_of(p.low) - y_of(p.high)))}" class="band"/>'
            )
        else:
            body.append(f'<polygon points="{" ".join(upper + lower[::-1])}" class="band"/>')
            line = " ".join(
                f"{_f(x)},{_f(y_of(p.org_air))}" for x, p in zip(xs, ordered, strict=True)
            )
            body.append(f'<polyline points="{line}" class="line"/>')
        for x, p in zip(xs, ordered, strict=True):
            css = _STATUS_CLASS.get(p.status, "status-approved")
            status = escape(p.status.replace("_", " "))
            body.append(
                f'<circle cx="{_f(x)}" cy="{_f(y_of(p.org_air))}" r="5" class="{css}">'
                f"<title>{p.at:%Y-%m-%d %H:%M}: {p.org_air:.1f} "
                f"[{p.low:.1f}, {p.high:.1f}], {status}</title></circle>"
            )
        # Dates, or times of day when every score is from the same two days.
        stamp = "%Y-%m-%d" if span > 2 * 86_400 else "%Y-%m-%d %H:%M"
        ticks = sorted({0, len(ordered) - 1, (len(ordered) - 1) // 2})
        for index in ticks:
            anchor = "middle"
            if len(ordered) > 1 and index == 0:
                anchor = "start"
            elif len(ordered) > 1 and index == len(ordered) - 1:
                anchor = "end"
            crowded = min(xs[index] - xs[0], xs[-1] - xs[index]) < 120
            if 0 < index < len(ordered) - 1 and crowded:
                continue  # a middle tick only where it cannot run into the ends
            body.append(
                f'<text x="{_f(xs[index])}" y="{_f(height - bottom + 18)}" '
                f'text-anchor="{anchor}" class="axis">{ordered[index].at.strftime(stamp)}</text>'
            )
    description = (
        "; ".join(
            f"{p.at:%Y-%m-%d}: {p.org_air:.1f} ({p.low:.1f} to {p.high:.1f}), {p.status}"
            for p in ordered
        )
        or "No scores yet."
    )
    return _svg(chart_id, height, "Org-AI-R history with its 95 % interval", description, body)


EBITDA_SCENARIOS = ("conservative", "base", "optimistic", "risk_adjusted")


def ebitda_scenarios(projection: Mapping[str, Any], key: str = "{}") -> list[tuple[str, float]]:
    """The EBITDA scenarios a projection holds under `key` (`base`, or `ebitda_base_pct`
    with `key="ebitda_{}_pct"`), in the order they are drawn; absent or null ones left out."""
    found = []
    for name in EBITDA_SCENARIOS:
        value = projection.get(key.format(name))
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append((name, float(value)))
    return found


def scenario_chart(scenarios: Sequence[tuple[str, float]], chart_id: str) -> Markup:
    """EBITDA impact scenarios (percentage points) as horizontal bars on one scale."""
    label_w, bar_w, row_h, top = 170.0, 420.0, 26.0, 8.0
    largest = max((abs(value) for _, value in scenarios), default=0.0) or 1.0
    body: list[str] = []
    for index, (name, value) in enumerate(scenarios):
        y = top + index * row_h
        width = bar_w * abs(value) / largest
        body.append(
            f'<text x="{_f(label_w - 8)}" y="{_f(y + 13)}" class="axis" text-anchor="end">'
            f"{_label(name)}</text>"
            f'<rect x="{_f(label_w)}" y="{_f(y)}" width="{_f(max(width, 1))}" height="16" '
            f'class="scenario-{escape(name)}"><title>{_label(name)}: {value:.2f} pp</title></rect>'
            f'<text x="{_f(label_w + width + 6)}" y="{_f(y + 13)}" class="axis">'
            f"{value:.2f} pp</text>"
        )
    description = "; ".join(f"{name}: {value:.2f} percentage points" for name, value in scenarios)
    return _svg(chart_id, top + len(scenarios) * row_h + 4, "EBITDA impact", description, body)
