"""The transition tables, checked against a specification written out again here: every
(state, event) pair of every machine, the illegal ones included; roles and four eyes; and a
property: any sequence of events follows the table or is refused with the state unchanged."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core import lifecycle
from labsys.core.lifecycle import (
    BACKUP,
    CORRECTION,
    DISPOSAL,
    FOLLOWUP,
    LEGACY_STATES,
    OBJECTION,
    REPORT,
    RESULT,
    RETEST,
    SAMPLE,
    SYSTEM,
    Effect,
    FourEyesRefused,
    IllegalTransition,
    Machine,
    RoleRefused,
    Transition,
)

ALL_ROLES = {"sampler", "technician", "reviewer", "supervisor", "admin"}

# state event → target [roles] (four-eyes attribute) {effect}: the lifecycle as the product
# describes it (docs/ARCHITECTURE.md, DOMAIN.md), independent of how the tables are built.
SPEC = {
    "sample": """
        - register → registered [sampler] {start_delivery_clock}
        registered receive → received [technician] {start_report_clock}
        registered reject → rejected [technician]
        received conclude → concluded [reviewer supervisor system] {set_unqualified_clock}
        concluded conclude → concluded [reviewer supervisor system] {set_unqualified_clock}
        reported conclude → reported [reviewer supervisor system] {set_unqualified_clock}
        reopened conclude → concluded [reviewer supervisor system] {set_unqualified_clock}
        received suspend → received [reviewer supervisor] {suspend_conclusion}
        concluded suspend → received [reviewer supervisor] {suspend_conclusion}
        reopened suspend → reopened [reviewer supervisor] {suspend_conclusion}
        received withdraw → received [reviewer supervisor] {withdraw_conclusion}
        concluded withdraw → received [reviewer supervisor] {withdraw_conclusion}
        reported withdraw → reopened [reviewer supervisor] {withdraw_conclusion}
        reopened withdraw → reopened [reviewer supervisor] {withdraw_conclusion}
        concluded report → reported [supervisor]
        concluded retest_conclusion → concluded [supervisor]
        reported retest_conclusion → reported [supervisor]
        registered void → voided [sampler reviewer supervisor]
        received void → voided [reviewer supervisor]
        rejected void → voided [reviewer supervisor]
        concluded void → voided [reviewer supervisor]
    """,
    "result": """
        - create → pending [technician reviewer supervisor]
        pending enter → entered [technician]
        entered enter → entered [technician]
        returned enter → entered [technician]
        entered submit → submitted [technician]
        submitted accept → accepted [reviewer] (entered_by_id)
        submitted return → returned [reviewer] (entered_by_id)
        accepted correct → submitted [reviewer supervisor] (entered_by_id)
        accepted retest → superseded [reviewer supervisor]
        accepted amend → accepted [supervisor] (entered_by_id)
    """,
    "report": """
        - issue → issued [supervisor] (author_id,reviewer_id)
        - reissue → issued [supervisor] (author_id,reviewer_id)
        issued supersede → superseded [supervisor]
        issued withdraw → withdrawn [supervisor]
    """,
    "followup": """
        - open → open [supervisor system]
        open notify → notified [supervisor] {start_retest_window}
        notified notify → notified [supervisor] {start_retest_window}
    """,
    # SAMR Order No. 15 (2019) Arts. 30-36.
    "retest": """
        - apply → applied [supervisor] {start_retest_decision_clock}
        applied accept → accepted [supervisor] {start_retest_lab_clock}
        applied refuse → refused [supervisor]
        accepted extend_lab_choice → accepted [supervisor] {extend_retest_lab_clock}
        accepted choose_lab → lab_chosen [supervisor] {start_handover_clock}
        lab_chosen receive_backup → backup_received [supervisor] {start_retest_clock}
        lab_chosen backup_unusable → refused [supervisor]
        backup_received record_result → retested [supervisor]
    """,
    # Arts. 37-39.
    "objection": """
        - file → filed [supervisor] {start_objection_decision_clock}
        filed accept → accepted [supervisor] {start_objection_review_clock}
        filed refuse → refused [supervisor]
        accepted uphold → upheld [supervisor]
        accepted dismiss → dismissed [supervisor]
    """,
    # Art. 45.
    "disposal": """
        - receive → under_way [supervisor] {start_disposal_clock}
        under_way extend → under_way [supervisor]
        under_way milestone → under_way [supervisor]
        under_way complete → completed [supervisor]
        under_way close → closed [supervisor]
    """,
    "correction": """
        - request → pending [sampler technician reviewer supervisor]
        pending review → pending [reviewer] (requested_by_id)
        pending approve → approved [reviewer supervisor] (requested_by_id)
        pending reject → rejected [reviewer supervisor] (requested_by_id)
        pending withdraw → withdrawn [sampler technician reviewer supervisor]
    """,
    # The retest backup register (issue #12 §5): held until handed over or disposed of.
    "backup": """
        - register → held [technician supervisor reviewer system]
        held store → held [technician supervisor]
        held hand_over → handed_over [technician supervisor]
        held dispose → disposed [technician supervisor]
    """,
}


def _spec(machine: Machine) -> dict:
    """(state, event) → (target, roles, four-eyes, effect) from the text above; ``*`` is
    every state (an event recorded in place)."""
    rows = {}
    for line in SPEC[machine.name].strip().splitlines():
        words = line.replace("→", " ").replace("[", " [ ").replace("]", " ] ").split()
        source, event, target = words[0], words[1], words[2]
        roles = frozenset(words[words.index("[") + 1 : words.index("]")])
        four_eyes = next((tuple(w[1:-1].split(",")) for w in words if w[0] == "("), ())
        effect = next((Effect(w[1:-1]) for w in words if w.startswith("{")), Effect.NONE)
        sources = machine.states if source == "*" else [None if source == "-" else source]
        for state in sources:
            rows[(state, event)] = (state if target == "*" else target, roles, four_eyes, effect)
    return rows


MACHINES = [SAMPLE, RESULT, REPORT, FOLLOWUP, RETEST, OBJECTION, DISPOSAL, CORRECTION, BACKUP]
PAIRS = [
    (machine, state, event)
    for machine in MACHINES
    for state, event in itertools.product((None, *machine.states), machine.events)
]


def test_the_states_are_the_stored_enums():
    from labsys.models import (
        BackupStatus,
        CorrectionStatus,
        DisposalStatus,
        FollowUpStatus,
        ObjectionStatus,
        ReportStatus,
        ResultStatus,
        RetestStatus,
        SampleStatus,
    )

    enums = (
        SampleStatus,
        ResultStatus,
        ReportStatus,
        FollowUpStatus,
        RetestStatus,
        ObjectionStatus,
        DisposalStatus,
        CorrectionStatus,
        BackupStatus,
    )
    for machine, enum_class in zip(MACHINES, enums, strict=True):
        assert set(machine.states) == {m.value for m in enum_class}


def test_a_reported_sample_is_never_withdrawn_nor_voided():
    """Issue 18 §2: once reported, only a report correction changes it; a sample reopened
    (its report withdrawn by an upheld objection) is concluded again and waits for a new
    report: it never returns to reported without one."""
    with pytest.raises(IllegalTransition):
        SAMPLE.target("reported", "void")
    # Withdrawn only by an upheld objection (the lab's retests are refused by the service).
    assert SAMPLE.target("reported", "withdraw") == "reopened"
    assert SAMPLE.target("reopened", "conclude") == "concluded"
    assert LEGACY_STATES == {}


@pytest.mark.parametrize(
    ("machine", "state", "event"), PAIRS, ids=[f"{m.name}-{s}-{e}" for m, s, e in PAIRS]
)
def test_every_state_and_event(machine, state, event):
    expected = _spec(machine).get((state, event))
    if expected is None:
        with pytest.raises(IllegalTransition):
            machine.decide(state, event, roles=ALL_ROLES, actor_id=1)
        with pytest.raises(IllegalTransition):
            machine.target(state, event)
        return
    target, roles, four_eyes, effect = expected
    row = machine.decide(state, event, roles=ALL_ROLES, actor_id=1, done_by={})
    assert (row.target, row.roles, row.four_eyes, row.effect) == (
        target,
        roles,
        four_eyes,
        effect,
    )
    assert machine.target(state, event) == target


def test_the_tables_have_no_rows_beyond_the_specification():
    for machine in MACHINES:
        assert {(r.source, r.event) for r in machine.transitions} == set(_spec(machine))


def _rows():
    return [(m, row) for m in MACHINES for row in m.transitions]


@pytest.mark.parametrize(("machine", "row"), _rows(), ids=lambda x: getattr(x, "event", None))
def test_only_the_allowed_roles_may_fire_a_transition(machine, row):
    other_roles = ALL_ROLES - row.roles
    for role in other_roles:
        if role in machine.roles_for(row.event):
            continue  # allowed in another state: refused here by this row's roles
        with pytest.raises(RoleRefused) as refused:
            machine.decide(row.source, row.event, roles={role}, actor_id=1)
        assert refused.value.roles == machine.roles_for(row.event)
    for role in row.roles - {SYSTEM}:
        assert machine.decide(row.source, row.event, roles={role}, actor_id=1) is row


def test_nobody_but_the_system_acts_without_a_user():
    assert SAMPLE.decide("received", "conclude", roles=(), actor_id=None).target == "concluded"
    assert FOLLOWUP.decide(None, "open", roles=(), actor_id=None).target == "open"
    with pytest.raises(RoleRefused):
        RESULT.decide("submitted", "accept", roles=ALL_ROLES, actor_id=None)


@pytest.mark.parametrize(
    "row", [r for _m, r in _rows() if r.four_eyes], ids=lambda r: f"{r.source}-{r.event}"
)
def test_four_eyes_the_actor_is_never_the_person_who_did_the_work(row):
    machine = next(m for m in MACHINES if row in m.transitions)
    for rule in row.four_eyes:
        with pytest.raises(FourEyesRefused) as refused:
            machine.decide(row.source, row.event, roles=ALL_ROLES, actor_id=7, done_by={rule: 7})
        assert refused.value.rule == rule
    others = dict.fromkeys(row.four_eyes, 7)
    assert machine.decide(row.source, row.event, roles=ALL_ROLES, actor_id=8, done_by=others) is row


def test_an_inconsistent_table_is_refused_when_built():
    row = Transition("a", "go", "b", frozenset({"admin"}), "go")
    with pytest.raises(ValueError, match="two rows"):
        Machine("m", ("a", "b"), [row, row])
    with pytest.raises(ValueError, match="unknown state"):
        Machine("m", ("a",), [row])
    with pytest.raises(ValueError, match="nobody"):
        Machine("m", ("a", "b"), [Transition("a", "go", "b", frozenset(), "go")])


def test_every_machine_is_registered_and_every_state_reachable():
    assert {m.name: m for m in MACHINES} == lifecycle.MACHINES
    for machine in MACHINES:
        reached, frontier = set(), {None}
        while frontier:
            state = frontier.pop()
            for row in machine.transitions:
                if row.source == state and row.target not in reached:
                    reached.add(row.target)
                    frontier.add(row.target)
        legacy = set(LEGACY_STATES.get(machine.name, ()))
        assert reached == set(machine.states) - legacy, machine.name


@st.composite
def runs(draw):
    machine = draw(st.sampled_from(MACHINES))
    start = draw(st.sampled_from([None, *machine.states]))
    events = draw(st.lists(st.sampled_from(machine.events), max_size=25))
    roles = draw(st.sets(st.sampled_from(sorted(ALL_ROLES)), min_size=1))
    return machine, start, events, roles


@settings(deadline=None)  # a loaded CI machine must not fail it on timing
@given(runs())
def test_any_sequence_of_events_follows_the_table_or_is_refused_unchanged(run):
    machine, state, events, roles = run
    spec = _spec(machine)
    for event in events:
        expected = spec.get((state, event))
        try:
            row = machine.decide(state, event, roles=roles, actor_id=1, done_by={})
        except IllegalTransition:
            assert expected is None
            continue  # refused: the state stays where it was
        except RoleRefused:
            assert expected is None or not roles & expected[1]
            continue
        assert expected is not None and roles & expected[1]
        assert row.target == expected[0]
        state = row.target
    assert state in (None, *machine.states)
