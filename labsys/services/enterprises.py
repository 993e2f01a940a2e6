"""Enterprises: sampled units (被抽样单位) and labelled producers (标称生产者).

Regions: an enterprise's region is a GB/T 2260 administrative code.  A code already in
``regions`` (Beijing's 16 districts are seeded) is taken as it is; any other 6-digit code is
accepted when the user also gives the region's name, and is then added to ``regions`` (with
its province as parent when that is known) so that it can be chosen and reported on later.
A new code without a name is refused with a message asking for the name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from labsys.core.identifiers import USCC_LENGTH, check_uscc, normalize_uscc
from labsys.models import (
    Enterprise,
    Region,
    Role,
    Sample,
    SampleStatus,
    SamplingVisit,
    User,
    VisitSampler,
)
from labsys.models.search import contains_text
from labsys.services import audit
from labsys.services.access import undo_operation, writes
from labsys.services.errors import ConflictError, ServiceError

# What create/update accept (besides ``region_name``, used to add an unknown region code).
# Not the risk grade: the grading service sets it (recomputed by the rules, or set by hand
# by a supervisor with the reason, services/grading.py).
FIELDS = ("name", "address", "region_code", "uscc", "licence_no", "phone", "contact")
REGION_CODE_RE = re.compile(r"^\d{6}$")
CODE_LIKE_RE = re.compile(r"^[0-9A-Z]+$")
# "Last 30 days": the 30 calendar days ending with (and including) today.
RECENT_DAYS = 30


class History(NamedTuple):
    """How often an enterprise was sampled (as sampled unit): batches this year / recently."""

    this_year: int = 0
    last_30_days: int = 0


# --- validation ----------------------------------------------------------------------------


def uscc_error(code: str) -> str | None:
    """The problem with a unified social credit code, as a translated sentence, or None."""
    problem = check_uscc(code)
    if problem is None:
        return None
    if problem.kind == "length":
        return _(
            "A unified social credit code has %(required)d characters; this one has %(n)d.",
            required=USCC_LENGTH,
            n=problem.length,
        )
    if problem.kind == "character":
        return _(
            "Character %(position)d (“%(char)s”) is not allowed in a unified social "
            "credit code: only digits and capital letters other than I, O, Z, S and V.",
            position=problem.position,
            char=problem.char,
        )
    return _(
        "The check character (the 18th) should be “%(expected)s”, not “%(actual)s”: "
        "a character of the code is probably mistyped.",
        expected=problem.expected,
        actual=problem.actual,
    )


def _clean_uscc(session: Session, value, enterprise: Enterprise | None) -> str | None:
    if not value or not str(value).strip():
        return None
    code = normalize_uscc(str(value))
    error = uscc_error(code)
    if error:
        raise ServiceError(error, field="uscc")
    query = select(Enterprise).where(Enterprise.uscc == code)
    if enterprise is not None and enterprise.id is not None:
        query = query.where(Enterprise.id != enterprise.id)
    other = session.scalar(query)
    if other is not None:
        raise ServiceError(
            _(
                "The unified social credit code %(code)s already belongs to %(name)s (no. %(id)d).",
                code=code,
                name=other.name,
                id=other.id,
            ),
            field="uscc",
        )
    return code


def _clean_text(value, *, upper: bool = False) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    return text.upper() if upper else text


@writes(Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN)
def resolve_region(session: Session, actor: User | None, code, name=None) -> str | None:
    """The region code to store: a known code, or a new 6-digit code added with ``name``."""
    code = _clean_text(code)
    if not code:
        return None
    if session.get(Region, code) is not None:
        return code
    if not REGION_CODE_RE.match(code):
        raise ServiceError(
            _("A region code has 6 digits (GB/T 2260), e.g. 110105."), field="region_code"
        )
    name = _clean_text(name)
    if not name:
        raise ServiceError(
            _(
                "The region code %(code)s is not known yet: give the region's name to add it.",
                code=code,
            ),
            field="region_name",
        )
    province = code[:2] + "0000"
    parent = province if province != code and session.get(Region, province) else None
    session.add(Region(code=code, name_zh=name, parent_code=parent))
    session.flush()
    audit.record(
        session,
        actor,
        "region",
        code,
        "create",
        new={"code": code, "name_zh": name, "parent_code": parent},
    )
    return code


def _clean_fields(
    session: Session, actor: User | None, fields: dict, enterprise: Enterprise | None
) -> dict:
    region_name = fields.pop("region_name", None)
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown enterprise fields: {sorted(unknown)}")
    cleaned: dict[str, object] = {}
    if "name" in fields or enterprise is None:
        cleaned["name"] = _clean_text(fields.get("name"))
        if not cleaned["name"]:
            raise ServiceError(_("An enterprise needs a name."), field="name")
    for key in ("address", "phone", "contact"):
        if key in fields:
            cleaned[key] = _clean_text(fields[key])
    if "licence_no" in fields:
        cleaned["licence_no"] = _clean_text(fields["licence_no"], upper=True)
    if "uscc" in fields:
        cleaned["uscc"] = _clean_uscc(session, fields["uscc"], enterprise)
    if "region_code" in fields:
        cleaned["region_code"] = resolve_region(session, actor, fields["region_code"], region_name)
    return cleaned


def snapshot(enterprise: Enterprise) -> dict:
    """The enterprise's editable values, as recorded in the audit trail."""
    return {key: getattr(enterprise, key) for key in FIELDS}


