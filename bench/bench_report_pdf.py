"""Benchmark: building inspection-report PDFs with labsys.pdf.report.ReportDocument.

    python bench/bench_report_pdf.py [--runs R] [--smoke]

Builds a one-page report (the first page alone), a two-page report (one item page) and a
five-page report (four item pages, 40 items with a microbiological plan among them), each
R times after one warm-up build (which registers the embedded CJK font), and prints the
median wall and CPU time per report and per page, the font used, whether reportlab's C
accelerator (rl_accel) is loaded, and the machine.  CPU time is the steadier figure on a
busy machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pypdf import PdfReader  # noqa: E402

from labsys.pdf.fonts import register_fonts  # noqa: E402
from labsys.pdf.report import ReportData, ReportDocument, ReportRow  # noqa: E402

ITEMS = [
    ("铅(以Pb计)", "mg/kg", "≤0.2", "0.042", "合格", "GB 5009.12-2023"),
    ("镉(以Cd计)", "mg/kg", "≤0.1", "未检出(检出限: 0.002 mg/kg)", "合格", "GB 5009.15-2023"),
    ("苯并[a]芘", "μg/kg", "≤5.0", "1.3", "合格", "GB 5009.27-2016"),
    ("黄曲霉毒素B1", "μg/kg", "≤5.0", "6.1", "不合格", "GB 5009.22-2016 第三法"),
    ("玉米赤霉烯酮", "μg/kg", "≤60", "12", "合格", "GB 5009.209-2016"),
    ("脱氧雪腐镰刀菌烯醇", "μg/kg", "≤1000", "260", "合格", "GB 5009.111-2016"),
    ("过氧化苯甲酰", "g/kg", "不得使用", "未检出(检出限: 0.5 g/kg)", "合格", "GB/T 22325-2008"),
    (
        "菌落总数",
        "CFU/g",
        "n=5,c=2,\nm=50000,\nM=100000",
        "12000；30000；60；80；100",
        "合格",
        "GB 4789.2-2022",
    ),
]


def report(item_count: int) -> ReportData:
    rows = [ReportRow(i, *ITEMS[(i - 1) % len(ITEMS)]) for i in range(1, item_count + 1)]
    return ReportData(
        report_no="JC01-2026-000123",
        lab_name="北京市食品安全检验中心",
        inspection_type="监督抽检",
        food_name="通用小麦粉",
        brand="金麦穗",
        specification="5kg/袋",
        production_date_or_batch="2026-10-01 / B20261001",
        sampled_unit_name="北京市东城区某某超市有限公司",
        sampled_unit_phone="010-66668888",
        producer_name="河北某面粉有限公司",
        producer_phone="0311-88886666",
        task_source="2026年北京市食品安全监督抽检计划",
        samplers="张三、李四",
        sampling_date="2026-11-02",
        arrival_date="2026-11-03",
        quantity="2 袋",
        sampling_base="200袋",
        sample_no="SC202611010101000123",
        seal_state="完好",
        place="北京市东城区测试路1号",
        items_summary=f"共{item_count}项",
        conclusion_text="经抽样检验，黄曲霉毒素B1项目不符合GB 2761-2017要求，检验结论为不合格。",
        issue_date="2026-11-20",
        remarks="",
        author="王技术",
        reviewer="赵审核",
        approver="钱批准",
        rows=rows,
        verify_url="https://lims.example.cn/verify/" + "x" * 43,
    )


def pages_of(pdf: bytes) -> int:
    import io

    return len(PdfReader(io.BytesIO(pdf)).pages)


def measure(item_count: int, runs: int) -> tuple[int, float, float]:
    """(pages, median wall seconds, median CPU seconds of this process)."""
    data = report(item_count)
    pages = pages_of(ReportDocument(data).build())  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        ReportDocument(data).build()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return pages, statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--smoke", action="store_true", help="one run each (CI)")
    args = parser.parse_args()
    runs = 1 if args.smoke else args.runs
    font = register_fonts(os.environ.get("LABSYS_PDF_FONT_PATH"))
    try:
        import _rl_accel  # noqa: F401

        accel = "rl_accel"
    except ImportError:
        accel = "no rl_accel (pure Python)"
    print(
        f"font {font}; {accel}; python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs; median of {runs} run(s)"
    )
    for label, items in (("one page", 0), ("two pages", 8), ("five pages", 40)):
        pages, wall, cpu = measure(items, runs)
        print(
            f"{label:>10}: {items:2d} items, {pages} pages, {wall * 1000:6.1f} ms a report "
            f"({wall * 1000 / pages:5.1f} ms a page); CPU {cpu * 1000:6.1f} ms "
            f"({cpu * 1000 / pages:5.1f} ms a page)"
        )


if __name__ == "__main__":
    main()
