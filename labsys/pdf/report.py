"""The inspection report (检验报告) as a PDF.

:class:`ReportDocument` lays out a :class:`ReportData` (plain values, no database) with
reportlab platypus: a first page with the header, every field of the sampling form, the
conclusion, the signatures, the notes and the verification QR code; then the item pages,
ten rows each, "以下空白" after the last row; "共N页 第n页" on every page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from io import BytesIO

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labsys.pdf.fonts import register_fonts

ROWS_PER_PAGE = 10
ITEM_HEADER = ("序号", "检验项目", "单位", "标准要求", "检验结果", "单项判定", "检验依据")
ITEM_WIDTHS = (11 * mm, 30 * mm, 15 * mm, 30 * mm, 34 * mm, 18 * mm, 36 * mm)
NOTES = (
    "1. 报告无本检验机构检验检测专用章或骑缝章无效；无编制、审核、批准人签字无效。",
    "2. 报告涂改、增删无效；未经本机构书面批准，不得部分复制本报告。",
    "3. 对检验结论有异议的，应自收到本报告之日起7个工作日内向本机构书面提出，逾期不予受理。",
    "4. 扫描二维码可核验本报告的真实性与状态。",
)


@dataclass
class ReportRow:
    """One line of the item table, already formatted for print."""

    seq: int
    item_name: str
    unit: str
    limit: str  # 标准要求; a microbiological item shows its plan, n=5,c=2,m=..,M=..
    result: str  # 检验结果; a microbiological item shows every unit's result
    verdict: str  # 合格 / 不合格 / 不确定 / —
    method: str  # 检验依据


@dataclass
class ReportData:
    """Everything printed on a report, as text."""

    report_no: str
    lab_name: str
    inspection_type: str  # 检验类别
    food_name: str
    brand: str
    specification: str
    production_date_or_batch: str
    sampled_unit_name: str
    sampled_unit_phone: str
    producer_name: str
    producer_phone: str
    task_source: str
    samplers: str
    sampling_date: str
    arrival_date: str
    quantity: str
    sampling_base: str
    sample_no: str
    seal_state: str
    place: str
    items_summary: str
    conclusion_text: str
    issue_date: str
    remarks: str
    author: str
    reviewer: str
    approver: str
    rows: list[ReportRow] = field(default_factory=list)
    verify_url: str | None = None  # None on a draft: a draft cannot be verified
    replaces_no: str | None = None  # the report a correction replaces


class _Styles:
    def __init__(self, font: str):
        base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
        self.cell = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5)
        self.label = ParagraphStyle("label", parent=base, alignment=TA_CENTER)
        self.center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
        self.lab = ParagraphStyle("lab", parent=base, fontSize=15, leading=20, alignment=TA_CENTER)
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER, spaceAfter=2 * mm
        )
        self.heading = ParagraphStyle(
            "heading", parent=base, fontSize=13, leading=18, alignment=TA_CENTER, spaceAfter=2 * mm
        )
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        self.note = ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, alignment=TA_LEFT)


def _esc(text: str | None) -> str:
    text = "" if text is None else str(text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\n", "<br/>")


_EXPONENT_RE = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+")
_EXPONENT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def value_markup(text: str | None) -> str:
    """A result cell's markup: escaped, with the exponents of "9.4×10⁵" set as real
    superscripts (CJK fonts such as WenQuanYi Micro Hei have ⁴ but no ⁵–⁹ glyphs)."""
    return _EXPONENT_RE.sub(
        lambda match: f"<super>{match[0].translate(_EXPONENT_DIGITS)}</super>", _esc(text)
    )


class _NumberedCanvas(pdfcanvas.Canvas):
    """Holds the pages back until the end so each can print the total: "共N页 第n页"."""

    def __init__(self, *args, font_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._font_name = font_name
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(self._font_name, 9)
            self.drawCentredString(A4[0] / 2, 12 * mm, f"共{total}页 第{number}页")
            super().showPage()
        super().save()


class QrFlowable(Flowable):
    """A QR code drawn as filled runs of modules: much faster than reportlab's widget."""

    def __init__(self, payload: str, size: float):
        super().__init__()
        # A fixed mask: choosing the "best" of eight costs more than the rest of a page.
        code = qrcode.QRCode(
            error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, mask_pattern=0
        )
        code.add_data(payload)
        code.make(fit=True)
        self.matrix = code.get_matrix()  # rows of booleans, quiet zone included
        self.width = self.height = size

    def draw(self) -> None:
        modules = len(self.matrix)
        unit = self.width / modules
        path = self.canv.beginPath()
        for row_index, row in enumerate(self.matrix):
            y = self.height - (row_index + 1) * unit
            column = 0
            while column < modules:
                if not row[column]:
                    column += 1
                    continue
                start = column
                while column < modules and row[column]:
                    column += 1
                path.rect(start * unit, y, (column - start) * unit, unit)
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, stroke=0, fill=1)


