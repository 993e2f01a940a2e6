"""Charts of pass rates, drawn on the server: SVG for the pages, reportlab for the PDF.

Each chart is laid out once as a list of simple shapes (y grows downwards, as in SVG); the
two renderers draw the same shapes, so the page and the PDF show the same picture.  No
JavaScript and nothing from the internet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from markupsafe import Markup
from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String

BAR = "#0d6efd"
AXIS = "#6c757d"
GRID = "#dee2e6"
TEXT = "#212529"
FONT_SIZE = 11


@dataclass
class Chart:
    width: float
    height: float
    title: str
    shapes: list  # ("rect"|"line"|"text"|"polyline"|"circle", ...)


def axis_floor(values: list[Decimal]) -> int:
    """Where the rate axis starts: 0, or a round number below the lowest rate when every rate
    is high (so 97 % and 99 % do not look alike); the axis is labelled with it."""
    lowest = min(values, default=Decimal(0))
    if lowest >= 90:
        return 80 if lowest < 95 else 90
    if lowest >= 60:
        return 50
    return 0


def _x_scale(start: int, left: float, right: float):
    return lambda value: left + (float(value) - start) / (100 - start) * (right - left)


# Room above the plot for the title (12 px text at y=16) and the value labels drawn above the
# highest bar or point, so that they never overlap.
PLOT_TOP = 40


def _linked(shapes: list, href: str | None, drawn: list) -> None:
    """``drawn`` shapes, wrapped in a link to ``href`` on the page (the PDF ignores it)."""
    if href:
        shapes.append(("link_start", href))
    shapes.extend(drawn)
    if href:
        shapes.append(("link_end",))


def bar_chart(
    rows: list[tuple[str, Decimal]],
    title: str,
    width: float = 640,
    links: list[str | None] | None = None,
) -> Chart:
    """Horizontal bars of pass rates, one per row, in the order given (worst first); a bar
    with a link opens it (the samples behind the bar)."""
    label_width, top, row_height = 150, 28, 24
    height = top + row_height * max(len(rows), 1) + 30
    start = axis_floor([rate for _, rate in rows])
    left, right = label_width, width - 70
    x = _x_scale(start, left, right)
    shapes: list = [("text", 0, 16, title, FONT_SIZE + 1, "start", TEXT)]
    shapes += _rate_grid(start, x, top, top + row_height * len(rows))
    for index, (label, rate) in enumerate(rows):
        y = top + index * row_height
        _linked(
            shapes,
            links[index] if links else None,
            [
                ("text", left - 6, y + 16, _short(label, 12), FONT_SIZE, "end", TEXT),
                ("rect", left, y + 4, max(x(rate) - left, 1), row_height - 8, BAR),
                ("text", x(rate) + 4, y + 16, f"{rate}%", FONT_SIZE, "start", TEXT),
            ],
        )
    return Chart(width, height, title, shapes)


def column_chart(
    rows: list[tuple[str, Decimal]],
    title: str,
    width: float = 640,
    height: float = 260,
    links: list[str | None] | None = None,
) -> Chart:
    """Vertical bars side by side (districts), labels under the bars; linked like bars."""
    top, bottom, left = PLOT_TOP, height - 34, 40
    start = axis_floor([rate for _, rate in rows])
    span = (width - left - 10) / max(len(rows), 1)

    def y(value) -> float:
        return bottom - (float(value) - start) / (100 - start) * (bottom - top)

    shapes: list = [("text", 0, 16, title, FONT_SIZE + 1, "start", TEXT)]
    for tick in _ticks(start):
        shapes.append(("line", left, y(tick), width - 10, y(tick), GRID, 0.5))
        shapes.append(("text", left - 4, y(tick) + 4, f"{tick}%", FONT_SIZE - 2, "end", AXIS))
    bar = min(span * 0.7, 48)
    for index, (label, rate) in enumerate(rows):
        cx = left + span * index + span / 2
        _linked(
            shapes,
            links[index] if links else None,
            [
                ("rect", cx - bar / 2, y(rate), bar, max(bottom - y(rate), 1), BAR),
                ("text", cx, y(rate) - 3, f"{rate}", FONT_SIZE - 2, "middle", TEXT),
                ("text", cx, bottom + 14, _short(label, 4), FONT_SIZE - 1, "middle", TEXT),
            ],
        )
    return Chart(width, height, title, shapes)


def line_chart(
    points: list[tuple[str, Decimal | None]],
    title: str,
    width: float = 640,
    height: float = 240,
    links: list[str | None] | None = None,
) -> Chart:
    """A line of rates over periods (the key-food indicator by month).  A period without a
    rate (None: nothing judged) leaves a gap in the line, not a straight join over it; a
    point with a link opens it."""
    top, bottom, left, right = PLOT_TOP, height - 30, 44, width - 16
    start = axis_floor([rate for _, rate in points if rate is not None])
    step = (right - left) / max(len(points) - 1, 1)

    def y(value) -> float:
        return bottom - (float(value) - start) / (100 - start) * (bottom - top)

    shapes: list = [("text", 0, 16, title, FONT_SIZE + 1, "start", TEXT)]
    for tick in _ticks(start):
        shapes.append(("line", left, y(tick), right, y(tick), GRID, 0.5))
        shapes.append(("text", left - 4, y(tick) + 4, f"{tick}%", FONT_SIZE - 2, "end", AXIS))
    xs = [left + step * i if len(points) > 1 else (left + right) / 2 for i in range(len(points))]
    segment: list = []
    for x_at, (_label, rate) in zip(xs, points, strict=True):
        if rate is None:
            if len(segment) > 1:
                shapes.append(("polyline", segment, BAR, 2))
            segment = []
        else:
            segment.append((x_at, y(rate)))
    if len(segment) > 1:
        shapes.append(("polyline", segment, BAR, 2))
    every = max(1, len(points) // 12)
    for i, ((label, rate), cx) in enumerate(zip(points, xs, strict=True)):
        if rate is not None:
            cy = y(rate)
            _linked(
                shapes,
                links[i] if links else None,
                [
                    ("circle", cx, cy, 4, BAR),
                    ("text", cx, cy - 7, f"{rate}", FONT_SIZE - 2, "middle", TEXT),
                ],
            )
        if i % every == 0:
            shapes.append(("text", cx, bottom + 16, label, FONT_SIZE - 2, "middle", AXIS))
    return Chart(width, height, title, shapes)


def _ticks(start: int) -> list[int]:
    step = 2 if start >= 90 else 10 if start >= 50 else 20
    return list(range(start, 101, step))


def _rate_grid(start: int, x, top: float, bottom: float) -> list:
    shapes = []
    for tick in _ticks(start):
        shapes.append(("line", x(tick), top, x(tick), bottom, GRID, 0.5))
        shapes.append(("text", x(tick), bottom + 14, f"{tick}%", FONT_SIZE - 2, "middle", AXIS))
    return shapes


def _short(label: str, length: int) -> str:
    label = str(label)
    return label if len(label) <= length else label[: length - 1] + "…"


# --- renderers -----------------------------------------------------------------------------


def to_svg(chart: Chart) -> Markup:
    """The chart as inline SVG (with a <title> for screen readers)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="labsys-chart" role="img" '
        f'viewBox="0 0 {chart.width:.0f} {chart.height:.0f}" '
        f'width="100%" style="max-width:{chart.width:.0f}px">'
        f"<title>{escape(chart.title)}</title>"
    ]
    for shape in chart.shapes:
        kind = shape[0]
        if kind == "rect":
            _, x, y, w, h, color = shape
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{color}"/>'
            )
        elif kind == "line":
            _, x1, y1, x2, y2, color, stroke = shape
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{color}" stroke-width="{stroke}"/>'
            )
        elif kind == "text":
            _, x, y, text, size, anchor, color = shape
            parts.append(
                f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" '
                f'text-anchor="{anchor}" fill="{color}">{escape(str(text))}</text>'
            )
        elif kind == "polyline":
            _, points, color, stroke = shape
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" '
                f'stroke-width="{stroke}"/>'
            )
        elif kind == "circle":
            _, cx, cy, r, color = shape
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{color}"/>')
        elif kind == "link_start":
            parts.append(f'<a href="{escape(shape[1])}" class="chart-link">')
        elif kind == "link_end":
            parts.append("</a>")
    parts.append("</svg>")
    return Markup("".join(parts))


