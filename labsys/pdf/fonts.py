"""The CJK font every labsys PDF is set in.

reportlab embeds TrueType outlines only (it cannot read the CFF outlines of Noto CJK), so we
look for a TrueType CJK font: the ``PDF_FONT_PATH`` setting first, then Debian's
``fonts-wqy-microhei`` and ``fonts-arphic-uming``.  Without one, the PDF falls back to
reportlab's built-in ``STSong-Light`` CID font, which is *not* embedded (readers without
Adobe's Asian font pack may show boxes); that is logged once as a warning.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

log = logging.getLogger(__name__)

EMBEDDED_FONT_NAME = "LabsysCJK"
FALLBACK_FONT_NAME = "STSong-Light"
CANDIDATE_PATHS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
)

_lock = threading.Lock()
_registered: dict[str | None, str] = {}  # configured path -> registered font name


def register_fonts(font_path: str | None = None) -> str:
    """Register the CJK font once per configured path; return the font name to use."""
    key = font_path or None
    with _lock:
        if key not in _registered:
            _registered[key] = _register(key)
        return _registered[key]


def _register(font_path: str | None) -> str:
    candidates = [font_path] if font_path else []
    candidates += [p for p in CANDIDATE_PATHS if p != font_path]
    for index, path in enumerate(candidates):
        if not Path(path).is_file():
            if font_path and index == 0:
                log.warning("PDF_FONT_PATH %s does not exist; looking for another CJK font", path)
            continue
        name = EMBEDDED_FONT_NAME if index == 0 else f"{EMBEDDED_FONT_NAME}{index}"
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        except TTFError as error:
            log.warning("cannot embed the font %s (%s); trying the next one", path, error)
            continue
        return name
    log.warning(
        "no TrueType CJK font found (install fonts-wqy-microhei or set PDF_FONT_PATH):"
        " PDFs use the built-in %s, which is not embedded",
        FALLBACK_FONT_NAME,
    )
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT_NAME))
    return FALLBACK_FONT_NAME
