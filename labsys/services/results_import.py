"""Instrument import: a CSV or XLSX file of results, validated as a whole, saved all or nothing.

Columns (Chinese or English headers): 样品编号/sample_no, 检验项目/test_item, 结果/value,
单位/unit, and optionally 检出限/lod and the bench record (ISO/IEC 17025 §7.5.1): 开始日期/
started_on, 结束日期/ended_on, 检验方法/method, 仪器编号/instrument (the instrument's asset
number).  A row giving any of these is checked as the record page checks it
(``bench.check_record``: dates in order, not before receipt nor in the future, a method of the
item, an instrument in service and in calibration on the end date) and saves that bench record.
The imported file itself is kept in the attachment store as the raw data (owner "result", kind
"raw_data", SHA-256 in each row's audit trail) of every row it imports.  Every row is checked before anything is written; the
referenced samples and result rows are fetched in a few bulk queries (never one per row).
If any row is wrong, ImportErrors carries every problem (row number as in the file, the
header being row 1, the column, what is wrong) and nothing is saved.  Otherwise every row is
judged and saved in one transaction (one UPDATE batch with the version check, one audit
batch).  Microbiological items take their n unit results in one cell, separated by commas
or semicolons.

Nothing already entered is replaced silently: when rows would overwrite values already on
file with different ones, :func:`save_import` refuses with :class:`OverwriteNeedsConfirmation`
listing each difference (old → new per sample and item) and the fingerprint of that list;
it saves only when called again with that fingerprint (``confirmed``), i.e. after the user
saw exactly these differences (the web page shows them; the CLI takes ``--overwrite``).  A
row assigned to another technician is refused (services/assignments.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import (
    BenchRecord,
    Instrument,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    TestItem,
    TestItemMethod,
    User,
)
from labsys.services import (
    assignments,
    attachments,
    audit,
    bench,
    instruments,
    lifecycle,
    traceability,
)
from labsys.services.access import check_actor, writes
from labsys.services.errors import ConflictError, ServiceError
from labsys.services.results import (
    EDITABLE,
    TESTING_STATUSES,
    judge_values,
    unchanged,
    value_display,
)

# Accepted header spellings, compared after stripping and casefolding.
HEADERS = {
    "sample_no": ("样品编号", "sample_no", "sample no", "sample number", "sample"),
    "test_item": ("检验项目", "test_item", "test item", "item"),
    "value": ("结果", "检验结果", "value", "result"),
    "unit": ("单位", "unit"),
    "lod": ("检出限", "lod"),
    # The bench record (optional): test dates, the method used, the instrument's asset number.
    "started_on": ("开始日期", "检验开始日期", "started_on", "start date", "started"),
    "ended_on": ("结束日期", "检验结束日期", "ended_on", "end date", "ended"),
    "method": ("检验方法", "method", "method_standard", "method used"),
    "instrument": ("仪器编号", "设备编号", "instrument", "instrument code", "asset_no"),
}
BENCH_COLUMNS = ("started_on", "ended_on", "method", "instrument")
REQUIRED = ("sample_no", "test_item", "value", "unit")
CHUNK = 2000  # ids per IN (...) list
MAX_LISTED = 200  # problems listed of a refused file
SHOWN_CHARS = 40  # of a cell's value quoted in a problem
# Used without an app (scripts); the app's settings IMPORT_MAX_ROWS/_UNPACKED_BYTES win.
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_UNPACKED = 200 * 1024 * 1024
_UNIT_SPLIT_RE = re.compile(r"\s*[,;，；]\s*")


@dataclass(frozen=True)
class RowError:
    row: int  # as in the file: the header is row 1
    column: str
    message: str


class ImportErrors(ServiceError):
    """The file was refused as a whole; ``errors`` lists the first MAX_LISTED problems and
    ``total`` counts them all (a file of 100,000 bad rows gives a page, not 100,000 rows)."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("Nothing was imported: %(n)d problems found.", n=len(errors)))
        self.total = len(errors)
        self.errors = errors[:MAX_LISTED]