def to_drawing(chart: Chart, font_name: str, scale: float = 0.75) -> Drawing:
    """The chart as a reportlab Drawing (points; y flipped), ``scale`` to fit the page."""
    from reportlab.lib.colors import HexColor

    height = chart.height
    drawing = Drawing(chart.width * scale, height * scale)

    def flip(y: float) -> float:
        return (height - y) * scale

    for shape in chart.shapes:
        kind = shape[0]
        if kind == "rect":
            _, x, y, w, h, color = shape
            drawing.add(
                Rect(
                    x * scale,
                    flip(y + h),
                    w * scale,
                    h * scale,
                    fillColor=HexColor(color),
                    strokeColor=None,
                )
            )
        elif kind == "line":
            _, x1, y1, x2, y2, color, stroke = shape
            drawing.add(
                Line(
                    x1 * scale,
                    flip(y1),
                    x2 * scale,
                    flip(y2),
                    strokeColor=HexColor(color),
                    strokeWidth=stroke,
                )
            )
        elif kind == "text":
            _, x, y, text, size, anchor, color = shape
            drawing.add(
                String(
                    x * scale,
                    flip(y),
                    str(text),
                    fontName=font_name,
                    fontSize=size * scale,
                    textAnchor=anchor,
                    fillColor=HexColor(color),
                )
            )
        elif kind == "polyline":
            _, points, color, stroke = shape
            flat = [v for x, y in points for v in (x * scale, flip(y))]
            drawing.add(PolyLine(flat, strokeColor=HexColor(color), strokeWidth=stroke))
        elif kind == "circle":
            _, cx, cy, r, color = shape
            drawing.add(
                Circle(cx * scale, flip(cy), r * scale, fillColor=HexColor(color), strokeColor=None)
            )
    return drawing


