"""The inspection report (检验报告) as a PDF.

:class:`ReportDocument` lays out a :class:`ReportData` (plain values, no database) with
reportlab platypus: a first page with the CMA mark, the lab's address and telephone, the
header, every field of the sampling form, the conclusion, the signatures, the notes and the
verification QR code; then the item pages, ten rows each, "以下空白" after the last row;
"共N页 第n页" on every page.

What a report must carry follows ISO/IEC 17025:2017 §7.8.2.1 (a title; the lab's name and
address; a unique identification on every page; the method; the item's description and
condition; the dates of receipt, sampling and testing; the date of issue; the sampling plan
and method; the statement that the results relate only to the items tested; the results
with units; the person(s) authorising the report) and RB/T 214-2017 §4.5.20 (the same list
for Chinese inspection bodies *(verify the clause number)*).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass, field
from io import BytesIO

import qrcode
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    Flowable,
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labsys.core import inspection
from labsys.pdf.fonts import register_fonts
from labsys.pdf.text import para_text

log = logging.getLogger(__name__)

ROWS_PER_PAGE = 10
# The page's frame, as SimpleDocTemplate sets it in ``build`` (the margins, then 6 pt of
# padding on each side): the first page's flowables must fit in it.
FRAME_WIDTH = A4[0] - 36 * mm - 12
FRAME_HEIGHT = A4[1] - 42 * mm - 12
# Ends the 备注 cell when the remarks do not fit on the first page; they follow in full on a
# continuation page (续页), before the results.
REMARKS_CONTINUED = "……（全文见备注续页）"
ITEM_HEADER = ("序号", "检验项目", "单位", "标准要求", "检验结果", "单项判定", "检验依据")
# The unit column fits "mg/100g", "CFU/mL", "g/100mL" on one line (tests/reports check the
# width with reportlab's own metrics); the widths add up to the 174 mm between the margins.
ITEM_WIDTHS = (11 * mm, 29 * mm, 18 * mm, 29 * mm, 32 * mm, 19 * mm, 36 * mm)
CELL_PADDING = 6  # reportlab's default left and right cell padding, in points

# ISO/IEC 17025:2017 §7.8.2.1 l): "a statement to the effect that the results relate only to
# the items tested"; the usual Chinese wording (RB/T 214-2017 §4.5.20 *(verify)*).
ONLY_THE_SAMPLE = "本报告检验结果仅对所检样品负责。"
COMMON_NOTES = (
    "报告无本检验机构检验检测专用章或骑缝章无效；无编制、审核、批准人签字无效。",
    "报告涂改、增删无效；未经本机构书面批准，不得部分复制本报告。",
    ONLY_THE_SAMPLE,
)
# 监督抽检: SAMR Order No. 15 (2019, 《食品安全抽样检验管理办法》) Art. 30 *(verify the article
# number)*, and Food Safety Law Art. 88: the retest (复检) is applied for in writing to the
# market regulator that organised the sampling or the one above it, within 7 working days of
# receiving the conclusion -- never to the lab.  Art. 37: objections (异议) about the
# method or the standard applied go to the organising regulator in the same 7 working days.
SUPERVISION_NOTES = (
    "被抽样单位或标称生产者对检验结论有异议的，可自收到检验结论之日起7个工作日内，"
    "向组织实施监督抽检的市场监督管理部门或者其上一级市场监督管理部门提出书面复检申请，"
    "逾期未提出的，不予复检（《食品安全抽样检验管理办法》第三十条）。"
    "对检验方法、标准适用等有异议的，可在同一期限内向组织实施监督抽检的市场监督管理部门"
    "提出书面异议（第三十七条）。",
)
# 风险监测 and 评价性抽检 give no retest right (Order No. 15 applies retest and objection to
# supervision only *(verify)*); the report says what the results are for.
RISK_MONITORING_NOTES = (
    "本次检验为风险监测，检验结果供市场监督管理部门开展风险分析使用，不作合格与否判定，"
    "不适用复检程序。",
)
EVALUATION_NOTES = ("本次检验为评价性抽检，检验结果用于评价食品安全状况，不适用复检程序。",)
VERIFY_NOTE = "扫描二维码可核验本报告的真实性与状态。"


def notes_for(inspection_type: str | None) -> tuple[str, ...]:
    """注意事项, numbered in print, worded for the inspection type (``supervision``,
    ``risk_monitoring``, ``evaluation``; None is supervision)."""
    by_kind = {
        "supervision": SUPERVISION_NOTES,
        "risk_monitoring": RISK_MONITORING_NOTES,
        "evaluation": EVALUATION_NOTES,
    }
    return (*COMMON_NOTES, *by_kind[inspection_type or inspection.SUPERVISION], VERIFY_NOTE)


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
    # A new report that follows a withdrawn one (Art. 39) rather than correcting one in
    # force; the day it was withdrawn.
    replaces_withdrawn: bool = False
    replaces_withdrawn_on: str = ""
    # ISO/IEC 17025 §7.8.2.1 b), g), i), k) and the CMA mark (RB/T 214 §4.5.20 (verify)).
    lab_address: str = ""
    lab_phone: str = ""
    cma_no: str = ""  # 资质认定证书编号; empty: the mark is not printed
    cma_image: str | None = None  # a readable image file of the CMA mark
    sample_condition: str = "/"  # 样品状态 on receipt (condition, temperature)
    test_dates: str = "/"  # 检验日期: first to last
    judgement_basis: str = "/"  # 判定依据, every standard the items were judged by
    sampling_basis: str = "/"  # 抽样依据
    notes: tuple[str, ...] = field(default_factory=lambda: notes_for(None))


class _Styles:
    def __init__(self, font: str):
        base = ParagraphStyle("base", fontName=font, fontSize=9.5, leading=13, wordWrap="CJK")
        self.cell = base
        self.small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11.5)
        self.label = ParagraphStyle("label", parent=base, alignment=TA_CENTER)
        self.center = ParagraphStyle("center", parent=base, alignment=TA_CENTER)
        self.small_center = ParagraphStyle("small_center", parent=self.small, alignment=TA_CENTER)
        self.lab = ParagraphStyle("lab", parent=base, fontSize=15, leading=20, alignment=TA_CENTER)
        self.title = ParagraphStyle(
            "title", parent=base, fontSize=22, leading=30, alignment=TA_CENTER, spaceAfter=1 * mm
        )
        self.heading = ParagraphStyle(
            "heading", parent=base, fontSize=13, leading=18, alignment=TA_CENTER, spaceAfter=2 * mm
        )
        self.right = ParagraphStyle("right", parent=base, alignment=TA_RIGHT)
        self.note = ParagraphStyle("note", parent=base, fontSize=8.5, leading=12, alignment=TA_LEFT)


# WenQuanYi Micro Hei maps these to blank glyphs: "1.2×10⁵" would print "1.2×10" and
# "4℃" "4".  A run of superscript digits holding one of them is set with <super> markup
# instead (¹²³⁴ have glyphs and stay as typed), and ℃ is spelt °C.
_BLANK_GLYPHS = set("⁰⁵⁶⁷⁸⁹")
_SUPERSCRIPTS = {sup: str(digit) for digit, sup in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")}
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]+")


def _printable(text: str) -> str:
    def run(match: re.Match) -> str:
        digits = match.group()
        if not _BLANK_GLYPHS & set(digits):
            return digits
        return f"<super>{''.join(_SUPERSCRIPTS[d] for d in digits)}</super>"

    return _SUPERSCRIPT_RUN.sub(run, text.replace("℃", "°C"))


def _height(flowables: list) -> float:
    """How tall ``flowables`` stand in the page's frame, one after another."""
    return sum(
        f.wrap(FRAME_WIDTH, FRAME_HEIGHT)[1] + f.getSpaceBefore() + f.getSpaceAfter()
        for f in flowables
    )


