"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without styles.

Each chart is a <figure> holding an SVG (role="img", a <title> and a <desc> summing it up for
screen readers, a <title> per bar for hover) and an HTML legend. Colours come from app.css classes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from flask_babel import gettext
from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 200
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 36, 8, 10, 26
_ids = itertools.count(1)


def _nice_max(value: int) -> int:
    """A round axis top at or above `value` (1, 2, 5, 10, 20, 50, ...)."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= value:
                return step * m
        step *= 10


def _fmt(n: float) -> str:
    return f"{n:.1f}".rstrip("0").rstrip(".")


def _frame(
    chart_id: str, title: str, desc: str, body: list[str], legend: Sequence[tuple[str, str]], width: int = WIDTH
) -> Markup:
    items = "".join(
        f'<li><span class="swatch {escape(css)}" aria-hidden="true"></span>{escape(label)}</li>'
        for label, css in legend
    )
    # Every text that reaches the markup went through escape() above.
    return Markup(  # noqa: S704
        f'<figure class="chart" id="{chart_id}">'
        f'<svg viewBox="0 0 {width} {HEIGHT}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
        + (f'<ul class="legend">{items}</ul>' if legend else "")
        + "</figure>"
    )


def _axis(top: int, width: int) -> list[str]:
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    parts = []
    # Whole numbers only: a half-way line for 5 would read 2.5 DMs.
    for fraction in (0, 0.5, 1) if top % 2 == 0 else (0, 1):
        y = PAD_TOP + plot_h * (1 - fraction)
        value = top * fraction
        parts.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{width - PAD_RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}"/>')
        parts.append(f'<text class="tick" x="{PAD_LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end">{_fmt(value)}</text>')
    return parts


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int], str]],
    *,
    title: str,
    stacked: bool = True,
    label_every: int | None = None,
    width: int = WIDTH,
) -> Markup:
    """Vertical bars per label; several series are stacked or side by side. series: (name, values, css class)."""
    chart_id = f"chart-{next(_ids)}"
    n = len(labels)
    totals = (
        [sum(s[1][i] for s in series) for i in range(n)]
        if stacked
        else [max(s[1][i] for s in series) for i in range(n)]
    )
    top = _nice_max(max(totals, default=0))
    plot_w = width - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(n, 1)
    bar_w = slot * 0.7
    body = _axis(top, width)
    for i, label in enumerate(labels):
        x0 = PAD_LEFT + slot * i + (slot - bar_w) / 2
        base = 0
        for k, (name, values, css) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            if stacked:
                y = PAD_TOP + plot_h - plot_h * (base + value) / top
                x, w = x0, bar_w
                base += value
            else:
                w = bar_w / len(series)
                x, y = x0 + w * k, PAD_TOP + plot_h - h
            body.append(
                f'<rect class="{escape(css)}" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(max(w - 1, 1))}" '
                f'height="{_fmt(max(h, 1))}"><title>{escape(label)}: {value} {escape(name)}</title></rect>'
            )
    every = label_every or max(1, round(n / (width / 80)))
    for i, label in enumerate(labels):
        if (n - 1 - i) % every == 0:  # counted from the last bar, so today always has its label
            x = PAD_LEFT + slot * i + slot / 2
            body.append(
                f'<text class="tick" x="{_fmt(x)}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>'
            )
    summary = "; ".join(
        gettext("%(name)s: %(total)s in total", name=name, total=sum(values)) for name, values, _ in series
    )
    bars = gettext("%(num)d bars from %(first)s to %(last)s.", num=n, first=labels[0], last=labels[-1]) if n else ""
    desc = f"{bars} {summary}." if n else gettext("No data.")
    legend = [(name, css) for name, _, css in series] if len(series) > 1 else []
    return _frame(chart_id, title, desc, body, legend, width)


def funnel(stages: Sequence[tuple[str, int]], *, title: str, width: int = WIDTH) -> Markup:
    """Horizontal bars, one per stage, widths relative to the first stage."""
    chart_id = f"chart-{next(_ids)}"
    first = max((count for _, count in stages), default=0) or 1
    row_h = (HEIGHT - 10) / max(len(stages), 1)
    label_w = 100
    body = []
    for i, (stage, count) in enumerate(stages):
        y = 5 + row_h * i
        w = (width - label_w - 80) * count / first
        rate = f" ({round(100 * count / first)}%)" if i else ""
        body.append(
            f'<text class="label" x="{label_w - 8}" y="{_fmt(y + row_h / 2 + 5)}" text-anchor="end">'
            f"{escape(stage.capitalize())}</text>"
        )
        body.append(
            f'<rect class="s-funnel s-funnel-{i}" x="{label_w}" y="{_fmt(y + 3)}" width="{_fmt(max(w, 2))}" '
            f'height="{_fmt(row_h - 6)}" rx="4"><title>{escape(stage)}: {count}{rate}</title></rect>'
        )
        body.append(
            f'<text class="value" x="{_fmt(label_w + max(w, 2) + 6)}" y="{_fmt(y + row_h / 2 + 5)}">'
            f"{count}{rate}</text>"
        )
    desc = ", ".join(f"{stage}: {count}" for stage, count in stages) + "."
    return _frame(chart_id, title, desc, body, [], width)
