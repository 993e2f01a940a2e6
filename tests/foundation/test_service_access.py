"""Authorization lives in the services: every writer refuses a wrong actor and writes nothing.

The writers are read from the ``@writes`` registry (``labsys.services.access.WRITERS``), and
every public function of ``labsys.services`` is checked to be declared: one that changes data
(or takes an ``actor``) without ``@writes`` fails here unless it is listed below with why.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest
from sqlalchemy import func, select

import labsys.services
from labsys.extensions import db as _db
from labsys.models import Role, User, UserRole
from labsys.services import PermissionDenied
from labsys.services.access import SYSTEM, WRITERS, writes

from support import PASSWORD

# Public functions that change data but take no actor, with who calls them.
SYSTEM_STEPS = {
    "labsys.services.audit.record": "the audit trail itself, written by every writer",
    "labsys.services.audit.record_many": "the audit trail itself (bulk)",
    "labsys.services.audit.append": "the audit trail itself (bulk loaders of past events)",
    "labsys.services.numbering.next_value": "draws a number inside a writer",
    "labsys.services.reports.next_report_no": "draws a report number inside issue_report",
    "labsys.services.sampling.next_sample_no": "draws a sample number inside create_visit",
    "labsys.services.calendar.seed_holidays": "a `labsys init` step",
    "labsys.services.reference.seed_regions": "a `labsys init` step",
    "labsys.services.reference.seed_default_lab": "a `labsys init` step",
    "labsys.services.reference.ensure_lab": "`labsys init` and the demo loader",
    "labsys.services.catalog.load_reference_catalog": "`labsys init` and `labsys catalog load`",
    "labsys.services.stats.rebuild_summary": "`labsys stats rebuild` (recounts, changes no fact)",
    "labsys.services.stats.refill": "rebuild_summary and the benchmark loaders (recounts only)",
    "labsys.services.followup.rebuild_counters": "`labsys stats rebuild` (recounts the deadline counters, changes no fact)",
    "labsys.services.security.login_succeeded": "the audit trail itself: a login",
    "labsys.services.security.login_failed": "the audit trail itself: a failed login (no actor)",
    "labsys.services.security.access_refused": "the audit trail itself: a refusal, recorded after it",
    "labsys.services.security.signature_failed": "counts a wrong signing password, after the refusal",
    # The lifecycle kernel checks the actor's role by its own table (tests/lifecycle).
    "labsys.services.api_tokens.store_answer": "the API's stored answer to a create, in its request",
    "labsys.services.webhooks.scan_overdue": "`labsys webhooks deliver`: events of the deadline board",
    "labsys.services.webhooks.deliver": "`labsys webhooks deliver`: the delivery log and cursors",
    "labsys.services.lifecycle.transition": "changes a state inside every writer that does",
    "labsys.services.lifecycle.transition_many": "the same for several rows (bulk writers)",
    "labsys.services.lifecycle.create": "creates a workflow's row inside the writer that does",
}
# Public functions taking an actor that change nothing.
ACTOR_READERS = {
    "labsys.services.reports.draft_pdf": "renders a draft PDF, stores nothing",
    "labsys.services.results.check_may_review": "the four-eyes check itself",
    "labsys.services.access.check_actor": "the role check itself",
    "labsys.services.results_import.prepare_import": "reads and checks a file (role checked)",
    "labsys.services.lifecycle.check": "the transition table's check itself",
    "labsys.services.lifecycle.start": "a new row's first state from the table",
    "labsys.services.esign.sign": "checks a password, makes a signature object, stores nothing",
    "labsys.services.esign.check": "the electronic-signature check itself",
    "labsys.services.reports.check_may_reissue": "the superseding report's signing check",
}
# What a body that changes data contains (directly or through a helper of its module).
WRITE_MARKERS = re.compile(
    r"session\.(add|add_all|delete|flush|merge)\(|session\.execute\(\s*(insert|update|delete)\b"
    r"|\baudit\.(record|record_many|append)\(|\bnext_value\("
)


def _service_modules():
    for info in pkgutil.iter_modules(labsys.services.__path__):
        yield importlib.import_module(f"labsys.services.{info.name}")


MODULES = list(_service_modules())  # imported now: their writers fill the registry


def _functions(module):
    """Every function defined in ``module`` (private ones too), by name."""
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__
    }


def _changing(functions: dict) -> set[str]:
    """Names of the functions that write, directly or by calling one that does (fixed point)."""
    sources = {name: inspect.getsource(inspect.unwrap(f)) for name, f in functions.items()}
    changing = {name for name, source in sources.items() if WRITE_MARKERS.search(source)}
    grew = True
    while grew:
        grew = False
        for name, source in sources.items():
            if name not in changing and any(
                re.search(rf"\b{re.escape(other)}\(", source) for other in changing if other != name
            ):
                changing.add(name)
                grew = True
    return changing


def _undeclared() -> list[str]:
    problems = []
    for module in MODULES:
        functions = _functions(module)
        changing = _changing(functions)
        for name, function in functions.items():
            qualified = f"{module.__name__}.{name}"
            if name.startswith("_") or qualified in WRITERS:
                continue
            takes_actor = "actor" in inspect.signature(function).parameters
            if name in changing and qualified not in SYSTEM_STEPS:
                problems.append(f"{qualified} changes data without @writes")
            elif takes_actor and name not in changing and qualified not in ACTOR_READERS:
                problems.append(f"{qualified} takes an actor without @writes")
    return problems


def test_every_public_service_function_that_changes_data_is_a_declared_writer():
    assert _undeclared() == []
    # The registry is what the refusal tests below walk: it holds the known writers.
    for name in (
        "catalog.create_category",
        "enterprises.update_enterprise",
        "followup.record_notification",
        "planning.create_task",
        "users.change_password",
    ):
        assert f"labsys.services.{name}" in WRITERS
    assert set(SYSTEM_STEPS).isdisjoint(WRITERS) and set(ACTOR_READERS).isdisjoint(WRITERS)


def test_an_undeclared_writer_is_caught(monkeypatch):
    """Break the rule on purpose: a new public writer without the decorator fails the check."""
    module = importlib.import_module("labsys.services.planning")

    def close_plan(session, actor, plan):
        session.flush()

    close_plan.__module__ = module.__name__
    monkeypatch.setattr(module, "close_plan", close_plan, raising=False)
    assert _undeclared() == ["labsys.services.planning.close_plan changes data without @writes"]


# --- refusal --------------------------------------------------------------------------------


class Untouchable:
    """An argument the body must never reach: the role check comes first."""

    def __getattr__(self, name):
        raise AssertionError(f"the body ran (it read .{name}) before the role check")

    def __bool__(self):
        raise AssertionError("the body ran before the role check")

    def __iter__(self):
        raise AssertionError("the body ran before the role check")


def _wrong_actor(writer) -> User:
    """A committed active user holding every role except the writer's (or none at all)."""
    roles = sorted(set(Role) - writer.roles)
    user = User(username=f"wrong-{len(roles)}", full_name="Wrong Role", password_hash="x")
    user.role_links = [UserRole(role=r) for r in roles]
    _db.session.add(user)
    _db.session.commit()
    return user