# --- changes -------------------------------------------------------------------------------


@writes(Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN)
def create_enterprise(session: Session, actor: User | None, **fields) -> Enterprise:
    """Add an enterprise.  ``fields``: see FIELDS, plus ``region_name`` for a new region."""
    cleaned = _clean_fields(session, actor, dict(fields), None)
    enterprise = Enterprise(
        **{"address": "", "licence_no": "", "phone": "", "contact": "", **cleaned}
    )
    session.add(enterprise)
    session.flush()
    audit.record(session, actor, "enterprise", enterprise.id, "create", new=snapshot(enterprise))
    return enterprise


@writes(Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN)
def update_enterprise(
    session: Session, actor: User | None, enterprise: Enterprise, expected_version: int, **fields
) -> Enterprise:
    """Change an enterprise read at ``expected_version``.

    If someone saved it since, a ConflictError carries the current values (``current``).
    """
    if enterprise.version_id != int(expected_version):
        raise _conflict(enterprise)
    cleaned = _clean_fields(session, actor, dict(fields), enterprise)
    old = snapshot(enterprise)
    changed = {key: value for key, value in cleaned.items() if old[key] != value}
    if not changed:
        return enterprise
    for key, value in changed.items():
        setattr(enterprise, key, value)
    try:
        session.flush()
    except StaleDataError:
        # Saved by someone else between our read and this write: undo this operation's
        # savepoint (see services.access) to read the current values.
        undo_operation(session)
        raise _conflict(session.get_one(Enterprise, enterprise.id)) from None
    audit.record(
        session,
        actor,
        "enterprise",
        enterprise.id,
        "update",
        old={key: old[key] for key in changed},
        new=changed,
    )
    return enterprise


def _conflict(enterprise: Enterprise) -> ConflictError:
    return ConflictError(
        _(
            "Someone else changed %(name)s meanwhile. Its current values are "
            "shown below: check them and save your change again.",
            name=enterprise.name,
        ),
        current=snapshot(enterprise),
    )


# --- queries -------------------------------------------------------------------------------


def _successor(prefix: str) -> str | None:
    """The smallest [0-9A-Z] string above every string starting with ``prefix``.

    Stays within digits and capitals, so the bound holds in the C collation and in the
    usual locale collations alike (where punctuation would be ignored); None if all Z.
    """
    stem = prefix.rstrip("Z")
    if not stem:
        return None
    last = stem[-1]
    return stem[:-1] + ("A" if last == "9" else chr(ord(last) + 1))