# --- the three charts of the compliance pages and report ----------------------------------


def category_bars(result, title: str, link=None) -> Chart:
    """Pass rate by category, the worst first; ``link(row)`` gives a bar's address."""
    rows = result.worst_first()
    return bar_chart(
        [(row.name, row.rate) for row in rows],
        title,
        links=[link(row) for row in rows] if link else None,
    )


def district_columns(result, title: str, link=None) -> Chart:
    rows = [row for row in result.rows if row.rate is not None]
    return column_chart(
        [(row.name, row.rate) for row in rows],
        title,
        links=[link(row) for row in rows] if link else None,
    )


def trend_line(result, title: str, link=None) -> Chart:
    """The rate by period; months between the first and the last without a judged sample
    are shown as gaps (their label kept, no point)."""
    rows = _every_month([row for row in result.rows if row.rate is not None])
    return line_chart(
        [(name, row.rate if row else None) for name, row in rows],
        title,
        links=[link(row) if (link and row) else None for _name, row in rows],
    )


def _every_month(rows: list) -> list[tuple[str, object]]:
    """(label, row or None) for every month from the first row's to the last's when the
    rows are months ("2026-03"); other periods as they are."""
    try:
        months = [(int(str(r.name)[:4]), int(str(r.name)[5:7])) for r in rows]
    except ValueError:
        return [(str(r.name), r) for r in rows]
    if not rows or any(len(str(r.name)) != 7 for r in rows):
        return [(str(r.name), r) for r in rows]
    by_month = dict(zip(months, rows, strict=True))
    (year, month), last = months[0], months[-1]
    filled = []
    while (year, month) <= last:
        filled.append((f"{year:04d}-{month:02d}", by_month.get((year, month))))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled
