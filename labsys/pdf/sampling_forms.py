"""The printed sampling form (抽样单, one page per batch) and the sampling notice (抽样检验
告知书, one per visit) that the sampled unit signs on site; the signed scans are attached
back to the visit (services/attachments.py).

The layout follows the national food sampling form as labs reproduce it: the header (number,
task source, inspection type), the sampled unit, the place, the sample, the labelled
producer, the online order for 网络抽检, the sampling lab and the signatures *(verify against
the current national template: only its field list, not its exact grid, could be checked)*.

Every value a user typed goes through :func:`labsys.pdf.text.para_text`: it prints as typed
and never as reportlab markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labsys.pdf.fonts import register_fonts
from labsys.pdf.text import para_text

FORM_TITLE = "食品安全抽样检验抽样单"
NOTICE_TITLE = "食品安全抽样检验告知书"
WIDTH = 182 * mm  # A4 less 14 mm margins


@dataclass
class FormSection:
    """A titled block of (label, value) pairs, printed two pairs to a row."""

    title: str
    pairs: list[tuple[str, str]]


@dataclass
class SamplingFormData:
    """One batch's 抽样单, as text."""

    sample_no: str
    task_source: str
    inspection_type: str
    sections: list[FormSection]
    remarks: str = "/"
    samplers: str = ""
    sampling_date: str = ""
    seal_checker: str = ""
    voided: bool = False  # 作废: printed with a mark, never as a valid form
    void_reason: str | None = None


@dataclass
class NoticeData:
    """The 抽样检验告知书 of one visit."""

    unit_name: str
    organiser: str  # 组织机构
    lab_name: str
    sampling_date: str
    basis: str
    samplers: str
    batches: list[tuple[str, str, str]] = field(default_factory=list)  # no, food, quantity
    online: bool = False
    voided: bool = False
    void_reason: str | None = None


VOID_MARK = "作废"


class _Styles:
    def __init__(self, font: str):
        self.cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
        self.label = ParagraphStyle("label", parent=self.cell, alignment=TA_CENTER)
        self.section = ParagraphStyle("section", parent=self.cell, fontSize=9.5)
        self.title = ParagraphStyle(
            "title", parent=self.cell, fontSize=17, leading=24, alignment=TA_CENTER
        )
        self.body = ParagraphStyle("body", parent=self.cell, fontSize=11, leading=19)
        self.void = ParagraphStyle(
            "void", parent=self.title, fontSize=26, leading=32, textColor=colors.red
        )


def _void_mark(reason: str | None, s: _Styles) -> list:
    """The 作废 stamp under a voided form's title (with the reason when there is one)."""
    text = f"{VOID_MARK}（本单已作废，不作为抽样凭证"
    text += f"；作废原因：{para_text(reason)}）" if reason else "）"
    return [
        Paragraph(para_text(VOID_MARK), s.void),
        Paragraph(text, ParagraphStyle("void_note", parent=s.cell, textColor=colors.red)),
        Spacer(1, 2 * mm),
    ]


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(para_text(text if text not in (None, "") else "/"), style)


class _Barcode(Code128):
    """The sample number as a Code128 barcode on the form (a flowable)."""

    def __init__(self, value: str):
        super().__init__(value, barHeight=9 * mm, barWidth=0.9, humanReadable=False)


def _document(buffer: BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title,
        author="labsys",
    )


def sampling_forms_pdf(forms: list[SamplingFormData], *, font_path: str | None = None) -> bytes:
    """The 抽样单 of each batch, one page each."""
    styles = _Styles(register_fonts(font_path))
    buffer = BytesIO()
    story: list = []
    for index, data in enumerate(forms):
        if index:
            story.append(PageBreak())
        story += _form_page(data, styles)
    _document(buffer, FORM_TITLE).build(story)
    return buffer.getvalue()