def _prefix(column, prefix: str):
    """``column`` starts with ``prefix`` (a [0-9A-Z]+ code), written as a range the column's
    index can serve, with the LIKE test to keep the match exact."""
    conditions = [column >= prefix, column.startswith(prefix, autoescape=True)]
    upper = _successor(prefix)
    if upper is not None:
        conditions.append(column < upper)
    return and_(*conditions)


def search_condition(q: str):
    """Name contains ``q``, or USCC / licence number starts with it (None: no condition).

    A query that looks like a code (4+ digits and capitals, at least one digit) is searched
    in the codes only: both are index range scans.  A name substring is
    ``models.search.contains_text`` (trigram-indexed from 3 characters).
    """
    q = _clean_text(q)
    name = contains_text(q, Enterprise.name)
    if name is None:
        return None
    code = q.upper()
    if not CODE_LIKE_RE.match(code):
        return name
    codes = [_prefix(Enterprise.uscc, code), _prefix(Enterprise.licence_no, code)]
    if len(code) >= 4 and any(c.isdigit() for c in code):
        return or_(*codes)
    return or_(name, *codes)


def search(session: Session, q: str, limit: int = 20) -> list[Enterprise]:
    """Enterprises matching ``q`` (see search_condition): code matches first, then by name."""
    condition = search_condition(q)
    if condition is None:
        return []
    code = _clean_text(q).upper()
    code_match = or_(
        Enterprise.uscc.startswith(code, autoescape=True),
        Enterprise.licence_no.startswith(code, autoescape=True),
    )
    query = (
        select(Enterprise)
        .where(condition)
        .order_by(
            case((code_match, 0), else_=1),
            func.length(Enterprise.name),
            Enterprise.name,
            Enterprise.id,
        )
        .limit(limit)
    )
    return list(session.scalars(query))


def sampling_history(session: Session, enterprise_ids, today: date) -> dict[int, History]:
    """Batches taken at each enterprise (as sampled unit) this year and in the last 30 days.

    One grouped query for all ``enterprise_ids``; enterprises never sampled get (0, 0).
    """
    ids = sorted(set(enterprise_ids))
    if not ids:
        return {}
    year_start = date(today.year, 1, 1)
    recent_start = today - timedelta(days=RECENT_DAYS - 1)
    # (unit id, batches this year, in the last 30 days); sums are NULL for no rows
    rows: Sequence[tuple[int, int | None, int | None]] = session.execute(
        select(
            SamplingVisit.sampled_unit_id,
            func.sum(case((Sample.sampling_date >= year_start, 1), else_=0)),
            func.sum(case((Sample.sampling_date >= recent_start, 1), else_=0)),
        )
        .join(SamplingVisit, Sample.visit_id == SamplingVisit.id)
        .where(
            SamplingVisit.sampled_unit_id.in_(ids),
            Sample.sampling_date >= min(year_start, recent_start),
            Sample.sampling_date <= today,
            Sample.status != SampleStatus.VOIDED,
        )
        .group_by(SamplingVisit.sampled_unit_id)
    ).all()
    history = dict.fromkeys(ids, History())
    for unit_id, this_year, recent in rows:
        history[unit_id] = History(int(this_year or 0), int(recent or 0))
    return history


def recent_samples(
    session: Session, enterprise_id: int, limit: int = 20, team_member: User | None = None
) -> list[Sample]:
    """The latest batches taken at an enterprise (as sampled unit), newest first; with
    ``team_member``, only those of visits whose team includes that user."""
    if limit <= 0:
        return []
    query = (
        select(Sample)
        .join(SamplingVisit, Sample.visit_id == SamplingVisit.id)
        .where(SamplingVisit.sampled_unit_id == enterprise_id)
    )
    if team_member is not None:
        query = query.where(
            exists().where(
                VisitSampler.visit_id == Sample.visit_id, VisitSampler.user_id == team_member.id
            )
        )
    return list(
        session.scalars(query.order_by(Sample.sampling_date.desc(), Sample.id.desc()).limit(limit))
    )