def _arguments(writer, actor) -> tuple[list, dict]:
    args, kwargs = [], {}
    for name, parameter in inspect.signature(writer).parameters.items():
        value = {"session": _db.session, "actor": actor}.get(name, Untouchable())
        if parameter.kind is parameter.KEYWORD_ONLY:
            if parameter.default is parameter.empty:
                kwargs[name] = value
        elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            args.append(value)
    return args, kwargs


def _row_counts() -> dict[str, int]:
    return {
        table.name: _db.session.scalar(select(func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
    }


ACTORS = ["wrong role", "no actor (None)", "SYSTEM"]


def _refusal_cases() -> list[tuple[str, str]]:
    """Every writer with every actor it must refuse (the system actor only where undeclared)."""
    return [
        (name, actor_kind)
        for name in sorted(WRITERS)
        for actor_kind in ACTORS
        if not (actor_kind == "SYSTEM" and WRITERS[name].system)
    ]


@pytest.mark.parametrize(("name", "actor_kind"), _refusal_cases())
def test_every_writer_refuses_a_wrong_actor_and_writes_nothing(db, name, actor_kind):
    writer = WRITERS[name]
    if actor_kind == "wrong role":
        actor = _wrong_actor(writer)
    else:
        actor = SYSTEM if actor_kind == "SYSTEM" else None
    before = _row_counts()
    args, kwargs = _arguments(writer, actor)
    with pytest.raises(PermissionDenied):
        writer(*args, **kwargs)
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    db.session.commit()
    assert _row_counts() == before


def test_the_refusal_is_in_the_users_language(db, make_user):
    sampler = make_user("sam", Role.SAMPLER)
    with pytest.raises(PermissionDenied, match="您的角色无权执行此操作"):
        labsys.services.catalog.create_category(db.session, sampler, None, code="X", name_zh="新")


def test_only_writers_declared_for_it_accept_the_system_actor(db):
    system_writers = sorted(name for name, w in WRITERS.items() if w.system)
    assert system_writers == [
        "labsys.services.api_tokens.create_token",  # `labsys api-token create`
        "labsys.services.backups.sync_register",  # `labsys retest-backups sync`, the demo
        "labsys.services.retests.set_retest_lab",  # the demo's list of retest labs
        "labsys.services.risk.refresh_signal_count",  # `labsys risk refresh` (cron)
        "labsys.services.risk.store_signal_count",  # the same, through refresh
        "labsys.services.signatories.authorise",  # `labsys reports signatory`, the demo
        "labsys.services.signatories.authorise_all_categories",  # the demo
        "labsys.services.users.create_user",  # create-user, quickstart, the demo
    ]
    user = labsys.services.users.create_user(
        db.session, SYSTEM, username="first", password="pass-word-1", roles=["admin"]
    )
    db.session.commit()
    assert user.id and not SYSTEM and SYSTEM.id is None


def test_a_writer_must_name_its_session_and_actor():
    with pytest.raises(TypeError):
        writes(Role.ADMIN)(lambda session, user: None)
    with pytest.raises(ValueError):
        writes()


def test_a_user_sets_only_their_own_password_unless_admin(db, make_user):
    """change_password is open to every role for one's own account only."""
    ann, bob = make_user("ann", Role.SAMPLER), make_user("bob", Role.SAMPLER)
    with pytest.raises(PermissionDenied):
        labsys.services.users.change_password(db.session, ann, bob, new_password="new-pass-42")
    labsys.services.users.change_password(
        db.session, ann, ann, new_password="new-pass-42", current_password=PASSWORD
    )


# --- keyword-only arguments -------------------------------------------------------------------

# The audit trail's own fixed shape (session, actor, entity, id, action); its callers are many.
# The lifecycle kernel's (session, actor, entity, event): the event reads as the verb.
POSITIONAL_EXCEPTIONS = {
    "labsys.services.audit.record",
    "labsys.services.lifecycle.transition",
    "labsys.services.lifecycle.transition_many",
    "labsys.services.lifecycle.create",
}


def test_long_service_signatures_take_their_details_by_keyword():
    """A public service function with more than four parameters takes at most three by
    position (session, actor and the record it acts on); the rest are keyword-only."""
    too_positional = []
    for module in MODULES:
        for name, function in _functions(module).items():
            qualified = f"{module.__name__}.{name}"
            if name.startswith("_") or qualified in POSITIONAL_EXCEPTIONS:
                continue
            parameters = inspect.signature(function).parameters.values()
            named = [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
            positional = [p for p in named if p.kind is not p.KEYWORD_ONLY]
            if len(named) > 4 and len(positional) > 3:
                too_positional.append(qualified)
    assert too_positional == []
