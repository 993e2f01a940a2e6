"""The compliance report (合格率统计报告) as a PDF.

:class:`ComplianceReport` lays out a :class:`ComplianceData` (results of
``services.stats`` and the unqualified list, no database access here): a summary with the
key-food indicator, the three charts of the statistics page, tables by food category and
by district, and the list of unqualified samples.  The document text is Chinese, like the
inspection report it accompanies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from labsys.pdf import charts
from labsys.pdf.fonts import register_fonts

RATE_HEADER = ["名称", "批次", "合格", "不合格", "待定", "合格率(%)", "95%置信区间"]
UNQUALIFIED_HEADER = [
    "序号",
    "样品编号",
    "产品名称",
    "被抽样单位",
    "不合格项目║检验结果║标准值",
    "分类",
]


@dataclass
class ComplianceData:
    lab_name: str
    period: str  # e.g. "2026-01-01 至 2026-12-31"
    total: object  # stats.StatsResult (by category, level 1)
    key_foods: object  # stats.StatsResult (key foods by month)
    districts: object  # stats.StatsResult (by district)
    unqualified: list[list] = field(default_factory=list)  # rows of UNQUALIFIED_HEADER


class ComplianceReport:
    """Builds the PDF into a BytesIO: ``ComplianceReport(data, font_path).build()``."""

    def __init__(self, data: ComplianceData, font_path: str | None = None):
        self.data = data
        self.font = register_fonts(font_path)
        self.title_style = ParagraphStyle(
            "title", fontName=self.font, fontSize=16, leading=22, alignment=1, spaceAfter=6
        )
        self.heading = ParagraphStyle(
            "heading", fontName=self.font, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4
        )
        self.body = ParagraphStyle("body", fontName=self.font, fontSize=10, leading=15)
        self.cell = ParagraphStyle("cell", fontName=self.font, fontSize=8, leading=10)

    def build(self) -> BytesIO:
        buffer = BytesIO()
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=15 * mm,
            rightMargin=15 * mm,
            topMargin=15 * mm,
            bottomMargin=15 * mm,
            title="食品安全抽样检验合格率统计报告",
            author=self.data.lab_name,
        )
        document.build(self.story(), onFirstPage=self._footer, onLaterPages=self._footer)
        buffer.seek(0)
        return buffer

    def story(self) -> list:
        data = self.data
        story = [
            Paragraph("食品安全抽样检验合格率统计报告", self.title_style),
            Paragraph(f"{data.lab_name}　统计期间：{data.period}", self.body),
            Spacer(1, 4 * mm),
        ]
        story += self.summary()
        story += self.charts()
        story.append(Paragraph("按食品大类", self.heading))
        story.append(self.rate_table(data.total.rows, data.total.total))
        story.append(Paragraph("按行政区", self.heading))
        story.append(self.rate_table(data.districts.rows, data.districts.total))
        story.append(Paragraph(f"不合格样品（{len(data.unqualified)} 批次）", self.heading))
        story.append(self.unqualified_table())
        return story

    def summary(self) -> list:
        total = self.data.total.total
        key = self.data.key_foods.total
        lines = [
            f"抽检样品 {total.samples} 批次，已判定 {total.judged} 批次，其中合格 {total.qualified}"
            f" 批次、不合格 {total.unqualified} 批次，待定 {total.pending} 批次；"
            f"总体合格率 {_rate(total)}。",
            f"重点食品抽检 {key.samples} 批次，合格 {key.qualified} 批次、不合格 "
            f"{key.unqualified} 批次，重点食品合格率 {_rate(key)}。",
            "合格率 = 合格批次 ÷ 已判定批次（合格 + 不合格）；待定、无法判定的批次不计入分母；"
            "百分数按 GB/T 8170 修约至 0.01，置信区间为 95% Wilson 区间。",
        ]
        return [Paragraph(line, self.body) for line in lines]

    def charts(self) -> list:
        data = self.data
        story = []
        for chart in (
            charts.trend_line(data.key_foods, "重点食品合格率（按月）"),
            charts.category_bars(data.total, "各食品大类合格率（由低到高）"),
            charts.district_columns(data.districts, "各行政区合格率"),
        ):
            if len([s for s in chart.shapes if s[0] in ("rect", "circle")]):
                story += [Spacer(1, 3 * mm), charts.to_drawing(chart, self.font)]
        return story

    def rate_table(self, rows, total) -> LongTable:
        body = [
            [
                Paragraph(str(row.name), self.cell),
                row.samples,
                row.qualified,
                row.unqualified,
                row.pending,
                _rate(row, percent=False),
                _interval(row),
            ]
            for row in rows
        ]
        body.append(
            [
                "合计",
                total.samples,
                total.qualified,
                total.unqualified,
                total.pending,
                _rate(total, percent=False),
                _interval(total),
            ]
        )
        widths = [52 * mm, 18 * mm, 18 * mm, 18 * mm, 16 * mm, 22 * mm, 36 * mm]
        return self._table([RATE_HEADER, *body], widths)

    def unqualified_table(self) -> LongTable:
        rows = [
            [
                row[0],
                row[1],
                Paragraph(str(row[2]), self.cell),
                Paragraph(str(row[3]), self.cell),
                Paragraph(str(row[4]).replace("\n", "<br/>"), self.cell),
                Paragraph(str(row[5]), self.cell),
            ]
            for row in self.data.unqualified
        ]
        if not rows:
            rows = [["", "无", "", "", "", ""]]
        widths = [10 * mm, 32 * mm, 30 * mm, 40 * mm, 50 * mm, 18 * mm]
        return self._table([UNQUALIFIED_HEADER, *rows], widths)

    def _table(self, rows: list, widths: list) -> LongTable:
        table = LongTable(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), self.font, 8),
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return table

    def _footer(self, canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(self.font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()


def _rate(row, percent: bool = True) -> str:
    if row.rate is None:
        return "—"
    return f"{row.rate}%" if percent else str(row.rate)


def _interval(row) -> str:
    if row.wilson is None:
        return "—"
    low, high = row.wilson
    return f"{low}–{high}"
