"""Sample labels: an A4 sheet of 2 × 7 labels (99.1 × 38.1 mm, the common L7163 layout).

Each sample gets two labels, one for the test sample (检验样品) and one for the sealed retest
backup (复检备份样品): the sample number as a QR code, as a Code128 barcode and in text, the
food name and the sampling date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from labsys.pdf.fonts import register_fonts

TEST_SAMPLE = "检验样品"
BACKUP_SAMPLE = "复检备份样品"


@dataclass(frozen=True)
class SheetLayout:
    columns: int = 2
    rows: int = 7
    label_width: float = 99.1 * mm
    label_height: float = 38.1 * mm
    column_gap: float = 2.5 * mm
    padding: float = 3 * mm

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    def origin(self, slot: int) -> tuple[float, float]:
        """Bottom-left corner of label ``slot`` (0 = top left, row by row)."""
        page_width, page_height = A4
        left = (
            page_width - self.columns * self.label_width - (self.columns - 1) * self.column_gap
        ) / 2
        top = (page_height + self.rows * self.label_height) / 2
        row, column = divmod(slot, self.columns)
        return (
            left + column * (self.label_width + self.column_gap),
            top - (row + 1) * self.label_height,
        )


class LabelSheet:
    """``LabelSheet(samples).build()`` → the PDF bytes (two labels per sample)."""

    def __init__(
        self,
        samples: Iterable,
        *,
        font_path: str | None = None,
        layout: SheetLayout | None = None,
        outlines: bool = True,
    ):
        self.samples = list(samples)
        self.font = register_fonts(font_path)
        self.layout = layout or SheetLayout()
        self.outlines = outlines  # thin cut guides, for plain paper

    def labels(self):
        for sample in self.samples:
            yield sample, TEST_SAMPLE
            yield sample, BACKUP_SAMPLE

    def build(self) -> bytes:
        buffer = BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle("样品标签")
        slot = 0
        for sample, kind in self.labels():
            if slot == self.layout.per_page:
                canvas.showPage()
                slot = 0
            self.draw_label(canvas, *self.layout.origin(slot), sample, kind)
            slot += 1
        canvas.showPage()
        canvas.save()
        return buffer.getvalue()

    def draw_label(self, canvas: Canvas, x: float, y: float, sample, kind: str) -> None:
        layout = self.layout
        pad = layout.padding
        if self.outlines:
            canvas.setLineWidth(0.2)
            canvas.setStrokeGray(0.75)
            canvas.roundRect(x, y, layout.label_width, layout.label_height, 2 * mm)
        qr_size = layout.label_height - 2 * pad
        self._draw_qr(canvas, sample.sample_no, x + pad, y + pad, qr_size)
        text_x = x + 2 * pad + qr_size
        width = x + layout.label_width - pad - text_x
        top = y + layout.label_height - pad
        canvas.setFillGray(0)
        canvas.setFont(self.font, 10)
        canvas.drawString(text_x, top - 10, kind)
        canvas.setFont(self.font, 9)
        canvas.drawString(text_x, top - 21, self._fit(sample.sample_no, 9, width))
        canvas.drawString(text_x, top - 32, self._fit(sample.food_name, 9, width))
        canvas.setFont(self.font, 8)
        canvas.drawString(text_x, top - 42, f"抽样日期 {sample.sampling_date.isoformat()}")
        self._draw_barcode(canvas, sample.sample_no, text_x, y + pad, width, 10 * mm)

    def _fit(self, text: str, size: float, width: float) -> str:
        text = text or ""
        if stringWidth(text, self.font, size) <= width:
            return text
        while text and stringWidth(text + "…", self.font, size) > width:
            text = text[:-1]
        return text + "…"

    @staticmethod
    def _draw_qr(canvas: Canvas, value: str, x: float, y: float, size: float) -> None:
        widget = QrCodeWidget(value, barBorder=0)
        left, bottom, right, top = widget.getBounds()
        drawing = Drawing(
            size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
        )
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, x, y)

    @staticmethod
    def _draw_barcode(
        canvas: Canvas, value: str, x: float, y: float, width: float, height: float
    ) -> None:
        bar_width = 0.3 * mm
        barcode = Code128(value, barWidth=bar_width, barHeight=height, quiet=False)
        if barcode.width > width:
            barcode = Code128(
                value, barWidth=bar_width * width / barcode.width, barHeight=height, quiet=False
            )
        barcode.drawOn(canvas, x, y)