@dataclass
class ImportSummary:
    rows: int = 0
    samples: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    overwritten: int = 0  # values already on file that were replaced (after confirmation)
    # Under BENCH_RECORD_REQUIRED: rows left without a bench record (not submittable yet).
    without_record: int = 0


@dataclass(frozen=True)
class Overwrite:
    """A value already entered that a row of the file would replace with another."""

    row: int
    sample_no: str
    item: str
    old: str
    new: str
    result_id: int
    version: int


class OverwriteNeedsConfirmation(ServiceError):
    """The file would replace values already entered: nothing was saved.  ``overwrites``
    lists each (old → new); save again with ``confirmed=fingerprint`` to replace them."""

    def __init__(self, overwrites: list[Overwrite]):
        super().__init__(
            _(
                "%(n)d results already entered would be replaced. Nothing was imported: "
                "check the differences and confirm.",
                n=len(overwrites),
            )
        )
        self.overwrites = overwrites
        self.fingerprint = fingerprint(overwrites)


def overwrites(judged: list) -> list[Overwrite]:
    """The rows of a judged file that would replace a value already entered with another."""
    found = []
    for row, result, outcome in judged:
        old = value_display(result)
        new = (
            ", ".join(json.loads(outcome.unit_values))
            if outcome.unit_values
            else outcome.measured_text or ""
        )
        if old and old != new:
            found.append(
                Overwrite(
                    row.number,
                    row.sample_no,
                    result.item_name,
                    old,
                    new,
                    result.id,
                    result.version_id,
                )
            )
    return found


