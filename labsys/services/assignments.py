"""Who tests what: a supervisor (the lab head) assigns samples or test items to technicians.

An assignment is per result row (``ResultAssignment``).  Assigning a sample assigns its open
rows (those a value may still be typed into); assigning a test item assigns its open rows on
every sample in testing, or on the samples named.  A row assigned to a technician is entered
by that technician only; an unassigned row by any technician (a lab that does not assign
keeps working as before).  ISO/IEC 17025:2017 §6.2.6 c) (authorizing personnel to perform
tests) and §7.5.1 (the record identifies the personnel responsible) *(verify the clauses)*.

Every (re)assignment is audited on the result row: entity "result", action "assign".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.core.lifecycle import RESULT
from labsys.models import (
    ResultAssignment,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    TestItem,
    User,
)
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError

# The rows a value may be typed into (as services.results.EDITABLE; not imported from there,
# which imports this module).
OPEN = tuple(ResultStatus(state) for state in RESULT.sources("enter"))
IN_TESTING = (SampleStatus.RECEIVED, SampleStatus.CONCLUDED, SampleStatus.REOPENED)
MAX_SAMPLES = 500  # sample numbers in one assignment
_ASSIGNERS = _l("Only a supervisor assigns work to technicians.")


def assignees(session: Session, result_ids: Iterable[int]) -> dict[int, User]:
    """result id → the technician it is assigned to (assigned rows only)."""
    ids = list(set(result_ids))
    found: dict[int, User] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        for result_id, user in session.execute(
            select(ResultAssignment.result_id, User)
            .join(User, User.id == ResultAssignment.technician_id)
            .where(ResultAssignment.result_id.in_(chunk))
        ):
            found[result_id] = user
    return found


def refusals(session: Session, user: User, results: Sequence) -> dict[int, str]:
    """result id → why ``user`` may not enter it: it is assigned to someone else."""
    errors = {}
    owners = assignees(session, (r.id for r in results))
    names = {r.id: r.item_name for r in results}
    for result_id, owner in owners.items():
        if owner.id != getattr(user, "id", None):
            errors[result_id] = _(
                "%(item)s is assigned to %(name)s: only they enter it (or the supervisor "
                "reassigns it).",
                item=names.get(result_id, ""),
                name=owner.display_name,
            )
    return errors


def check(session: Session, user: User, results: Sequence) -> None:
    """ServiceError (field "measured_text") when any of ``results`` is someone else's."""
    errors = refusals(session, user, results)
    if errors:
        raise ServiceError(next(iter(errors.values())), field="measured_text")


def technicians(session: Session) -> list[User]:
    """Active users holding the technician role, by name."""
    from labsys.models import UserRole

    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.TECHNICIAN, User.active.is_(True))
            .order_by(User.full_name, User.username)
        )
    )


def _rows_to_assign(
    session: Session, sample_nos: Sequence[str], item: TestItem | None
) -> list[SampleResult]:
    query = (
        select(SampleResult)
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(SampleResult.status.in_(OPEN), Sample.status.in_(IN_TESTING))
    )
    if item is not None:
        query = query.where(SampleResult.test_item_id == item.id)
    if sample_nos:
        found = set(
            session.scalars(select(Sample.sample_no).where(Sample.sample_no.in_(sample_nos)))
        )
        missing = [no for no in sample_nos if no not in found]
        if missing:
            raise ServiceError(
                _("No sample numbered %(no)s.", no=", ".join(missing[:5])), field="samples"
            )
        query = query.where(Sample.sample_no.in_(sample_nos))
    return list(session.scalars(query.order_by(SampleResult.id)))


@writes(Role.SUPERVISOR, message=_ASSIGNERS)
def assign(
    session: Session,
    actor: User,
    technician: User,
    *,
    sample_nos: Sequence[str] = (),
    item: TestItem | None = None,
) -> int:
    """Assign to ``technician`` the open rows of the samples numbered ``sample_nos`` (all their
    items, or only ``item``), or, with no samples named, every open row of ``item``.  Returns
    how many rows were (re)assigned; rows already assigned to that technician are left."""
    if not technician.active or not technician.has_role(Role.TECHNICIAN):
        raise ServiceError(
            _(
                "%(name)s is not an active lab technician: work is assigned to technicians.",
                name=technician.display_name,
            ),
            field="technician",
        )
    nos = list(dict.fromkeys(no.strip() for no in sample_nos if no and no.strip()))
    if not nos and item is None:
        raise ServiceError(_("Name the samples or choose a test item to assign."), field="samples")
    if len(nos) > MAX_SAMPLES:
        raise ServiceError(_("At most %(n)d samples at a time.", n=MAX_SAMPLES), field="samples")
    rows = _rows_to_assign(session, nos, item)
    owners = assignees(session, (r.id for r in rows))
    changed = [r for r in rows if owners.get(r.id) is None or owners[r.id].id != technician.id]
    if not changed:
        raise ServiceError(_("There is no open work there that is not already theirs."))
    now = clock.now()
    for result in changed:
        link = session.get(ResultAssignment, result.id)
        if link is None:
            session.add(
                ResultAssignment(
                    result_id=result.id,
                    technician_id=technician.id,
                    assigned_by_id=actor.id,
                    assigned_at=now,
                )
            )
        else:
            link.technician_id = technician.id
            link.assigned_by_id = actor.id
            link.assigned_at = now
    session.flush()
    audit.record_many(
        session,
        actor,
        (
            audit.Change(
                "result",
                r.id,
                "assign",
                old={"technician": owners[r.id].username} if r.id in owners else None,
                new={"technician": technician.username, "sample_id": r.sample_id},
            )
            for r in changed
        ),
    )
    return len(changed)


@writes(Role.SUPERVISOR, message=_ASSIGNERS)
def unassign(session: Session, actor: User, results: Sequence[SampleResult]) -> int:
    """Take the assignment off these rows (any technician may then enter them)."""
    owners = assignees(session, (r.id for r in results))
    if not owners:
        raise ServiceError(_("None of these results is assigned."))
    session.execute(delete(ResultAssignment).where(ResultAssignment.result_id.in_(list(owners))))
    audit.record_many(
        session,
        actor,
        (
            audit.Change(
                "result", result_id, "unassign", old={"technician": owner.username}, new=None
            )
            for result_id, owner in owners.items()
        ),
    )
    return len(owners)
