"""The small chart of a risk signal: its monthly unqualified rate (columns), the EWMA line
and its upper control limit (``labsys.core.risk.ewma``), the recent window shaded.

Laid out as ``labsys.pdf.charts`` shapes, so the page (SVG) and a PDF draw the same picture.
"""

from __future__ import annotations

from labsys.pdf.charts import AXIS, BAR, FONT_SIZE, GRID, TEXT, Chart

RECENT = "#fff3cd"
LIMIT = "#dc3545"
EWMA = "#198754"


def signal_chart(series, recent_from: str, title: str, width: float = 360, height: float = 150):
    """``series``: points with ``month``, ``samples``, ``unqualified``, ``ewma``, ``upper``."""
    top, bottom, left, right = 24, height - 22, 40, width - 8
    rates = [p.unqualified / p.samples for p in series if p.samples]
    lines = [v for p in series for v in (p.ewma, p.upper) if v is not None]
    highest = max([*rates, *lines, 0.01])
    step = (right - left) / max(len(series), 1)

    def y(value: float) -> float:
        return bottom - value / highest * (bottom - top)

    shapes: list = [("text", 0, 14, title, FONT_SIZE, "start", TEXT)]
    for i, point in enumerate(series):
        if point.month >= recent_from:
            shapes.append(("rect", left + step * i, top, step, bottom - top, RECENT))
    for tick in (0.0, highest / 2, highest):
        shapes.append(("line", left, y(tick), right, y(tick), GRID, 0.5))
        shapes.append(
            ("text", left - 3, y(tick) + 4, f"{tick * 100:.1f}%", FONT_SIZE - 3, "end", AXIS)
        )
    for i, point in enumerate(series):
        x = left + step * i
        if point.samples:
            rate = point.unqualified / point.samples
            shapes.append(("rect", x + step * 0.15, y(rate), step * 0.7, bottom - y(rate), BAR))
        if i % max(1, len(series) // 6) == 0:
            shapes.append(
                ("text", x + step / 2, bottom + 14, point.month[2:], FONT_SIZE - 3, "middle", AXIS)
            )
    for attr, color in (("upper", LIMIT), ("ewma", EWMA)):
        line = [
            (left + step * (i + 0.5), y(getattr(p, attr)))
            for i, p in enumerate(series)
            if getattr(p, attr) is not None
        ]
        if len(line) > 1:
            shapes.append(("polyline", line, color, 1.5))
    return Chart(width, height, title, shapes)
