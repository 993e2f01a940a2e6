"""The lifecycles of samples, results, reports and follow-ups as explicit transition tables.

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
    START_RETEST_WINDOW = "start_retest_window"  # retest request within 7 working days
    START_RETEST_CLOCK = "start_retest_clock"  # retest result within 10 working days
    START_DISPOSAL_CLOCK = "start_disposal_clock"  # disposal milestones and deadline


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

REGISTERED, RECEIVED, REJECTED, CONCLUDED, REPORTED, REOPENED = (
    "registered",
    "received",
    "rejected",
    "concluded",
    "reported",
    "reopened",  # reported, then its conclusion withdrawn for a retest
)
_CONCLUDERS = (REVIEWER, SUPERVISOR, SYSTEM)
_RETESTERS = (REVIEWER, SUPERVISOR)
_FOLLOWERS = (SUPERVISOR,)  # not the admin: administering is not supervising

SAMPLE = Machine(
    "sample",
    (REGISTERED, RECEIVED, REJECTED, CONCLUDED, REPORTED, REOPENED),
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
        # correction); a reopened sample's retest brings it back to reported.
        *_rows((RECEIVED,), "conclude", CONCLUDED, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        *_rows((CONCLUDED, REPORTED), "conclude", None, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        *_rows((REOPENED,), "conclude", REPORTED, _CONCLUDERS, "conclude",
               effect=Effect.SET_UNQUALIFIED_CLOCK),
        # A result retested: the conclusion is withdrawn until the retest is accepted.
        *_rows((RECEIVED, CONCLUDED), "withdraw", RECEIVED, _RETESTERS, "reopen",
               effect=Effect.WITHDRAW_CONCLUSION),
        *_rows((REPORTED, REOPENED), "withdraw", REOPENED, _RETESTERS, "reopen",
               effect=Effect.WITHDRAW_CONCLUSION),
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
    ],
)  # fmt: skip

# --- reports ---------------------------------------------------------------------------------

ISSUED = "issued"
_SIGNERS = ("author_id", "reviewer_id")

REPORT = Machine(
    "report",
    (ISSUED, SUPERSEDED),
    [
        # The approver (批准) is a third person: neither the author (编制, who entered most
        # results) nor the reviewer (审核).
        Transition(None, "issue", ISSUED, frozenset({SUPERVISOR}), "issue", four_eyes=_SIGNERS),
        Transition(None, "reissue", ISSUED, frozenset({SUPERVISOR}), "correct", four_eyes=_SIGNERS),
        Transition(ISSUED, "supersede", SUPERSEDED, frozenset({SUPERVISOR}), "supersede"),
    ],
)

# --- follow-ups of unqualified samples -------------------------------------------------------

OPEN, NOTIFIED, RETEST_REQUESTED, BACKUP_RECEIVED, RETESTED = (
    "open",
    "notified",
    "retest_requested",
    "backup_received",
    "retested",
)
FOLLOWUP_STATES = (OPEN, NOTIFIED, RETEST_REQUESTED, BACKUP_RECEIVED, RETESTED)
# The state is the retest track (复检); a step may be recorded again to correct its date.
# Objections and the disposal (核查处置) run beside it, in any state; their own order
# (a milestone after the start) is checked on the dates by the follow-up service.
FOLLOWUP = Machine(
    "followup",
    FOLLOWUP_STATES,
    [
        Transition(None, "open", OPEN, frozenset({*_FOLLOWERS, SYSTEM}), "open"),
        *_rows((OPEN, NOTIFIED), "notify", NOTIFIED, _FOLLOWERS, "notify",
               effect=Effect.START_RETEST_WINDOW),
        *_rows((NOTIFIED, RETEST_REQUESTED), "request_retest", RETEST_REQUESTED, _FOLLOWERS,
               "request_retest"),
        *_rows((RETEST_REQUESTED, BACKUP_RECEIVED), "receive_backup", BACKUP_RECEIVED,
               _FOLLOWERS, "retest_backup_received", effect=Effect.START_RETEST_CLOCK),
        *_rows((BACKUP_RECEIVED, RETESTED), "record_retest", RETESTED, _FOLLOWERS,
               "retest_result"),
        *_rows(FOLLOWUP_STATES, "object", None, _FOLLOWERS, "objection"),
        *_rows(FOLLOWUP_STATES, "start_disposal", None, _FOLLOWERS, "start_disposal",
               effect=Effect.START_DISPOSAL_CLOCK),
        *_rows(FOLLOWUP_STATES, "disposal_first", None, _FOLLOWERS, "disposal_first"),
        *_rows(FOLLOWUP_STATES, "disposal_second", None, _FOLLOWERS, "disposal_second"),
        *_rows(FOLLOWUP_STATES, "disposal_completed", None, _FOLLOWERS, "disposal_completed"),
    ],
)  # fmt: skip

# --- retest backups (复检备份样品) ---------------------------------------------------------------

HELD, HANDED_OVER, DISPOSED = "held", "handed_over", "disposed"
BACKUP_STATES = (HELD, HANDED_OVER, DISPOSED)
_KEEPERS = (TECHNICIAN, SUPERVISOR, ADMIN)
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

MACHINES = {m.name: m for m in (SAMPLE, RESULT, REPORT, FOLLOWUP, BACKUP)}
