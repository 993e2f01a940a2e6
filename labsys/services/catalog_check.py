"""Checks a catalog data file must pass before ``labsys catalog load`` (or ``labsys init``)
changes anything.

* Each row's judgement basis is a standard listed in the file's ``standards`` with its real
  effective date (or the row gives its own ``from``): no row silently dates from 2000.
* A row of an edition that a newer one replaced has a row of the newer edition on the same
  category and item (or is ended by one of the same date), so that a report never cites two
  editions of one standard.
* A method can support the limit: the LOQ (the LOD when no LOQ is given) is below an upper
  limit, and every 不得检出/不得使用 row of a chemical item carries an LOD (a bare "未检出" says
  nothing).
* The reporting interval is finer than the limit's last digit (full-value comparison): "0.2"
  printed against "≤0.2" cannot tell 0.16 from 0.24.  The rounded-value method rounds to the
  limit's digit by definition (GB/T 8170 §4.3.2), so it is exempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from labsys.core.judgement import Spec, SpecKind

OIL_PROCESSES = ("", "pressed", "solvent")


class CatalogError(ValueError):
    """The catalog file is not valid; ``problems`` name each row at fault."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Standard:
    code: str  # with its edition, e.g. "GB 2762-2022"
    effective_from: date
    transition_end: date | None = None  # see Specification.transition_end
    replaced_by: str | None = None


def read_standards(data: dict) -> dict[str, Standard]:
    standards = {}
    for row in data.get("standards", []):
        end = row.get("transition_end")
        standards[row["code"]] = Standard(
            row["code"],
            date.fromisoformat(row["from"]),
            date.fromisoformat(end) if end else None,
            row.get("replaced_by"),
        )
    return standards


@dataclass(frozen=True)
class SpecRow:
    """A specification row of the file with its item's defaults filled in."""

    category: str
    item: str
    basis: str
    limit: str
    lod: str | None
    loq: str | None
    interval: str | None
    unit: str
    micro: bool
    plan_m: str | None
    comparison: str
    oil_process: str
    effective_from: date | None
    excluded: bool

    @property
    def name(self) -> str:
        process = f" ({self.oil_process})" if self.oil_process else ""
        day = self.effective_from.isoformat() if self.effective_from else "?"
        return f"{self.category} {self.item}{process} from {day}"


def spec_rows(data: dict, standards: dict[str, Standard]) -> list[SpecRow]:
    items = {row["code"]: row for row in data["items"]}
    rows = []

    def walk(nodes):
        for node in nodes:
            for row in node.get("specs", []):
                item = items.get(row["item"], {})
                basis = row.get("basis", item.get("basis", ""))
                start = row.get("from") or (
                    standards[basis].effective_from.isoformat() if basis in standards else None
                )
                rows.append(
                    SpecRow(
                        category=node["code"],
                        item=row["item"],
                        basis=basis,
                        limit=row.get("limit", ""),
                        lod=row.get("lod", item.get("lod")),
                        loq=row.get("loq", item.get("loq")),
                        interval=row.get("interval", item.get("interval")),
                        unit=row.get("unit", item.get("unit", "")),
                        micro=bool(item.get("micro")),
                        plan_m=str(row["plan"]["m"]) if row.get("plan") else None,
                        comparison=row.get("comparison", "full"),
                        oil_process=row.get("oil_process", ""),
                        effective_from=date.fromisoformat(start) if start else None,
                        excluded=bool(row.get("excluded")),
                    )
                )
            walk(node.get("children", []))

    walk(data["categories"])
    return rows


def check_catalog(data: dict) -> None:
    """Raise :class:`CatalogError` naming every row that breaks a rule (see module doc)."""
    try:
        standards = read_standards(data)
    except (KeyError, ValueError) as error:
        raise CatalogError([f"the standards list is not valid: {error!r}"]) from None
    items = {row["code"] for row in data["items"]}
    problems = []
    rows = spec_rows(data, standards)
    for row in rows:
        if row.item not in items:
            problems.append(f"{row.name}: no test item {row.item}")
            continue
        problems += [f"{row.name}: {p}" for p in _row_problems(row)]
    problems += _edition_problems(rows, standards)
    if problems:
        raise CatalogError(problems)


def _number(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _row_problems(row: SpecRow) -> list[str]:
    problems = []
    if row.effective_from is None:
        problems.append(
            f"its basis {row.basis or '(none)'} is not in the standards list: "
            "add the standard with its effective date, or give the row a 'from' date"
        )
    if row.oil_process not in OIL_PROCESSES:
        problems.append(f"oil_process must be pressed or solvent, not {row.oil_process}")
    if row.plan_m is not None:
        presence = "/" in row.plan_m  # "0/25g": a presence/absence plan
        if presence != row.unit.startswith("/"):
            problems.append(
                f"the unit {row.unit or '(none)'} does not fit the plan m={row.plan_m}: "
                "CFU/g or CFU/mL for a count, /25g or /25mL for presence/absence"
            )
    if row.excluded or row.plan_m is not None or row.micro:
        return problems
    try:
        spec = Spec.parse(row.limit)
    except ValueError:
        return [*problems, f"the limit {row.limit!r} is not understood"]
    floor = _number(row.loq) or _number(row.lod)
    high = spec.high  # set for an UPPER limit
    if spec.kind is SpecKind.UPPER and floor is not None and high is not None and floor >= high:
        which = "LOQ" if row.loq else "LOD"
        problems.append(
            f"the method's {which} {floor} is not below the limit {row.limit}: "
            "give this food a method (LOD/LOQ) that can support the limit"
        )
    # A count per sample amount ("/250g" mites) is found or not: it has no detection limit.
    if spec.kind is SpecKind.NOT_DETECTED and not row.lod and not row.unit.startswith("/"):
        problems.append(f"{row.limit} needs the method's LOD (检出限) to print 未检出 with it")
    interval, digit = _number(row.interval), spec.default_interval()
    coarse = interval is not None and digit is not None and interval >= digit
    if row.comparison == "full" and coarse and digit is not None:
        problems.append(
            f"the reporting interval {row.interval} is not finer than the last digit of "
            f"the limit {row.limit}: report to {digit / 10} or finer"
        )
    return problems


def _edition_problems(rows: list[SpecRow], standards: dict[str, Standard]) -> list[str]:
    """A replaced edition's row needs a row of its successor (same category, item, process)."""
    successors = {
        (r.category, r.item, r.oil_process, r.effective_from) for r in rows if r.effective_from
    }
    problems = []
    for row in rows:
        standard = standards.get(row.basis)
        if standard is None or not standard.replaced_by:
            continue
        newer = standards.get(standard.replaced_by)
        if newer is None:
            problems.append(f"{row.name}: {row.basis} is replaced by an unlisted standard")
            continue
        key = (row.category, row.item, row.oil_process, newer.effective_from)
        if key not in successors:
            problems.append(
                f"{row.name}: {row.basis} was replaced by {newer.code} on "
                f"{newer.effective_from}: add the {newer.code} row for this item "
                "(or an excluded row from that date)"
            )
    return problems
