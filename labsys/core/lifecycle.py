"""The lifecycles of samples, results, reports, follow-ups, retests (复检), objections (异议)
and disposals (核查处置) as explicit transition tables.

Each row of a table says: in state *source*, event *event* leads to state *target*; only
users with one of *roles* may fire it; *four_eyes* names attributes of the entity whose user
the actor must not be (the person who entered the result; the report's author and
reviewer); the audit trail records it as *action*; *effect* is what it does to the deadlines.
A row whose source is ``None`` creates the entity.

States, events and roles are plain strings (the models' string enums compare equal to
them), so this module needs nothing but the standard library.  ``labsys.services.lifecycle``
applies a row to a database entity; this module only decides.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# An actor that is not a user: a step the system takes on its own (e.g. opening the
# follow-up of an unqualified sample when a page first shows it).
SYSTEM = "system"

SAMPLER, TECHNICIAN, REVIEWER, SUPERVISOR, ADMIN = (
    "sampler",
    "technician",
    "reviewer",
    "supervisor",
    "admin",
)


class Effect(enum.StrEnum):
    """What a transition does to the deadlines (applied by the services, on working days)."""

    NONE = "none"
    START_DELIVERY_CLOCK = "start_delivery_clock"  # at the lab within 5 working days
    START_REPORT_CLOCK = "start_report_clock"  # report within 20 working days of receipt
    # Unqualified: report it within 2 working days; any other conclusion: no such deadline.
    SET_UNQUALIFIED_CLOCK = "set_unqualified_clock"
    # A retest: the conclusion, its date and the unqualified-report deadline are withdrawn.
    WITHDRAW_CONCLUSION = "withdraw_conclusion"
    # The lab corrects a result or tests it again: the conclusion is withdrawn until the
    # row is accepted, its time and the deadlines that run from it are kept (the same
    # conclusion reached again is the same conclusion; a different one starts them again).
    SUSPEND_CONCLUSION = "suspend_conclusion"
    START_RETEST_WINDOW = "start_retest_window"  # retest request within 7 working days
    # SAMR Order No. 15 (2019) Art. 32: accept or refuse a retest within 5 working days of
    # the application; the retest lab chosen within 5 working days of acceptance (+5).
    START_RETEST_DECISION_CLOCK = "start_retest_decision_clock"
    START_RETEST_LAB_CLOCK = "start_retest_lab_clock"
    EXTEND_RETEST_LAB_CLOCK = "extend_retest_lab_clock"
    START_HANDOVER_CLOCK = "start_handover_clock"  # Art. 33: backup handed over in 3
    START_RETEST_CLOCK = "start_retest_clock"  # Art. 35: retest result within 10 working days
    # Arts. 38-39 (verify): accept an objection in 5 working days, review it in 20.
    START_OBJECTION_DECISION_CLOCK = "start_objection_decision_clock"
    START_OBJECTION_REVIEW_CLOCK = "start_objection_review_clock"
    START_DISPOSAL_CLOCK = "start_disposal_clock"  # Art. 45: 90 days; local milestones


@dataclass(frozen=True)
class Transition:
    source: str | None
    event: str
    target: str
    roles: frozenset[str]
    action: str
    four_eyes: tuple[str, ...] = ()
    effect: Effect = Effect.NONE


class Refused(Exception):
    """The transition may not happen; nothing was changed."""

    def __init__(self, machine: Machine, state: str | None, event: str):
        super().__init__(f"{machine.name}: {event} refused in state {state}")
        self.machine, self.state, self.event = machine, state, event


class IllegalTransition(Refused):
    """No row of the table leads from this state by this event."""


class RoleRefused(Refused):
    """The actor has none of the roles the transition allows."""

    def __init__(self, machine: Machine, state: str | None, event: str, roles: frozenset[str]):
        super().__init__(machine, state, event)
        self.roles = roles


class FourEyesRefused(Refused):
    """The actor is the person the four-eyes rule excludes."""

    def __init__(self, machine: Machine, state: str | None, event: str, rule: str):
        super().__init__(machine, state, event)
        self.rule = rule


class Machine:
    """One entity's transition table, checked for consistency when it is built."""

    def __init__(self, name: str, states: Iterable[str], transitions: Iterable[Transition]):
        self.name = name
        self.states = tuple(states)
        self.transitions = tuple(transitions)
        self._rows: dict[tuple[str | None, str], Transition] = {}
        for row in self.transitions:
            key = (row.source, row.event)
            if key in self._rows:
                raise ValueError(f"{name}: two rows for {key}")
            if row.target not in self.states or row.source not in (*self.states, None):
                raise ValueError(f"{name}: {row} names an unknown state")
            if not row.roles:
                raise ValueError(f"{name}: {row} allows nobody")
            self._rows[key] = row

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.event for row in self.transitions))

    def find(self, state: str | None, event: str) -> Transition | None:
        return self._rows.get((state, event))

    def sources(self, event: str) -> tuple[str, ...]:
        """The states ``event`` may be fired in."""
        return tuple(r.source for r in self.transitions if r.event == event and r.source)

    def roles_for(self, event: str) -> frozenset[str]:
        """Everyone who may fire ``event`` in some state."""
        return frozenset().union(*(r.roles for r in self.transitions if r.event == event))

    def target(self, state: str | None, event: str) -> str:
        """The state ``event`` leads to from ``state`` (for bulk paths that write rows
        directly); IllegalTransition when the table has no such row."""
        row = self.find(state, event)
        if row is None:
            raise IllegalTransition(self, state, event)
        return row.target

    def decide(
        self,
        state: str | None,
        event: str,
        *,
        roles: Iterable[str],
        actor_id: int | None,
        done_by: Mapping[str, int | None] | None = None,
    ) -> Transition:
        """The row that applies, or Refused: a role of the event first (someone who may
        never fire it learns nothing about the state), then the state, then the row's own
        roles, then the four-eyes rules (``done_by``: attribute → user id)."""
        held = frozenset(roles) if actor_id is not None else frozenset({SYSTEM})
        if not held & self.roles_for(event):
            raise RoleRefused(self, state, event, self.roles_for(event))
        row = self.find(state, event)
        if row is None:
            raise IllegalTransition(self, state, event)
        if not held & row.roles:
            raise RoleRefused(self, state, event, row.roles)
        for rule in row.four_eyes:
            if actor_id is not None and (done_by or {}).get(rule) == actor_id:
                raise FourEyesRefused(self, state, event, rule)
        return row