def _esc(text: str | None) -> str:
    """Text for a Paragraph: markup characters escaped (a name like "<b>A&B</b>" prints as
    typed), line breaks kept, characters the font draws blank replaced (above)."""
    return _printable(para_text(text))


class BoldParagraph(Paragraph):
    """A Paragraph drawn bold by filling and stroking its glyphs (PDF text render mode 2).

    WenQuanYi Micro Hei has no bold face; reports set the title, headings and the
    conclusion in bold, so the regular outlines are thickened instead.
    """

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(colors.black)
        canvas.setLineWidth(self.style.fontSize * 0.035)
        canvas._code.append("2 Tr")  # text state persists into the text objects drawn below
        super().draw()
        canvas.restoreState()  # Q also restores the render mode


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
        first, continued = self._first_page_fitted()
        return [*first, *self._remarks_continued(continued), *self.item_pages()]

    def _first_page_fitted(self) -> tuple[list, str]:
        """The first page, and the remarks to continue on a page of their own ("" when
        they fit): a long 备注 (the sample's remarks, a retest's result, a replaced report)
        would make the summary table taller than the page, which reportlab cannot split.
        The cell then holds the longest beginning that fits, and says where the rest is."""
        remarks = self._remarks()
        story = self.first_page(remarks)
        if _height(story) <= FRAME_HEIGHT:
            return story, ""
        shortest, longest = 0, len(remarks)
        while shortest < longest:  # the longest beginning that still fits
            middle = (shortest + longest + 1) // 2
            if _height(self.first_page(remarks[:middle] + REMARKS_CONTINUED)) <= FRAME_HEIGHT:
                shortest = middle
            else:
                longest = middle - 1
        return self.first_page(remarks[:shortest] + REMARKS_CONTINUED), remarks

    def _remarks_continued(self, remarks: str) -> list:
        if not remarks:
            return []
        return [
            PageBreak(),
            BoldParagraph("备 注（续）", self.styles.heading),
            Paragraph(_esc(remarks), self.styles.cell),
        ]

    def first_page(self, remarks: str | None = None) -> list:
        s, d = self.styles, self.data
        story = [self._masthead()]
        if d.replaces_no:
            story.append(Paragraph(_esc(self._replacement()), s.center))
        story += [
            Spacer(1, 2 * mm),
            self._summary_table(self._remarks() if remarks is None else remarks),
            Spacer(1, 2 * mm),
            BoldParagraph("注意事项：", s.note),
            *[
                Paragraph(f"{number}. {_esc(note)}", s.note)
                for number, note in enumerate(d.notes, start=1)
            ],
        ]
        return story

    def _masthead(self) -> Table:
        """CMA mark | the lab, its address and telephone, the title, the number | QR code."""
        s, d = self.styles, self.data
        centre = [
            BoldParagraph(_esc(d.lab_name), s.lab),
            *self._lab_contact(),
            BoldParagraph("检 验 报 告", s.title),
            Paragraph(f"报告编号：{_esc(d.report_no)}", s.center),
        ]
        table = Table(
            [[self._cma_mark(), centre, self._qr_code()]],
            colWidths=(38 * mm, 98 * mm, 38 * mm),
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("ALIGN", (2, 0), (2, 0), "CENTER"),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                ]
            )
        )
        return table

    def _cma_mark(self) -> list:
        """The CMA mark over its certificate number (资质认定证书编号), top left."""
        d, s = self.data, self.styles
        if not d.cma_no:
            return []
        image = _mark_image(d.cma_image, height=16 * mm)
        number = Paragraph(f"证书编号：{_esc(d.cma_no)}", s.small)
        return [image, number] if image is not None else [number]

    def _lab_contact(self) -> list:
        d = self.data
        parts = [
            f"地址：{d.lab_address}" if d.lab_address else "",
            f"电话：{d.lab_phone}" if d.lab_phone else "",
        ]
        return [Paragraph(_esc(part), self.styles.small_center) for part in parts if part]

    def _qr_code(self):
        s = self.styles
        if not self.data.verify_url:
            return Paragraph("草稿<br/>不可核验", s.center)
        return QrFlowable(self.data.verify_url, 30 * mm)

    def _summary_table(self, remarks: str) -> Table:
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
            ("封样状态", d.seal_state, "样品状态", d.sample_condition),
            ("检验日期", d.test_dates, "签发日期", d.issue_date),
        ]
        cells = [[lbl(a), p(b), lbl(c), p(e)] for a, b, c, e in pairs]
        wide = [
            ("抽样地点", p(d.place)),
            ("抽样依据", p(d.sampling_basis)),
            ("检验项目", p(d.items_summary)),
            ("判定依据", p(d.judgement_basis)),
            ("检验结论", BoldParagraph(_esc(d.conclusion_text), s.cell)),
            ("备注", p(remarks)),
        ]
        first_wide = len(cells)
        cells += [[lbl(label), value, "", ""] for label, value in wide]
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

    def _replacement(self) -> str:
        """The line under the masthead naming the report this one replaces."""
        d = self.data
        if d.replaces_withdrawn:
            return f"本报告替代已撤销的 {d.replaces_no} 号报告"
        return f"本报告替代 {d.replaces_no} 号报告"

    def _remarks(self) -> str:
        d = self.data
        parts = [d.remarks] if d.remarks else []
        if d.replaces_no and d.replaces_withdrawn:
            when = f"（该报告于{d.replaces_withdrawn_on}撤销）" if d.replaces_withdrawn_on else ""
            parts.append(f"本报告替代已撤销的 {d.replaces_no} 号报告{when}。")
        elif d.replaces_no:
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
                BoldParagraph("检 验 结 果", self.styles.heading),
                self._item_table(chunk, last=index == len(chunks) - 1),
            ]
        return story

    def _item_table(self, rows: list[ReportRow], *, last: bool) -> Table:
        s = self.styles
        cells = [[BoldParagraph(h, s.small_center) for h in ITEM_HEADER]]
        for row in rows:
            cells.append(
                [
                    Paragraph(str(row.seq), s.center),
                    Paragraph(_esc(row.item_name), s.cell),
                    Paragraph(_esc(row.unit), s.small_center),
                    Paragraph(_esc(row.limit), s.center),
                    Paragraph(_esc(row.result), s.center),
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
        if self.data.cma_no:  # every page names the accreditation it is issued under
            canvas.drawCentredString(width / 2, top, f"CMA {self.data.cma_no}")
        canvas.drawString(18 * mm, top, self.data.lab_name)
        canvas.drawRightString(width - 18 * mm, top, f"报告编号：{self.data.report_no}")
        canvas.setLineWidth(0.5)
        canvas.line(18 * mm, top - 2 * mm, width - 18 * mm, top - 2 * mm)
        canvas.restoreState()


def _mark_image(path: str | None, *, height: float) -> Image | None:
    """The mark at ``height``, its aspect kept; None (logged) when it cannot be read."""
    if not path:
        return None
    try:
        width, tall = ImageReader(path).getSize()
    except Exception as error:  # noqa: BLE001 - any unreadable image: print without it
        log.warning("LAB_CMA_IMAGE %s cannot be read (%s); the report has no CMA mark", path, error)
        return None
    return Image(path, width=height * width / tall, height=height)


def unit_fits(unit: str, font: str, width: float = ITEM_WIDTHS[2]) -> bool:
    """Whether ``unit`` fits the unit column on one line in the unit cell's font size."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(unit, font, 8.5) + 2 * CELL_PADDING <= width
