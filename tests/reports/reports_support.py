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

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Applicant, ObjectionKind, VerdictValue
from labsys.services import corrections, objections, retests

from support import require_tool, signed

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


def retest_due(sample, boss, **handover):
    """A retest of ``sample`` applied for by the sampled unit today, accepted, its lab drawn
    and the backup handed over (``handover``: more of record_backup_handover's fields):
    the result is due."""
    today = clock.today()
    retest = retests.apply_for_retest(
        db.session,
        boss,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=today,
        applied_on=today,
    )
    retests.accept_retest(db.session, boss, retest, decided_on=today)
    retests.choose_retest_lab(db.session, boss, retest, chosen_on=today, seed=1)
    retests.record_backup_handover(
        db.session, boss, retest, received_on=today, seal_intact=True, **handover
    )
    db.session.commit()
    return retest


def accepted_objection(sample, boss):
    """The producer's objection to the standard applied (判定依据), filed today and accepted."""
    today = clock.today()
    filed = objections.file_objection(
        db.session,
        boss,
        sample,
        kind=ObjectionKind.STANDARD,
        applicant=Applicant.PRODUCER,
        applicant_name="河北某面粉有限公司",
        grounds="判定依据版本有误",
        filed_on=today,
    )
    objections.accept_objection(db.session, boss, filed, decided_on=today)
    db.session.commit()
    return filed


def approved_correction(row, requester, second_reviewer, boss, *, measured_text, reason):
    """A reported result corrected through the request: asked by ``requester``, reviewed by
    ``second_reviewer``, approved by ``boss`` (the superseding report is issued)."""
    request = corrections.correct_reported_result(
        db.session,
        requester,
        row,
        measured_text=measured_text,
        reason=reason,
        expected_version=row.version_id,
    )
    db.session.commit()
    corrections.review_reported_result(
        db.session,
        second_reviewer,
        request,
        expected_version=request.version_id,
        signature=signed(second_reviewer),
    )
    db.session.commit()
    corrections.approve(
        db.session,
        boss,
        request,
        expected_version=request.version_id,
        base_url="http://labsys.test",
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    return request
