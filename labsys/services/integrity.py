"""Does the data agree with its audit trail?  What ``labsys audit verify`` checks.

1. The chain itself (``audit.verify_chain``), against the signed checkpoint kept outside
   the database: an edited, re-chained, truncated or emptied trail is a problem.
2. Every report: its stored PDF's SHA-256, the digest stored beside it, and the digest its
   issue (or correction) entry recorded must be one and the same.
3. Every current result: its value and verdict must be those of its last audit entry that
   set a value (entry, import or correction).

Everything is read in keyset-paged batches: constant memory on a national database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import AuditEntry, Report, ResultStatus, SampleResult
from labsys.services import anchor, audit

BATCH = 500
# Microbiological unit results are recorded joined ("10, 20") or as imported ("10;20").
_SEPARATORS = re.compile(r"[\s,;，；]+")


@dataclass
class Verification:
    entries: int = 0
    reports: int = 0
    results: int = 0
    checkpoint: anchor.Checkpoint | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(session: Session, checkpoint_path=None) -> Verification:
    """Check the trail, then the data against it; stop at the first problem."""
    outcome = Verification()
    problem = _verify_trail(session, outcome, checkpoint_path)
    if problem is None:
        problem = _verify_reports(session, outcome)
    if problem is None:
        problem = _verify_results(session, outcome)
    if problem:
        outcome.problems.append(problem)
    return outcome


def _verify_trail(session: Session, outcome: Verification, checkpoint_path) -> str | None:
    try:
        checkpoint = anchor.read_checkpoint(checkpoint_path)
    except (ValueError, KeyError) as error:
        return f"the audit checkpoint cannot be read ({error})"
    keys = anchor.keyring()
    if checkpoint is not None and checkpoint.key_id not in keys:
        return (
            f"the audit checkpoint is signed with audit key {checkpoint.key_id}, which is not "
            "configured (set LABSYS_AUDIT_KEY or restore instance/audit_key)"
        )
    if checkpoint is not None and not anchor.is_authentic(checkpoint, keys):
        return "the audit checkpoint is not signed by a configured audit key (forged)"
    outcome.checkpoint = checkpoint
    outcome.entries, broken = audit.verify_chain(session, checkpoint=checkpoint)
    if broken is not None:
        where = f"entry {broken.entry_id}" if broken.entry_id is not None else "the end"
        return (
            f"audit trail BROKEN at {where}: {broken.problem} "
            f"({outcome.entries} entries before it are intact)"
        )
    if checkpoint is None and _has_keyed_rows(session):
        return (
            "no audit checkpoint: the newest entries could have been deleted unseen "
            "(the checkpoint file is missing; it is written on every audited commit)"
        )
    return None


def _has_keyed_rows(session: Session) -> bool:
    keyed = select(AuditEntry.id).where(AuditEntry.key_id.is_not(None)).limit(1)
    return session.scalar(keyed) is not None


def _last_entries(session: Session, entity: str, ids: list[int], actions) -> dict[str, dict]:
    """entity id → new values of its last entry among ``actions``."""
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.new_values)
        .where(
            AuditEntry.entity == entity,
            AuditEntry.entity_id.in_([str(i) for i in ids]),
            AuditEntry.action.in_(actions),
        )
        .order_by(AuditEntry.id)
    )
    return {entity_id: json.loads(values or "{}") for entity_id, values in rows}


def _batches(session: Session, statement, key, size: int = BATCH) -> Iterator[Sequence]:
    last = 0
    while True:
        batch = session.execute(statement.where(key > last).order_by(key).limit(size)).all()
        if not batch:
            return
        yield batch
        last = batch[-1].id


def _verify_reports(session: Session, outcome: Verification) -> str | None:
    statement = select(Report.id, Report.report_no, Report.sha256, Report.pdf)
    for batch in _batches(session, statement, Report.id, size=50):  # PDFs: ~100 kB each
        issued = _last_entries(session, "report", [r.id for r in batch], ("issue", "correct"))
        for report in batch:
            problem = _report_problem(report, issued.get(str(report.id)))
            if problem:
                return problem
            outcome.reports += 1
    return None


def _report_problem(report, entry: dict | None) -> str | None:
    if entry is None:
        return f"report {report.report_no} has no issue entry in the audit trail"
    if entry.get("sha256") != report.sha256:
        return (
            f"report {report.report_no}: stored SHA-256 {report.sha256} differs from "
            f"{entry.get('sha256')} recorded when it was issued"
        )
    if hashlib.sha256(report.pdf).hexdigest() != report.sha256:
        return f"report {report.report_no}: the stored PDF does not match its SHA-256"
    return None


def _verify_results(session: Session, outcome: Verification) -> str | None:
    statement = select(
        SampleResult.id,
        SampleResult.measured_text,
        SampleResult.unit_values,
        SampleResult.verdict,
    ).where(SampleResult.status != ResultStatus.SUPERSEDED)
    for batch in _batches(session, statement, SampleResult.id):
        entered = _entries_with_values(session, [r.id for r in batch])
        for result in batch:
            problem = _result_problem(result, entered.get(str(result.id)))
            if problem:
                return problem
            outcome.results += 1
    return None


def _entries_with_values(session: Session, ids: list[int]) -> dict[str, dict]:
    rows = session.execute(
        select(AuditEntry.entity_id, AuditEntry.new_values)
        .where(
            AuditEntry.entity == "result",
            AuditEntry.entity_id.in_([str(i) for i in ids]),
            AuditEntry.new_values.like('%"measured"%'),
        )
        .order_by(AuditEntry.id)
    )
    last = {}
    for entity_id, values in rows:
        new = json.loads(values or "{}")
        if "measured" in new:
            last[entity_id] = new
    return last


def _tokens(value) -> list[str]:
    return [t for t in _SEPARATORS.split(str(value or "")) if t]


def _result_problem(result, entry: dict | None) -> str | None:
    value = (
        ", ".join(json.loads(result.unit_values)) if result.unit_values else result.measured_text
    )
    recorded = entry.get("measured") if entry else None
    if _tokens(value) != _tokens(recorded):
        return (
            f"result {result.id}: value “{value or ''}” differs from “{recorded or ''}”, the "
            "last value the audit trail recorded for it"
        )
    verdict = result.verdict.value if result.verdict is not None else None
    if entry and "verdict" in entry and entry["verdict"] != verdict:
        return (
            f"result {result.id}: verdict {verdict} differs from {entry['verdict']}, the last "
            "verdict the audit trail recorded for it"
        )
    return None