class ReportDocument:
    """Build a report: ``ReportDocument(data).build() -> bytes``.

    ``draft=True`` marks every page 草稿/DRAFT (the preview before issuing).  Output is
    deterministic (reportlab's invariant mode): the same data gives the same bytes.
    """

    def __init__(self, data: ReportData, *, draft: bool = False, font_path: str | None = None):
        self.data = data
        self.draft = draft
        self.font = register_fonts(font_path)
        self.styles = _Styles(self.font)

    def build(self) -> bytes:
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=22 * mm,
            bottomMargin=20 * mm,
            title=f"检验报告 {self.data.report_no}",
            author=self.data.lab_name,
            subject=self.data.food_name,
            creator="labsys",
            invariant=1,
        )
        doc.build(
            self.story(),
            onFirstPage=self._decorate,
            onLaterPages=self._decorate,
            canvasmaker=functools.partial(_NumberedCanvas, font_name=self.font),
        )
        return buffer.getvalue()

    # --- the story ---------------------------------------------------------------------------

    def story(self) -> list:
        return [*self.first_page(), *self.item_pages()]

    def first_page(self) -> list:
        s, d = self.styles, self.data
        story = [Paragraph(_esc(d.lab_name), s.lab), Paragraph("检 验 报 告", s.title)]
        if d.replaces_no:
            story.append(Paragraph(f"本报告替代 {_esc(d.replaces_no)} 号报告", s.center))
        story += [
            Spacer(1, 2 * mm),
            self._header_table(),
            Spacer(1, 4 * mm),
            self._summary_table(),
            Spacer(1, 3 * mm),
            Paragraph("注意事项：", s.note),
            *[Paragraph(_esc(note), s.note) for note in NOTES],
        ]
        return story

    def _header_table(self) -> Table:
        s, d = self.styles, self.data
        rows = [
            ("报告编号", d.report_no),
            ("食品名称", d.food_name),
            ("被抽样单位", d.sampled_unit_name),
            ("标称生产者", d.producer_name),
            ("检验类别", d.inspection_type),
            ("检验机构", d.lab_name),
        ]
        cells = [
            [Paragraph(label + "：", s.right), Paragraph(_esc(value), s.cell), ""]
            for label, value in rows
        ]
        cells[0][2] = self._qr_code()
        table = Table(cells, colWidths=(26 * mm, 110 * mm, 38 * mm))
        table.setStyle(
            TableStyle(
                [
                    ("SPAN", (2, 0), (2, len(rows) - 1)),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (2, 0), (2, 0), "CENTER"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def _qr_code(self):
        s = self.styles
        if not self.data.verify_url:
            return Paragraph("草稿<br/>不可核验", s.center)
        return QrFlowable(self.data.verify_url, 34 * mm)

    def _summary_table(self) -> Table:
        s, d = self.styles, self.data

        def p(text, style=s.cell):
            return Paragraph(_esc(text), style)

        def lbl(text):
            return Paragraph(text, s.label)

        pairs = [
            ("食品名称", d.food_name, "商标", d.brand),
            ("规格型号", d.specification, "生产日期/批号", d.production_date_or_batch),
            ("被抽样单位", d.sampled_unit_name, "联系电话", d.sampled_unit_phone),
            ("标称生产者", d.producer_name, "联系电话", d.producer_phone),
            ("任务来源", d.task_source, "检验类别", d.inspection_type),
            ("抽样人员", d.samplers, "抽样日期", d.sampling_date),
            ("样品到达日期", d.arrival_date, "样品数量", d.quantity),
            ("抽样基数", d.sampling_base, "抽样单编号", d.sample_no),
            ("封样状态", d.seal_state, "签发日期", d.issue_date),
        ]
        cells = [[lbl(a), p(b), lbl(c), p(e)] for a, b, c, e in pairs]
        wide = [
            ("抽样地点", d.place),
            ("检验项目", d.items_summary),
            ("检验结论", d.conclusion_text),
            ("备注", self._remarks()),
        ]
        first_wide = len(cells)
        cells += [[lbl(label), p(value), "", ""] for label, value in wide]
        signature_row = len(cells)
        cells.append([self._signatures(), "", "", ""])
        style = [
            ("GRID", (0, 0), (-1, signature_row - 1), 0.6, colors.black),
            ("BOX", (0, signature_row), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("SPAN", (0, signature_row), (-1, signature_row)),
        ]
        style += [("SPAN", (1, row), (3, row)) for row in range(first_wide, signature_row)]
        table = Table(cells, colWidths=(26 * mm, 60 * mm, 26 * mm, 62 * mm))
        table.setStyle(TableStyle(style))
        return table

    def _signatures(self) -> Table:
        s, d = self.styles, self.data
        table = Table(
            [
                [
                    Paragraph(f"编制：{_esc(d.author)}", s.cell),
                    Paragraph(f"审核：{_esc(d.reviewer)}", s.cell),
                    Paragraph(f"批准：{_esc(d.approver)}", s.cell),
                ],
                [
                    "",
                    "",
                    Paragraph(f"（检验检测专用章）<br/>签发日期：{_esc(d.issue_date)}", s.center),
                ],
            ],
            colWidths=(56 * mm, 56 * mm, 56 * mm),
        )
        table.setStyle(
            TableStyle(
                [("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
            )
        )
        return table

    def _remarks(self) -> str:
        d = self.data
        parts = [d.remarks] if d.remarks else []
        if d.replaces_no:
            parts.append(f"本报告替代 {d.replaces_no} 号报告，原报告作废。")
        return "；".join(parts) or "/"

    def item_pages(self) -> list:
        rows = self.data.rows
        if not rows:
            return []
        chunks = [rows[i : i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
        story: list = []
        for index, chunk in enumerate(chunks):
            story += [
                PageBreak(),
                Paragraph("检 验 结 果", self.styles.heading),
                self._item_table(chunk, last=index == len(chunks) - 1),
            ]
        return story

    def _item_table(self, rows: list[ReportRow], *, last: bool) -> Table:
        s = self.styles
        cells = [[Paragraph(h, s.label) for h in ITEM_HEADER]]
        for row in rows:
            cells.append(
                [
                    Paragraph(str(row.seq), s.center),
                    Paragraph(_esc(row.item_name), s.cell),
                    Paragraph(_esc(row.unit), s.center),
                    Paragraph(_esc(row.limit), s.center),
                    Paragraph(value_markup(row.result), s.center),
                    Paragraph(_esc(row.verdict), s.center),
                    Paragraph(_esc(row.method), s.small),
                ]
            )
        style = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ]
        if last:
            cells.append([Paragraph("以下空白", s.center), "", "", "", "", "", ""])
            style.append(("SPAN", (0, len(cells) - 1), (-1, len(cells) - 1)))
        table = Table(cells, colWidths=ITEM_WIDTHS, repeatRows=1)
        table.setStyle(TableStyle(style))
        return table

    # --- every page --------------------------------------------------------------------------

    def _decorate(self, canvas, doc) -> None:
        canvas.saveState()
        width, height = A4
        if self.draft:
            canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.18))
            canvas.setFont(self.font, 72)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(35)
            canvas.drawCentredString(0, 0, "草稿 DRAFT")
            canvas.rotate(-35)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(colors.black)
        canvas.setFont(self.font, 8.5)
        top = height - 13 * mm
        canvas.drawString(18 * mm, top, self.data.lab_name)
        canvas.drawRightString(width - 18 * mm, top, f"报告编号：{self.data.report_no}")
        canvas.setLineWidth(0.5)
        canvas.line(18 * mm, top - 2 * mm, width - 18 * mm, top - 2 * mm)
        canvas.restoreState()