def _form_page(d: SamplingFormData, s: _Styles) -> list:
    header = Table(
        [
            [
                _p(f"抽样单编号：{d.sample_no}", s.cell),
                _Barcode(d.sample_no) if d.sample_no.isascii() else "",
            ],
            [
                _p(f"任务来源：{d.task_source}", s.cell),
                _p(f"检验类别：{d.inspection_type}", s.cell),
            ],
        ],
        colWidths=(WIDTH / 2, WIDTH / 2),
    )
    header.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    rows: list = []
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for section in d.sections:
        style += [
            ("SPAN", (0, len(rows)), (-1, len(rows))),
            ("BACKGROUND", (0, len(rows)), (-1, len(rows)), colors.HexColor("#eeeeee")),
        ]
        rows.append([_p(section.title, s.section), "", "", ""])
        pairs = list(section.pairs)
        for start in range(0, len(pairs), 2):
            left = pairs[start]
            right = pairs[start + 1] if start + 1 < len(pairs) else None
            if right is None:
                style.append(("SPAN", (1, len(rows)), (3, len(rows))))
                rows.append([_p(left[0], s.label), _p(left[1], s.cell), "", ""])
            else:
                rows.append(
                    [
                        _p(left[0], s.label),
                        _p(left[1], s.cell),
                        _p(right[0], s.label),
                        _p(right[1], s.cell),
                    ]
                )
    style.append(("SPAN", (1, len(rows)), (3, len(rows))))
    rows.append([_p("备注", s.label), _p(d.remarks, s.cell), "", ""])
    table = Table(rows, colWidths=(27 * mm, 64 * mm, 27 * mm, 64 * mm), repeatRows=0)
    table.setStyle(TableStyle(style))
    signatures = Table(
        [
            [
                _p(f"抽样人员（签字）：{d.samplers}", s.cell),
                _p("被抽样单位（签字、盖章）：", s.cell),
            ],
            [
                _p(f"检查封样人员：{d.seal_checker or '__________'}", s.cell),
                _p("被抽样单位负责人或陪同人员：", s.cell),
            ],
            [_p(f"日期：{d.sampling_date}", s.cell), _p("日期：      年    月    日", s.cell)],
        ],
        colWidths=(WIDTH / 2, WIDTH / 2),
    )
    signatures.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, colors.black),
                ("TOPPADDING", (0, 0), (-1, -1), 7),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return [
        Paragraph(FORM_TITLE, s.title),
        *(_void_mark(d.void_reason, s) if d.voided else []),
        Spacer(1, 2 * mm),
        header,
        Spacer(1, 2 * mm),
        table,
        signatures,
        Spacer(1, 2 * mm),
        _p(
            "本抽样单一式多联，抽样单位、被抽样单位及检验机构各执一联；"
            "被抽样单位对填写内容核对无误后签字确认。",
            s.cell,
        ),
    ]


def notice_pdf(data: NoticeData, *, font_path: str | None = None) -> bytes:
    """The 抽样检验告知书 of one visit, with the list of its batches."""
    s = _Styles(register_fonts(font_path))
    e = para_text
    buffer = BytesIO()
    how = "通过网络购买样品" if data.online else "在你单位抽取样品"
    paragraphs = [
        f"{e(data.unit_name)}：",
        f"　　根据《中华人民共和国食品安全法》、{e(data.basis)}等规定，"
        f"{e(data.organiser)}组织开展食品安全抽样检验，由{e(data.lab_name)}承担抽样检验工作。"
        f"抽样人员{e(data.samplers)}于{e(data.sampling_date)}{how}，"
        f"共{len(data.batches)}批次，清单如下。",
        "　　被抽样单位应当配合抽样检验工作，如实提供有关情况；对抽样过程有异议的，"
        "可在抽样单上注明或依法提出。检验结论将依法告知被抽样单位和标称生产者，"
        "对检验结论有异议的，可依法申请复检。",
    ]
    story: list = [Paragraph(NOTICE_TITLE, s.title)]
    if data.voided:
        story += _void_mark(data.void_reason, s)
    story.append(Spacer(1, 6 * mm))
    story += [Paragraph(text, s.body) for text in paragraphs]
    story.append(Spacer(1, 4 * mm))
    rows = [[_p("序号", s.label), _p("抽样单编号", s.label), _p("样品名称", s.label),
             _p("抽样数量", s.label)]]  # fmt: skip
    for index, (number, food, quantity) in enumerate(data.batches, start=1):
        rows.append(
            [_p(index, s.label), _p(number, s.cell), _p(food, s.cell), _p(quantity, s.cell)]
        )
    table = Table(rows, colWidths=(14 * mm, 56 * mm, 76 * mm, 36 * mm))
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    story += [table, Spacer(1, 10 * mm)]
    signatures = Table(
        [
            [
                _p(f"抽样人员（签字）：{data.samplers}", s.body),
                _p("被抽样单位（签字、盖章）：", s.body),
            ],
            [_p(f"日期：{data.sampling_date}", s.body), _p("日期：      年    月    日", s.body)],
        ],
        colWidths=(WIDTH / 2, WIDTH / 2),
    )
    story.append(signatures)
    _document(buffer, NOTICE_TITLE).build(story)
    return buffer.getvalue()