def _rows(
    sources: Iterable[str],
    event: str,
    target: str | None,
    roles: Iterable[str],
    action: str,
    *,
    four_eyes: tuple[str, ...] = (),
    effect: Effect = Effect.NONE,
) -> list[Transition]:
    """One row per source; ``target=None`` keeps the state (an event recorded in place)."""
    return [
        Transition(source, event, target or source, frozenset(roles), action, four_eyes, effect)
        for source in sources
    ]


# --- samples ---------------------------------------------------------------------------------

REGISTERED, RECEIVED, REJECTED, CONCLUDED, REPORTED, REOPENED, VOIDED = (
    "registered",
    "received",
    "rejected",
    "concluded",
    "reported",
    "reopened",  # reported, then its conclusion withdrawn for a retest (before issue 18)
    "voided",  # 作废: kept with its number, out of every queue, rate and export
)
_CONCLUDERS = (REVIEWER, SUPERVISOR, SYSTEM)
_RETESTERS = (REVIEWER, SUPERVISOR)
_FOLLOWERS = (SUPERVISOR,)  # not the admin: administering is not supervising
# Who applies an approved correction or voiding after receipt (the approver fires the row).
_APPROVERS = (REVIEWER, SUPERVISOR)

SAMPLE = Machine(
    "sample",
    (REGISTERED, RECEIVED, REJECTED, CONCLUDED, REPORTED, REOPENED, VOIDED),
    [
        Transition(
            None, "register", REGISTERED, frozenset({SAMPLER}), "create",
            effect=Effect.START_DELIVERY_CLOCK,
        ),
        Transition(
            REGISTERED, "receive", RECEIVED, frozenset({TECHNICIAN}), "receive",
            effect=Effect.START_REPORT_CLOCK,
        ),
        Transition(REGISTERED, "reject", REJECTED, frozenset({TECHNICIAN}), "reject"),
        # Every current result accepted: the conclusion is derived (again, after a
        # correction).
        *_rows((RECEIVED,), "conclude", CONCLUDED, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        *_rows((CONCLUDED, REPORTED), "conclude", None, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        # A sample whose report was withdrawn (an upheld objection, Art. 39) is concluded
        # again by its corrected or retested results and waits for a new report: never back
        # to reported without one (issue 18 §2).
        *_rows((REOPENED,), "conclude", CONCLUDED, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        # The lab corrects a result or tests it again: the conclusion is suspended until the
        # row is accepted; its time and deadlines are kept for the same conclusion reached
        # again.  Not once reported: the issued report stands until a report correction
        # supersedes it (issue 18 §2); a sample reopened before that rule keeps its way back.
        *_rows((RECEIVED, CONCLUDED), "suspend", RECEIVED, _RETESTERS, "reopen",
               effect=Effect.SUSPEND_CONCLUSION),
        *_rows((REOPENED,), "suspend", REOPENED, _RETESTERS, "reopen",
               effect=Effect.SUSPEND_CONCLUSION),
        # An upheld objection withdrawing the conclusion (Art. 39; the objection service):
        # the conclusion, its time and its deadlines go; the sample is concluded anew.
        *_rows((RECEIVED, CONCLUDED), "withdraw", RECEIVED, _RETESTERS, "reopen",
               effect=Effect.WITHDRAW_CONCLUSION),
        # A reported sample's conclusion withdrawn only by an upheld objection (Art. 39; the
        # objection service): the lab's own retests of it are refused by services.results.
        *_rows((REPORTED, REOPENED), "withdraw", REOPENED, _RETESTERS, "reopen",
               effect=Effect.WITHDRAW_CONCLUSION),
        # 作废: by its team before receipt; after receipt by the approver of a voiding
        # request; never once a report is issued (a report correction is the only way).
        Transition(REGISTERED, "void", VOIDED, frozenset({SAMPLER, *_APPROVERS}), "void"),
        *_rows((RECEIVED, REJECTED, CONCLUDED), "void", VOIDED, _APPROVERS, "void"),
        Transition(CONCLUDED, "report", REPORTED, frozenset({SUPERVISOR}), "status"),
        # The retest lab's conclusion replaces the first one (follow-up of an unqualified
        # sample); while a conclusion is withdrawn there is none to replace.
        *_rows((CONCLUDED, REPORTED), "retest_conclusion", None, _FOLLOWERS, "retest_conclusion"),
    ],
)  # fmt: skip

# --- results ---------------------------------------------------------------------------------

PENDING, ENTERED, SUBMITTED, RETURNED, ACCEPTED, SUPERSEDED = (
    "pending",
    "entered",
    "submitted",
    "returned",
    "accepted",
    "superseded",
)

RESULT = Machine(
    "result",
    (PENDING, ENTERED, SUBMITTED, RETURNED, ACCEPTED, SUPERSEDED),
    [
        # At receipt (one row per test item) and by a retest.
        Transition(None, "create", PENDING, frozenset({TECHNICIAN, *_RETESTERS}), "create"),
        *_rows((PENDING, ENTERED, RETURNED), "enter", ENTERED, (TECHNICIAN,), "enter"),
        Transition(ENTERED, "submit", SUBMITTED, frozenset({TECHNICIAN}), "submit"),
        Transition(
            SUBMITTED, "accept", ACCEPTED, frozenset({REVIEWER}), "accept",
            four_eyes=("entered_by_id",),
        ),
        Transition(
            SUBMITTED, "return", RETURNED, frozenset({REVIEWER}), "return",
            four_eyes=("entered_by_id",),
        ),
        # A corrected value is the corrector's and is reviewed again, by someone else.
        Transition(
            ACCEPTED, "correct", SUBMITTED, frozenset(_RETESTERS), "correct",
            four_eyes=("entered_by_id",),
        ),
        Transition(ACCEPTED, "retest", SUPERSEDED, frozenset(_RETESTERS), "retest"),
        # A reported sample's result changed by an approved report correction: a supervisor
        # (who then issues the superseding report), never the person who entered it.
        Transition(
            ACCEPTED, "amend", ACCEPTED, frozenset({SUPERVISOR}), "amend",
            four_eyes=("entered_by_id",),
        ),
    ],
)  # fmt: skip

# --- reports ---------------------------------------------------------------------------------

ISSUED = "issued"
REPORT_WITHDRAWN = "withdrawn"
_SIGNERS = ("author_id", "reviewer_id")

REPORT = Machine(
    "report",
    (ISSUED, SUPERSEDED, REPORT_WITHDRAWN),
    [
        # The approver (批准) is a third person: neither the author (编制, who entered most
        # results) nor the reviewer (审核).
        Transition(None, "issue", ISSUED, frozenset({SUPERVISOR}), "issue", four_eyes=_SIGNERS),
        Transition(None, "reissue", ISSUED, frozenset({SUPERVISOR}), "correct", four_eyes=_SIGNERS),
        Transition(ISSUED, "supersede", SUPERSEDED, frozenset({SUPERVISOR}), "supersede"),
        # An upheld objection withdraws the conclusion (Art. 39): the report is withdrawn with
        # the reason, signed; the verification page says so.  No report is then in force
        # until the sample is concluded again and a new one is issued.
        Transition(ISSUED, "withdraw", REPORT_WITHDRAWN, frozenset({SUPERVISOR}), "withdraw"),
    ],
)

# --- follow-ups of unqualified samples -------------------------------------------------------

OPEN, NOTIFIED = "open", "notified"
FOLLOWUP_STATES = (OPEN, NOTIFIED)
# The follow-up of an unqualified sample: the sampled unit is notified of the conclusion (a
# date that may be recorded again to correct it).  The retest, the objections and the
# disposal are machines of their own (below), each row of its own table.
FOLLOWUP = Machine(
    "followup",
    FOLLOWUP_STATES,
    [
        Transition(None, "open", OPEN, frozenset({*_FOLLOWERS, SYSTEM}), "open"),
        *_rows((OPEN, NOTIFIED), "notify", NOTIFIED, _FOLLOWERS, "notify",
               effect=Effect.START_RETEST_WINDOW),
    ],
)  # fmt: skip

# --- retest (复检), SAMR Order No. 15 (2019) Arts. 30-36 -------------------------------------

APPLIED, ACCEPTED, REFUSED, LAB_CHOSEN, BACKUP_RECEIVED, RETESTED = (
    "applied",
    "accepted",
    "refused",
    "lab_chosen",
    "backup_received",
    "retested",
)
RETEST_STATES = (APPLIED, ACCEPTED, REFUSED, LAB_CHOSEN, BACKUP_RECEIVED, RETESTED)
# applied → accepted | refused (Art. 32, in 5 working days; refused for an Art. 31 reason);
# accepted → lab chosen at random from the retest lab list (Art. 32, 5 working days, once
# extended by 5); lab chosen → backup received with its seal checked (Art. 33, 3 working
# days) or the backup unusable (Art. 31(4)); backup received → retested (Art. 35, 10
# working days; the retest's conclusion is the final one).
RETEST = Machine(
    "retest",
    RETEST_STATES,
    [
        Transition(None, "apply", APPLIED, frozenset(_FOLLOWERS), "apply",
                   effect=Effect.START_RETEST_DECISION_CLOCK),
        Transition(APPLIED, "accept", ACCEPTED, frozenset(_FOLLOWERS), "accept",
                   effect=Effect.START_RETEST_LAB_CLOCK),
        Transition(APPLIED, "refuse", REFUSED, frozenset(_FOLLOWERS), "refuse"),
        Transition(ACCEPTED, "extend_lab_choice", ACCEPTED, frozenset(_FOLLOWERS), "extend",
                   effect=Effect.EXTEND_RETEST_LAB_CLOCK),
        Transition(ACCEPTED, "choose_lab", LAB_CHOSEN, frozenset(_FOLLOWERS), "choose_lab",
                   effect=Effect.START_HANDOVER_CLOCK),
        Transition(LAB_CHOSEN, "receive_backup", BACKUP_RECEIVED, frozenset(_FOLLOWERS),
                   "backup_received", effect=Effect.START_RETEST_CLOCK),
        Transition(LAB_CHOSEN, "backup_unusable", REFUSED, frozenset(_FOLLOWERS),
                   "backup_unusable"),
        Transition(BACKUP_RECEIVED, "record_result", RETESTED, frozenset(_FOLLOWERS),
                   "retest_result"),
    ],
)  # fmt: skip

# --- objections (异议), Arts. 37-39 ------------------------------------------------------------

FILED, UPHELD, DISMISSED = "filed", "upheld", "dismissed"
OBJECTION_STATES = (FILED, ACCEPTED, REFUSED, UPHELD, DISMISSED)
OBJECTION = Machine(
    "objection",
    OBJECTION_STATES,
    [
        Transition(None, "file", FILED, frozenset(_FOLLOWERS), "file",
                   effect=Effect.START_OBJECTION_DECISION_CLOCK),
        Transition(FILED, "accept", ACCEPTED, frozenset(_FOLLOWERS), "accept",
                   effect=Effect.START_OBJECTION_REVIEW_CLOCK),
        Transition(FILED, "refuse", REFUSED, frozenset(_FOLLOWERS), "refuse"),
        Transition(ACCEPTED, "uphold", UPHELD, frozenset(_FOLLOWERS), "uphold"),
        Transition(ACCEPTED, "dismiss", DISMISSED, frozenset(_FOLLOWERS), "dismiss"),
    ],
)  # fmt: skip

# --- disposal (核查处置), Art. 45 --------------------------------------------------------------

UNDER_WAY, COMPLETED, CLOSED = "under_way", "completed", "closed"
DISPOSAL_STATES = (UNDER_WAY, COMPLETED, CLOSED)
# Created when the regulator receives the unqualified conclusion (the 90-day clock starts);
# approved extensions and the national platform's milestones are recorded in place.
DISPOSAL = Machine(
    "disposal",
    DISPOSAL_STATES,
    [
        Transition(None, "receive", UNDER_WAY, frozenset(_FOLLOWERS), "receive",
                   effect=Effect.START_DISPOSAL_CLOCK),
        Transition(UNDER_WAY, "extend", UNDER_WAY, frozenset(_FOLLOWERS), "extend"),
        Transition(UNDER_WAY, "milestone", UNDER_WAY, frozenset(_FOLLOWERS), "milestone"),
        Transition(UNDER_WAY, "complete", COMPLETED, frozenset(_FOLLOWERS), "complete"),
        # The unqualified conclusion no longer stands (a qualified retest, Art. 35; an
        # objection upheld by withdrawing it, Art. 39): the disposal ends, with the reason.
        Transition(UNDER_WAY, "close", CLOSED, frozenset(_FOLLOWERS), "close"),
    ],
)  # fmt: skip

# --- correction requests (issue 13 §3, issue 18 §2) ------------------------------------------

APPROVED, REJECTED_REQUEST, WITHDRAWN = "approved", "rejected", "withdrawn"
CORRECTION_STATES = (PENDING, APPROVED, REJECTED_REQUEST, WITHDRAWN)
_REQUESTERS = (SAMPLER, TECHNICIAN, REVIEWER, SUPERVISOR)
# A correction of a received (or reported) record, or its voiding, waits for a second person:
# a reviewer or supervisor who did not ask for it approves or rejects it; the requester may
# withdraw it.  Which approver a target needs (a supervisor once a report is issued) and
# whether the requester may ask at all are the service's finer rules.
CORRECTION = Machine(
    "correction",
    CORRECTION_STATES,
    [
        Transition(None, "request", PENDING, frozenset(_REQUESTERS), "request"),
        # A reported result's new value is reviewed (审核) first, by a reviewer who did not
        # ask for it (and entered no value of it: the service's rule), signed.
        Transition(
            PENDING, "review", PENDING, frozenset({REVIEWER}), "review",
            four_eyes=("requested_by_id",),
        ),
        Transition(
            PENDING, "approve", APPROVED, frozenset(_APPROVERS), "approve",
            four_eyes=("requested_by_id",),
        ),
        Transition(
            PENDING, "reject", REJECTED_REQUEST, frozenset(_APPROVERS), "reject",
            four_eyes=("requested_by_id",),
        ),
        Transition(PENDING, "withdraw", WITHDRAWN, frozenset(_REQUESTERS), "withdraw"),
    ],
)  # fmt: skip

# --- retest backups (复检备份样品) ---------------------------------------------------------------

HELD, HANDED_OVER, DISPOSED = "held", "handed_over", "disposed"
BACKUP_STATES = (HELD, HANDED_OVER, DISPOSED)
_KEEPERS = (TECHNICIAN, SUPERVISOR)  # not the administrator (issue 18 §1)
# Entered at receipt (or by the register's sync); kept (its place may be recorded again: a
# move); handed over to the retest lab, or disposed of once its retention has passed (the
# dates are checked by the backup service).  Both ends are final.
BACKUP = Machine(
    "backup",
    BACKUP_STATES,
    [
        Transition(None, "register", HELD, frozenset({*_KEEPERS, REVIEWER, SYSTEM}),
                   "backup_register"),
        *_rows((HELD,), "store", HELD, _KEEPERS, "backup_store"),
        *_rows((HELD,), "hand_over", HANDED_OVER, _KEEPERS, "backup_hand_over"),
        *_rows((HELD,), "dispose", DISPOSED, _KEEPERS, "backup_dispose"),
    ],
)  # fmt: skip

MACHINES = {
    m.name: m
    for m in (SAMPLE, RESULT, REPORT, FOLLOWUP, RETEST, OBJECTION, DISPOSAL, CORRECTION, BACKUP)
}
# States kept for rows written before a rule changed, which no new row can reach: a sample
# reopened after its report (a retest of a reported sample is refused since issue 18 §2).
LEGACY_STATES: dict[str, tuple[str, ...]] = {}
