"""Helpers of the report tests (imported by name: ``from reports_support import ...``;
kept out of conftest.py, which other folders' conftests could shadow)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader

from labsys.models import VerdictValue

from support import require_tool

# (name, unit, limit, basis, measured/reported, verdict)
LEAD = ("铅(以Pb计)", "mg/kg", "≤0.2", "GB 2762-2022", "0.05", VerdictValue.PASS)
CADMIUM = ("镉(以Cd计)", "mg/kg", "≤0.1", "GB 2762-2022", "0.32", VerdictValue.FAIL)
BAP = ("苯并[a]芘", "μg/kg", "≤5.0", "GB 2762-2022", "未检出(检出限: 0.2 μg/kg)", VerdictValue.PASS)
AFLATOXIN = ("黄曲霉毒素B1", "μg/kg", "≤5.0", "GB 2761-2017", "6.1", VerdictValue.FAIL)


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page, whitespace removed (CJK text extraction splits lines)."""
    reader = PdfReader(io.BytesIO(data))
    return [re.sub(r"\s+", "", page.extract_text()) for page in reader.pages]


def decode_qr(data: bytes) -> str:
    """Render the first page with pdftoppm and read its QR code with zbarimg."""
    require_tool(
        bool(shutil.which("pdftoppm") and shutil.which("zbarimg")),
        "pdftoppm (poppler-utils) and zbarimg (zbar-tools)",
    )
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "report.pdf"
        pdf.write_bytes(data)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                "150",
                "-png",
                "-f",
                "1",
                "-l",
                "1",
                str(pdf),
                str(Path(folder) / "page"),
            ],
            check=True,
        )
        png = next(Path(folder).glob("page*.png"))
        out = subprocess.run(
            ["zbarimg", "--quiet", "--raw", str(png)], check=True, capture_output=True, text=True
        ).stdout
    return out.strip()
