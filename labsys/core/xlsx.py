"""A streaming XLSX writer: one worksheet written row by row into the zip, in constant memory.

openpyxl's write-only workbook builds a cell object per value (about 2,900 rows of 42 cells a
second here); this writer formats each row as one string of SpreadsheetML (ECMA-376 Part 1,
§18.3 worksheets, §18.8 styles) and streams it into the zip entry of the sheet, about ten
times faster.  It writes just what the exports need:

- text as inline string cells (``t="inlineStr"``): a string cell is never evaluated, so a
  value starting with "=" stays text;
- whole numbers with the number format "0", other numbers in the general format, booleans;
- dates and datetimes as date cells formatted yyyy-mm-dd;
- a bold header row, frozen (with the lines above it) so it stays in view while scrolling;
- column widths in characters.

Characters XML 1.0 cannot carry (control characters other than tab, newline and carriage
return) are written as Excel's ``_xHHHH_`` escape, as Excel itself does.  Text that already
reads like such an escape ("_x0041_", which Excel would show as "A") has its underscore
escaped first ("_x005F_x0041_"), so it shows as typed (ECMA-376 Part 1, §22.9.2.19
ST_Xstring).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO

# Style indexes in STYLES' cellXfs.
_BOLD, _DATE, _INTEGER = 1, 2, 3
_EPOCH = datetime(1899, 12, 30)  # day 0 of the 1900 date system (dates after 1900-03-01)
# Text that Excel would read as an escape: "_x" and four hex digits and "_".
# (A lookahead: "_x0041_x0042_" holds two, the second starting on the first's last "_".)
_LOOKS_ESCAPED = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ROWS_PER_WRITE = 200

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" \
ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
<Override PartName="/docProps/app.xml" \
ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>\
<Override PartName="/docProps/core.xml" \
ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
</Types>"""

ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/>\
<Relationship Id="rId3" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" \
Target="docProps/app.xml"/>\
</Relationships>"""

APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">\
<Application>labsys</Application></Properties>"""

CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties \
xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>labsys</dc:creator></cp:coreProperties>"""

WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>"""

WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" \
Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/>\
</Relationships>"""

# cellXfs: 0 general, 1 bold (the header), 2 a date yyyy-mm-dd, 3 a whole number ("0").
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""

SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def column_name(index: int) -> str:
    """The letters of a column from 0: 0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def text(value: str) -> str:
    """``value`` as XML character data: markup escaped, characters XML cannot carry as
    Excel's ``_xHHHH_``."""
    value = value.translate(_ESCAPES)
    if "_x" in value or "_X" in value:
        value = _LOOKS_ESCAPED.sub("_x005F_", value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def _string_cell(ref: str, value: str, style: int = 0) -> str:
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text(value)}</t></is></c>'


def cell(ref: str, value: object, style: int = 0) -> str:
    """One cell's XML ("" for None or "")."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _string_cell(ref, value, style)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}" s="{style or _INTEGER}"><v>{value}</v></c>'
    if isinstance(value, float | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, date):
        moment = value if isinstance(value, datetime) else datetime(*value.timetuple()[:3])
        serial = (moment.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
        serial_text = repr(serial) if serial % 1 else str(int(serial))
        return f'<c r="{ref}" s="{style or _DATE}"><v>{serial_text}</v></c>'
    return _string_cell(ref, str(value), style)


def write_sheet(
    target: str | IO[bytes],
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    title: str,
    preamble: Iterable[Sequence] = (),
    widths: Sequence[float] | None = None,
) -> None:
    """Write a one-sheet workbook to ``target`` (a path or a binary file): the ``preamble``
    rows, the header (bold, frozen with everything above it), then ``rows`` as they come."""
    preamble = [list(line) for line in preamble]
    frozen = len(preamble) + 1  # the rows kept in view
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("docProps/app.xml", APP)
        zf.writestr("docProps/core.xml", CORE)
        zf.writestr("xl/workbook.xml", WORKBOOK.format(title=text(title[:31])))
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(frozen, widths).encode())
            letters: list[str] = []
            number = 0

            def refs(count: int) -> list[str]:
                while len(letters) < count:
                    letters.append(column_name(len(letters)))
                return letters

            def line(values: Sequence, style: int = 0) -> str:
                nonlocal number
                number += 1
                names = refs(len(values))
                cells = "".join(
                    cell(f"{names[i]}{number}", value, style) for i, value in enumerate(values)
                )
                return f'<row r="{number}">{cells}</row>'

            buffer = [line(values) for values in preamble]
            buffer.append(line(list(header), _BOLD))
            for row in rows:
                buffer.append(line(row))
                if len(buffer) >= _ROWS_PER_WRITE:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
            buffer.append("</sheetData></worksheet>")
            sheet.write("".join(buffer).encode())


def _sheet_head(frozen: int, widths: Sequence[float] | None) -> str:
    top = f"A{frozen + 1}"
    view = (
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane ySplit="{frozen}" topLeftCell="{top}" activePane="bottomLeft" state="frozen"/>'
        f'<selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        "</sheetView></sheetViews>"
    )
    cols = ""
    if widths:
        cols = (
            "<cols>"
            + "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                for i, w in enumerate(widths, start=1)
            )
            + "</cols>"
        )
    return f'{SHEET_START}{view}<sheetFormatPr defaultRowHeight="15"/>{cols}<sheetData>'