def fingerprint(found: list[Overwrite]) -> str:
    """What the user confirms: exactly these replacements of these versions of the rows."""
    payload = json.dumps(
        [[o.result_id, o.version, o.old, o.new] for o in found], ensure_ascii=False
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class _Row:
    number: int
    sample_no: str
    item: str
    value: str
    unit: str
    lod: str
    started_on: str = ""
    ended_on: str = ""
    method: str = ""
    instrument: str = ""
    record: bench.BenchDetails | None = None  # the row's bench record, once checked

    @property
    def has_bench(self) -> bool:
        return any(getattr(self, key) for key in BENCH_COLUMNS)


# --- reading the file ------------------------------------------------------------------------


def read_table(data: bytes, filename: str) -> list[list[str]]:
    """The file's rows as lists of text: CSV (UTF-8, UTF-8 with BOM or GB18030) or XLSX.
    A file of more than IMPORT_MAX_ROWS rows is refused whole."""
    suffix = Path(filename).suffix.lower()
    max_rows = _setting("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
    if suffix == ".xlsx":
        rows = _read_xlsx(data, max_rows)
    elif suffix in (".csv", ".txt", ""):
        rows = _read_csv(data, max_rows)
    else:
        raise ServiceError(_("Upload a .csv or .xlsx file."), field="file")
    return list(rows)


def _setting(name: str, default: int) -> int:
    return current_app.config.get(name, default) if has_app_context() else default


def _too_many_rows(max_rows: int) -> ServiceError:
    return ServiceError(
        _("The file has more than %(n)d rows; split it into smaller files.", n=max_rows),
        field="file",
    )


def _limited(rows: Iterable[list[str]], max_rows: int) -> list[list[str]]:
    """At most ``max_rows`` rows after the header; more: refused (never read further)."""
    table: list[list[str]] = []
    for row in rows:
        if len(table) > max_rows:
            raise _too_many_rows(max_rows)
        table.append(row)
    return table


def _read_csv(data: bytes, max_rows: int) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            return _limited(csv.reader(io.StringIO(text, newline="")), max_rows)
        except csv.Error:
            raise ServiceError(_("The file is not a readable CSV table."), field="file") from None
    raise ServiceError(_("The file is neither UTF-8 nor GB18030 text."), field="file")


def _read_xlsx(data: bytes, max_rows: int) -> list[list[str]]:
    """Read-only (streaming) openpyxl, after checking the zip: not a zip, a zip that unpacks
    to more than IMPORT_MAX_UNPACKED_BYTES, no worksheet: each a clear error."""
    from openpyxl import load_workbook

    unreadable = ServiceError(_("The file is not a readable XLSX workbook."), field="file")
    _check_zip(data, unreadable)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise unreadable from None
    try:
        if not book.worksheets:
            raise ServiceError(_("The workbook has no worksheet."), field="file")
        rows = book.worksheets[0].iter_rows(values_only=True)
        return _limited(([_cell_text(v) for v in row] for row in rows), max_rows)
    except ServiceError:
        raise
    except Exception:  # a damaged part found while streaming the sheet
        raise unreadable from None
    finally:
        book.close()


def _check_zip(data: bytes, unreadable: ServiceError) -> None:
    limit = _setting("IMPORT_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if unpacked > limit:
        raise ServiceError(
            _("The workbook unpacks to more than %(mb)d MB; it is refused.", mb=limit // 2**20),
            field="file",
        )


def _cell_text(value) -> str:
    """A cell as text; numbers as written (a float cell is shown by repr, which round-trips)."""
    if value is None:
        return ""
    if isinstance(value, datetime):  # a date cell (openpyxl reads it as a datetime)
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    names = {
        spelling.casefold(): key for key, spellings in HEADERS.items() for spelling in spellings
    }
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = names.get((title or "").strip().casefold())
        if key and key not in columns:
            columns[key] = index
    errors = [
        RowError(1, HEADERS[key][0], _("This column is missing."))
        for key in REQUIRED
        if key not in columns
    ]
    return columns, errors


def _rows(table: list[list[str]], columns: dict[str, int]) -> Iterator[_Row]:
    def cell(row, key):
        index = columns.get(key)
        return (row[index] if index is not None and index < len(row) else "").strip()

    for number, row in enumerate(table[1:], start=2):
        if not any((c or "").strip() for c in row):
            continue  # blank lines
        yield _Row(
            number,
            cell(row, "sample_no"),
            cell(row, "test_item"),
            cell(row, "value"),
            cell(row, "unit"),
            cell(row, "lod"),
            *(cell(row, key) for key in BENCH_COLUMNS),
        )


# --- validation ------------------------------------------------------------------------------


def _chunks(values: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _ResultRow:
    """A result row's columns, read without the ORM: cheap for 100,000 rows, and never
    flushed (the save is one batched UPDATE)."""

    __slots__ = ("_columns",)
    # What validation, judging and the save read: the frozen spec, the value, the state.
    _NAMES = [
        "id",
        "sample_id",
        "item_name",
        "unit",
        "limit_text",
        "lod",
        "interval",
        "significant_digits",
        "is_colony_count",
        "comparison_method",
        "decision_rule",
        "uncertainty",
        "micro_n",
        "micro_c",
        "micro_m",
        "micro_big_m",
        "measured_text",
        "unit_values",
        "status",
        "version_id",
        "method_standard",
        "test_item_id",
    ]

    def __init__(self, row):
        self._columns = row._mapping

    def __getattr__(self, name):
        try:
            return self._columns[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def is_microbiological(self) -> bool:
        return self._columns["micro_n"] is not None


def _load(session: Session, sample_nos: Iterable[str]):
    """sample_no → (id, status); (sample_no, item name or code) → result row (current rows)."""
    nos = sorted(set(sample_nos))
    samples: dict[str, tuple[int, SampleStatus, datetime | None]] = {}
    results: dict[tuple[str, str], _ResultRow] = {}
    for chunk in _chunks(nos):
        for sample_id, no, status, received_at in session.execute(
            select(Sample.id, Sample.sample_no, Sample.status, Sample.received_at).where(
                Sample.sample_no.in_(chunk)
            )
        ):
            samples[no] = (sample_id, status, received_at)
    by_id = {sample_id: no for no, (sample_id, _s, _r) in samples.items()}
    columns = [getattr(SampleResult, name) for name in _ResultRow._NAMES]
    for chunk in _chunks(list(by_id)):
        rows = session.execute(
            select(
                *columns,
                TestItem.code.label("item_code"),
                TestItem.method_standard.label("item_method"),
            )
            .join(TestItem)
            .where(
                SampleResult.sample_id.in_(chunk), SampleResult.status != ResultStatus.SUPERSEDED
            )
        )
        for row in rows:
            result = _ResultRow(row)
            no = by_id[row.sample_id]
            results[(no, row.item_name.casefold())] = result
            results.setdefault((no, row.item_code.casefold()), result)
    return samples, results


def _same_unit(a: str, b: str) -> bool:
    def norm(u: str) -> str:
        return u.replace("µ", "μ").replace(" ", "").casefold()

    return norm(a) == norm(b)


def validate(session: Session, table: list[list[str]]):
    """Check every row; return (judged rows, errors).  Nothing is written."""
    if not table:
        return [], [RowError(1, "", _("The file is empty."))]
    columns, errors = _columns(table[0])
    if errors:
        return [], errors
    rows = list(_rows(table, columns))
    if not rows:
        return [], [RowError(2, "", _("The file has no result rows."))]
    samples, results = _load(session, (r.sample_no for r in rows if r.sample_no))
    seen: dict[int, int] = {}  # result id → first row number
    judged = []
    benches = _BenchContext(session, [r for r in rows if r.has_bench])
    for row in rows:
        problem = _check_row(row, samples, results, seen)
        if problem:
            errors.append(problem)
            continue
        result = results[(row.sample_no, row.item.casefold())]
        units = _UNIT_SPLIT_RE.split(row.value) if result.is_microbiological else None
        try:
            outcome = judge_values(result, None if units else row.value, units, row.lod or None)
        except ServiceError as error:
            column = HEADERS["lod"][0] if error.field == "lod" else HEADERS["value"][0]
            errors.append(RowError(row.number, column, error.message[:200]))
            continue
        if row.has_bench:
            problem = benches.check(row, result, samples[row.sample_no][2])
            if problem:
                errors.append(problem)
                continue
        judged.append((row, result, outcome))
    return judged, errors


class _BenchContext:
    """What checking the rows' bench records needs, read in bulk: the items' further methods
    and the instruments named."""

    def __init__(self, session: Session, rows: list[_Row]):
        self.further: dict[int, list[str]] = {}
        self.instruments: dict[str, Instrument] = {}
        if not rows:
            return
        for item_id, method in session.execute(
            select(TestItemMethod.test_item_id, TestItemMethod.method_standard).order_by(
                TestItemMethod.method_standard
            )
        ):
            self.further.setdefault(item_id, []).append(method)
        codes = sorted({r.instrument for r in rows if r.instrument})
        for chunk in _chunks(codes):
            for instrument in session.scalars(
                select(Instrument).where(Instrument.asset_no.in_(chunk))
            ):
                self.instruments[instrument.asset_no] = instrument

    def check(self, row: _Row, result: _ResultRow, received_at) -> RowError | None:
        """Parse and check the row's bench record (as ``bench.check_details``); sets
        ``row.record``, or returns the problem in the column it names."""
        col = {key: HEADERS[key][0] for key in BENCH_COLUMNS}
        dates = {}
        for key in ("started_on", "ended_on"):
            text = getattr(row, key)
            dates[key] = _parse_date(text) if text else None
            if text and dates[key] is None:
                return RowError(
                    row.number,
                    col[key],
                    _("Cannot read the date %(text)s; write e.g. 2026-11-04.", text=_shown(text)),
                )
        allowed = [result.method_standard, result._columns["item_method"]]
        allowed += self.further.get(result.test_item_id, [])
        try:
            bench.check_record(
                dates["started_on"],
                dates["ended_on"],
                row.method,
                received_on=clock.local_date(received_at) if received_at else None,
                allowed=list(dict.fromkeys(m for m in allowed if m)),
                item_name=result.item_name,
            )
            instrument = None
            if row.instrument:
                instrument = self.instruments.get(row.instrument)
                if instrument is None:
                    raise ServiceError(
                        _(
                            "No instrument with the asset number %(code)s in the register.",
                            code=_shown(row.instrument),
                        ),
                        field="instrument",
                    )
                assert dates["ended_on"] is not None  # checked
                instruments.check_usable(instrument, dates["ended_on"])
        except ServiceError as error:
            column = col.get(error.field or "", col["method"])
            return RowError(row.number, column, error.message[:300])
        row.record = bench.BenchDetails(
            dates["started_on"],
            dates["ended_on"],
            row.method.strip(),
            instrument.id if instrument else None,
        )
        return None


_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$"
)


def _parse_date(text: str) -> date | None:
    """2026-11-04, 2026/11/4, 2026.11.04 or 2026年11月4日 (a midnight time is allowed)."""
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def _shown(value: str) -> str:
    """A cell's value as quoted in a problem: at most SHOWN_CHARS characters."""
    return value if len(value) <= SHOWN_CHARS else value[: SHOWN_CHARS - 1] + "…"


def _check_row(row: _Row, samples, results, seen) -> RowError | None:
    col = {key: spellings[0] for key, spellings in HEADERS.items()}
    for key in REQUIRED[:3]:
        if not getattr(row, "item" if key == "test_item" else key):
            return RowError(row.number, col[key], _("This cell is empty."))
    if row.sample_no not in samples:
        return RowError(
            row.number, col["sample_no"], _("No sample numbered %(no)s.", no=_shown(row.sample_no))
        )
    if samples[row.sample_no][1] not in TESTING_STATUSES:
        return RowError(
            row.number,
            col["sample_no"],
            _("Sample %(no)s has not been received (or was rejected).", no=_shown(row.sample_no)),
        )
    result = results.get((row.sample_no, row.item.casefold()))
    if result is None:
        return RowError(
            row.number,
            col["test_item"],
            _(
                "Sample %(no)s has no test item %(item)s.",
                no=_shown(row.sample_no),
                item=_shown(row.item),
            ),
        )
    if result.id in seen:
        return RowError(
            row.number,
            col["test_item"],
            _(
                "Duplicate: %(item)s of %(no)s is already in row %(row)d.",
                item=_shown(row.item),
                no=_shown(row.sample_no),
                row=seen[result.id],
            ),
        )
    seen[result.id] = row.number
    if result.status not in EDITABLE:
        return RowError(
            row.number,
            col["test_item"],
            _(
                "%(item)s of %(no)s is %(status)s and cannot be imported.",
                item=_shown(row.item),
                no=_shown(row.sample_no),
                status=result.status.title,
            ),
        )
    if not _same_unit(row.unit, result.unit or ""):
        return RowError(
            row.number,
            col["unit"],
            _(
                "The unit %(unit)s does not match the item's unit %(expected)s.",
                unit=_shown(row.unit) or "-",
                expected=result.unit or "-",
            ),
        )
    return None


# --- saving ----------------------------------------------------------------------------------


_IMPORTERS = _l("Only a lab technician may import results.")


@writes(Role.TECHNICIAN, message=_IMPORTERS)
def import_results(session: Session, actor: User, data: bytes, filename: str) -> ImportSummary:
    """Validate the whole file, then save and judge every row in the caller's transaction.

    Raises ImportErrors (nothing saved) listing every problem, and OverwriteNeedsConfirmation
    (nothing saved) when values already entered would be replaced: a caller that showed the
    differences saves with ``save_import(..., confirmed=error.fingerprint)``.
    """
    judged = prepare_import(session, actor, data, filename)
    return save_import(session, actor, judged, data=data, filename=filename)


def prepare_import(session: Session, actor: User, data: bytes, filename: str) -> list:
    """Read and validate the file; the judged rows for :func:`save_import`.  Only reads:
    the web view runs it before taking SQLite's write lock (a long file no longer blocks
    every other user's save).  Raises ImportErrors (every problem) or ServiceError."""
    check_actor(actor, frozenset({Role.TECHNICIAN}), message=_IMPORTERS)
    judged, errors = validate(session, read_table(data, filename))
    # Rows assigned to another technician are theirs to enter.
    refused = assignments.refusals(session, actor, [result for _r, result, _o in judged])
    if refused:
        errors += [
            RowError(row.number, HEADERS["test_item"][0], refused[result.id])
            for row, result, _o in judged
            if result.id in refused
        ]
        errors.sort(key=lambda error: error.row)
    if errors:
        raise ImportErrors(errors)
    return judged


@writes(Role.TECHNICIAN, message=_IMPORTERS)
def save_import(
    session: Session,
    actor: User,
    judged: list,
    *,
    confirmed: str | None = None,
    data: bytes | None = None,
    filename: str = "",
) -> ImportSummary:
    """Save the rows :func:`prepare_import` judged, possibly in a later transaction: each
    UPDATE checks the result's version, so a result changed meanwhile refuses the whole
    import (ConflictError, nothing saved).  Values already entered are replaced only when
    ``confirmed`` is the fingerprint of exactly the replacements the file makes now; else
    OverwriteNeedsConfirmation (nothing saved).  The rows' bench records are saved, and the
    file (``data``, as uploaded under ``filename``) is kept as the raw data of every row."""
    replaced = overwrites(judged)
    if replaced and confirmed != fingerprint(replaced):
        raise OverwriteNeedsConfirmation(replaced)
    summary = ImportSummary(
        rows=len(judged),
        samples=len({result.sample_id for _r, result, _o in judged}),
        overwritten=len(replaced),
    )
    for _row, _result, outcome in judged:
        key = outcome.verdict.title
        summary.verdicts[key] = summary.verdicts.get(key, 0) + 1
    _save(session, actor, judged)
    _save_bench(session, actor, [(row, result) for row, result, _o in judged if row.record])
    if traceability.bench_record_required():
        ids = [result.id for row, result, _o in judged if not row.record]
        summary.without_record = len(set(ids) - set(_records(session, ids)))
    if data is not None:
        _keep_file(session, actor, [result.id for _r, result, _o in judged], data, filename)
    return summary


def _keep_file(session: Session, actor: User, result_ids: list[int], data: bytes, name: str):
    """The imported file, stored once, as the raw data of each row (ISO/IEC 17025 §7.11: the
    data kept with what produced it).  A file the store refuses (its size) imports nothing."""
    try:
        attachments.attach_many(
            session,
            actor,
            entity="result",
            entity_ids=result_ids,
            kind=bench.RAW_DATA,
            filename=name,
            data=data,
            allowed=attachments.RAW_DATA_TYPES,
        )
    except ServiceError as error:
        raise ServiceError(
            _("The file cannot be kept as the rows' raw data: %(why)s", why=error.message),
            field="file",
        ) from None


def _records(session: Session, result_ids: list[int]) -> dict[int, BenchRecord]:
    """The bench records of these results, read CHUNK ids at a time."""
    found: dict[int, BenchRecord] = {}
    for chunk in _chunks(sorted(set(result_ids))):
        found.update(bench.records(session, chunk))
    return found


def _save_bench(session: Session, actor: User, rows: list) -> None:
    """Save the bench record of each row that gave one (as the record page does, audited on
    the result as "bench"); a record unchanged is left alone."""
    if not rows:
        return
    actor_id = actor.id  # read before any record is added (``_save`` expired the session)
    existing = _records(session, [result.id for _row, result in rows])
    codes = {
        i.id: i.asset_no
        for i in session.scalars(
            select(Instrument).where(
                Instrument.id.in_({row.record.instrument_id for row, _r in rows} - {None})
            )
        )
    }
    now = clock.now()
    changes = []
    for row, result in rows:
        details = row.record
        record = existing.get(result.id)
        old = bench.snapshot(record)
        new = {
            "started_on": details.started_on,
            "ended_on": details.ended_on,
            "method": details.method_standard,
            "instrument_id": details.instrument_id,
        }
        if new == old:
            continue
        if record is None:
            record = BenchRecord(result_id=result.id)
            session.add(record)
        record.started_on = details.started_on
        record.ended_on = details.ended_on
        record.method_standard = details.method_standard
        record.instrument_id = details.instrument_id
        record.recorded_by_id = actor_id
        record.recorded_at = now
        changes.append(
            audit.Change(
                "result",
                result.id,
                "bench",
                old=old,
                new={
                    **new,
                    "instrument": codes.get(details.instrument_id),
                    "sample_id": result.sample_id,
                    "import_row": row.number,
                },
            )
        )
    session.flush()
    audit.record_many(session, actor, changes)


def _author(result: SampleResult, outcome, actor: User, now) -> dict:
    if unchanged(result, outcome) and result.entered_by_id is not None:
        return {"_by": result.entered_by_id, "_at": result.entered_at}
    return {"_by": actor.id, "_at": now}


def _save(session: Session, actor: User, judged) -> None:
    """Write the rows.  As on the entry pages (``results._apply``), a row already entered
    with the same value is left alone, and a value re-imported unchanged keeps its author."""
    judged = [
        (row, result, outcome)
        for row, result, outcome in judged
        if not (result.status == ResultStatus.ENTERED and unchanged(result, outcome))
    ]
    if not judged:
        return
    now = clock.now()
    table = SampleResult.__table__
    assert isinstance(table, Table)  # a mapped class's table (declared as FromClause)
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"), table.c.version_id == bindparam("_version"))
        .values(
            measured_text=bindparam("_measured"),
            unit_values=bindparam("_units"),
            reported_text=bindparam("_reported"),
            verdict=bindparam("_verdict"),
            lod=bindparam("_lod"),
            status=bindparam("_status"),
            entered_by_id=bindparam("_by"),
            entered_at=bindparam("_at"),
            return_reason=None,
            version_id=table.c.version_id + 1,
        )
    )
    params = [
        {
            "_id": result.id,
            "_version": result.version_id,
            "_measured": outcome.measured_text,
            "_units": outcome.unit_values,
            "_reported": outcome.reported_text,
            "_verdict": outcome.verdict.value,
            "_lod": outcome.lod,
            # A bulk path: the table's to-state, written directly.
            "_status": lifecycle.next_state(SampleResult, result.status, "enter").value,
            **_author(result, outcome, actor, now),
        }
        for _row, result, outcome in judged
    ]
    updated = 0
    connection = session.connection()
    for chunk in _chunks(params, 5000):
        updated += connection.execute(statement, chunk).rowcount
    if updated != len(params):
        raise ConflictError(
            _(
                "Some of these results were changed by someone else during the "
                "import. Nothing was imported; try again."
            )
        )
    audit.record_many(
        session,
        actor,
        (
            audit.Change(
                "result",
                result.id,
                "enter",
                old={"measured": value_display(result) or None, "status": result.status},
                new={
                    "measured": outcome.measured_text or row.value,
                    "reported": outcome.reported_text,
                    "verdict": outcome.verdict,
                    "status": lifecycle.next_state(SampleResult, result.status, "enter"),
                    "lod": outcome.lod,
                    "sample_id": result.sample_id,
                    "import_row": row.number,
                },
            )
            for row, result, outcome in judged
        ),
    )
    session.expire_all()  # ORM copies of these rows, if any, are older than the rows now
