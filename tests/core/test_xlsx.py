"""The streaming XLSX writer (issue #19 §3): what openpyxl reads back is what was written."""

from __future__ import annotations

import html
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from labsys.core import xlsx

# Text XML 1.0 can carry (the writer escapes the rest as _xHHHH_, see below).
TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if c not in (9, 10, 13))
        + "\ufffe\uffff\r",
    ),
    max_size=20,
)
VALUE = st.one_of(
    TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.booleans(),
    st.none(),
)


def _read(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def _write(header, rows, **kwargs) -> bytes:
    out = io.BytesIO()
    xlsx.write_sheet(out, header, rows, title=kwargs.pop("title", "t"), **kwargs)
    return out.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(VALUE, min_size=1, max_size=6), min_size=0, max_size=8))
def test_what_is_written_reads_back(rows):
    sheet = _read(_write(["a", "b"], rows))
    read = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    for written, back in zip(rows, read, strict=False):
        for value, got in zip(written, back, strict=False):
            if value is None or value == "":
                assert got is None
            elif isinstance(value, date) and not isinstance(value, datetime):
                assert got == datetime(value.year, value.month, value.day)
            else:
                assert got == value and type(got) is type(value)


def test_the_layout_the_exports_need():
    rows = [["=HYPERLINK(1)", 7, date(2026, 3, 4), Decimal("1.25"), " lead", "a\nb"]]
    sheet = _read(
        _write(["h1", "h2"], rows, preamble=[["title"], ["note"]], widths=[20, 8], title="样品")
    )
    assert sheet.title == "样品"
    assert sheet.freeze_panes == "A4"  # the preamble and the header stay in view
    assert sheet.column_dimensions["A"].width == 20
    assert sheet["A3"].value == "h1" and sheet["A3"].font.b
    formula, number, day, decimal, lead, lines = sheet[4]
    assert formula.value == "=HYPERLINK(1)" and formula.data_type == "s"  # text, never run
    assert number.value == 7 and number.number_format == "0"
    assert day.is_date and day.number_format == "yyyy-mm-dd"
    assert decimal.value == 1.25
    assert lead.value == " lead" and lines.value == "a\nb"


def test_characters_xml_cannot_carry_are_escaped_not_fatal():
    sheet = _read(_write(["h"], [["x\x01y<&>"]]))
    assert sheet["A2"].value == "x_x0001_y<&>"


def test_rows_are_streamed_into_a_zip64_entry():
    data = _write(["h"], ([n] for n in range(1000)))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
    assert _read(data).max_row == 1001


def test_column_names():
    assert [xlsx.column_name(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"
    ]  # fmt: skip


_EXCEL_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _as_excel_shows(xml_text: str) -> str:
    """What Excel shows for a cell's character data: the XML entities, then every
    ``_xHHHH_`` decoded (ECMA-376 Part 1, §22.9.2.19), in one left-to-right pass."""
    unescaped = html.unescape(xml_text)
    return _EXCEL_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), unescaped)


@given(
    st.lists(
        st.sampled_from(
            ["_x0041_", "_X004a_", "_x005F_", "_x", "_", "x", "0041_", "\x01", "<", "&", "名"]
        ),
        max_size=8,
    ).map("".join)
)
def test_text_that_looks_like_an_escape_shows_as_typed(value):
    assert _as_excel_shows(xlsx.text(value)) == value


def test_an_escape_typed_by_a_user_is_not_decoded():
    assert xlsx.text("_x0041_") == "_x005F_x0041_"
    for typed in ("_x0041_x0042_", "a_x0041_x0041_b", "_x005F_x0041_"):  # back to back
        assert _as_excel_shows(xlsx.text(typed)) == typed
    assert _as_excel_shows(xlsx.text("名称_x0041_备注")) == "名称_x0041_备注"
