"""The weekly risk briefing (风险预警简报) as a PDF: ``RiskBriefing(data, font_path).build()``.

Lays out a :class:`labsys.services.briefing.BriefingData` (no database access here).  Every
value that came from a user (enterprise names, proposal names, reasons) goes through
``para_text`` before it meets a Paragraph, so it prints exactly as typed.
"""

from __future__ import annotations

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from labsys.pdf.fonts import register_fonts
from labsys.pdf.text import para_text

TITLE = "风险预警简报"


class RiskBriefing:
    def __init__(self, data, font_path: str | None = None):
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
            title=TITLE,
            author=self.data.lab_name,
        )
        document.build(self.story(), onFirstPage=self._footer, onLaterPages=self._footer)
        buffer.seek(0)
        return buffer

    def story(self) -> list:
        data = self.data
        counts = data.counts
        story = [
            Paragraph(TITLE, self.title_style),
            Paragraph(
                para_text(
                    f"{data.lab_name}　{data.week_start.isoformat()} 至 {data.week_end.isoformat()}"
                ),
                self.body,
            ),
            Spacer(1, 3 * mm),
            Paragraph(
                para_text(
                    f"企业风险等级：A级 {counts['A']} 家，B级 {counts['B']} 家，C级 {counts['C']} 家，"
                    f"D级 {counts['D']} 家，未分级 {counts['']} 家。本周等级变化 {len(data.changes)} 家。"
                ),
                self.body,
            ),
        ]
        story += self._section(
            "风险信号（排名靠前）",
            ["范围", "名称", "不合格/批次", "评分", "依据"],
            [
                [g.scope, g.name, f"{g.unqualified}/{g.samples}", f"{g.score:.2f}", g.reason]
                for g in data.signals
            ],
            [22 * mm, 38 * mm, 18 * mm, 12 * mm, 90 * mm],
        )
        story += self._section(
            "本周等级变化",
            ["企业", "原等级", "新等级", "依据"],
            [[c.name, c.previous or "—", c.grade, c.reason] for c in data.changes],
            [55 * mm, 15 * mm, 15 * mm, 95 * mm],
        )
        story += self._section(
            "风险较高的企业（按当前规则）",
            ["企业", "等级", "分值", "依据"],
            [[r.name, r.grade, str(r.score), r.reason] for r in data.top],
            [55 * mm, 12 * mm, 13 * mm, 100 * mm],
        )
        story += self._section(
            "建议检查的企业（C、D级且近6个月未抽检）",
            ["企业", "等级", "分值", "依据"],
            [[r.name, r.grade, str(r.score), r.reason] for r in data.visits],
            [55 * mm, 12 * mm, 13 * mm, 100 * mm],
        )
        story += self._section(
            "待采纳的计划建议",
            ["名称", "期间", "批次"],
            [
                [
                    p.name,
                    f"{p.period_start.isoformat()} 至 {p.period_end.isoformat()}",
                    str(p.total),
                ]
                for p in data.proposals
            ],
            [80 * mm, 70 * mm, 30 * mm],
        )
        return story

    def _section(self, title: str, header: list[str], rows: list[list], widths: list) -> list:
        story: list = [Paragraph(para_text(title), self.heading)]
        if not rows:
            return [*story, Paragraph("无", self.body)]
        cells = [
            [Paragraph(para_text(value), self.cell) for value in row] for row in [header, *rows]
        ]
        table = LongTable(cells, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return [*story, table]

    def _footer(self, canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(self.font, 8)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"第 {document.page} 页")
        canvas.restoreState()
