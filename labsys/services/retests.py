"""复检 (retest) of an unqualified supervision sample: SAMR Order No. 15 (2019) Arts. 30-36.

The article texts below are from memory of the published Order (the search corpus had no
copy of it): *(verify)* before relying on the wording.  Searched again (2026-11): a public
table of the Order's limits gives Art. 32 ¶2 (5 working days to draw the lab, once extendable
by 5; see ``services.periods``) and lists Arts. 30, 32 ¶1/¶3, 33 ¶1, 35 ¶1–2 without text.

- Art. 30: the sampled food business (or the labelled producer) may apply in writing within
  7 working days of receiving the conclusion; a late application is not accepted.
- Art. 31: no retest when (1) a microbiological item failed, (2) the backup is past its shelf
  life, (3) the application is late, (4) the backup cannot serve the retest for another
  reason, (5) laws or standards say so.
- Art. 32: accept or refuse within 5 working days of the application; choose the retest lab
  at random from the published list of retest labs (复检机构名录) within 5 working days of
  acceptance (extendable once by 5 for objective reasons); never the first lab.
- Art. 33: the first lab hands the backup over within 3 working days of the choice; the
  retest lab checks the package and seal and reports a broken one to the regulator.
- Art. 34: the retest uses the first test's methods.
- Art. 35: the retest result within 10 working days of receiving the backup; it is the final
  conclusion.

Each step is a transition of ``labsys.core.lifecycle.RETEST``, audited by the kernel.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import (
    Applicant,
    Conclusion,
    FollowUp,
    Lab,
    ResultStatus,
    Retest,
    RetestGround,
    RetestLab,
    RetestStatus,
    Role,
    Sample,
    SampleResult,
    TestItem,
    User,
    VerdictValue,
)
from labsys.services import audit, backups, disposals, esign, lifecycle, reports
from labsys.services import calendar as workcal
from labsys.services.access import writes
from labsys.services.errors import ServiceError
from labsys.services.followup import (
    _step as step,
)
from labsys.services.followup import (
    first_lab_id,
    is_supervision,
    require,
    setting,
)
from labsys.services.sample_lock import lock_samples

OPEN_STATES = (
    RetestStatus.APPLIED,
    RetestStatus.ACCEPTED,
    RetestStatus.LAB_CHOSEN,
    RetestStatus.BACKUP_RECEIVED,
)


def retests_of(session: Session, sample_id: int) -> list[Retest]:
    return list(
        session.scalars(select(Retest).where(Retest.sample_id == sample_id).order_by(Retest.id))
    )


def in_progress(session: Session, sample_id: int) -> Retest | None:
    """The sample's retest under way: applied for, accepted, its lab chosen or the backup
    with that lab, and neither refused nor its result recorded."""
    return session.scalar(
        select(Retest)
        .where(Retest.sample_id == sample_id, Retest.status.in_(OPEN_STATES))
        .order_by(Retest.id.desc())
        .limit(1)
    )


def refuse_correction_during(session: Session, sample: Sample, *, what: str = "result") -> None:
    """Arts. 30-35 *(verify)*: while a retest is under way the result under dispute is with
    the retest lab, whose conclusion will be the final one.  Correcting the first test's
    result meanwhile would change what the retest judges (after the report: a superseding
    report with another conclusion; before it: the conclusion the retest's result replaces
    withdrawn), so it waits until the retest's result is recorded or the retest refused.
    The application itself is never refused for a pending correction (not an Art. 31
    ground): the correction's review and approval wait instead.

    ``what``: ``"result"``, ``"form"`` (the sampling form: the batch's or the visit's
    fields) or ``"void"`` (voiding the sample).  The form waits from the acceptance on: the
    retest lab tests the backup as the form describes it, and after the report the
    correction would supersede the report under dispute.  Before the acceptance it may be
    corrected: the acceptance decides on what the form says of the backup (its production
    date and shelf life, Art. 31 (2)), and a typing error there must not force a refusal.
    A sample under retest is never voided.  The sample's row is locked first
    (``sample_lock``): a correction and an application at the same moment take turns."""
    lock_samples(session, [sample])
    retest = in_progress(session, sample.id)
    if retest is None or (what == "form" and retest.status == RetestStatus.APPLIED):
        return
    values = {
        "no": sample.sample_no,
        "day": retest.applied_on.isoformat(),
        "status": retest.status.title,
    }
    if what == "void":
        raise ServiceError(
            _(
                "Sample %(no)s: a retest (复检) is in progress (applied for on %(day)s; "
                "%(status)s). A sample under retest is not voided: the retest decides on its "
                "conclusion (Art. 35).",
                **values,
            )
        )
    if what == "form":
        raise ServiceError(
            _(
                "Sample %(no)s: a retest (复检) is in progress (applied for on %(day)s; "
                "%(status)s). Its sampling form describes the backup the retest lab tests, "
                "and the report under dispute prints it (Art. 35): correct the form once the "
                "retest's result is recorded or the retest is refused.",
                **values,
            )
        )
    raise ServiceError(
        _(
            "Sample %(no)s: a retest (复检) is in progress (applied for on %(day)s; "
            "%(status)s). The result under dispute is being retested by another lab, and "
            "correcting it now would change what the retest judges (Art. 35). Correct it once "
            "the retest's result is recorded or the retest is refused.",
            **values,
        )
    )


def _not_after_today(day: date, field: str) -> None:
    if day > clock.today():
        raise ServiceError(_("The date cannot be in the future."), field=field)


# --- the list of retest labs (复检机构名录), kept by the administrator ------------------------


def retest_labs(session: Session, *, active_only: bool = False) -> list[RetestLab]:
    query = select(RetestLab).join(Lab, Lab.id == RetestLab.lab_id).order_by(Lab.code)
    if active_only:
        query = query.where(RetestLab.active.is_(True))
    return list(session.scalars(query))


@writes(Role.ADMIN, system=True)
def set_retest_lab(
    session: Session, actor: User, *, code: str, name: str, active: bool = True, note: str = ""
) -> RetestLab:
    """Put a lab on the list (added to the labs if new) or change its entry; ``active=False``
    takes it off the draw while keeping the past draws that named it."""
    code, name = (code or "").strip(), (name or "").strip()
    require(code, _("Enter the lab's code."), "code")
    lab = session.scalar(select(Lab).where(Lab.code == code))
    if lab is None:
        require(name, _("Enter the lab's name."), "name")
        lab = Lab(code=code, name=name)
        session.add(lab)
        session.flush()
    entry = session.scalar(select(RetestLab).where(RetestLab.lab_id == lab.id))
    old = {"active": entry.active, "note": entry.note} if entry else None
    if entry is None:
        entry = RetestLab(lab_id=lab.id)
        session.add(entry)
    entry.active, entry.note = active, (note or "").strip()[:200]
    session.flush()
    audit.record(
        session,
        actor,
        "retest_lab",
        entry.id,
        "update" if old else "create",
        old=old,
        new={"lab": lab.code, "active": active, "note": entry.note},
    )
    return entry


# --- Art. 31: the grounds the system can check -----------------------------------------------


def failed_microbiological_items(session: Session, sample_id: int) -> list[str]:
    """Current failed items that are microbiological (any, not only those judged by an
    n/c/m/M plan: a count judged by a plain limit such as 霉菌 ≤50 CFU/g counts too)."""
    return list(
        session.scalars(
            select(SampleResult.item_name)
            .join(TestItem, TestItem.id == SampleResult.test_item_id)
            .where(
                SampleResult.sample_id == sample_id,
                SampleResult.verdict == VerdictValue.FAIL,
                SampleResult.status != ResultStatus.SUPERSEDED,
                TestItem.is_microbiological.is_(True),
            )
            .order_by(SampleResult.seq, SampleResult.id)
        )
    )


def backup_expires_on(sample: Sample) -> date | None:
    """The last day of the backup's shelf life, when the sample says it."""
    if sample.production_date and sample.shelf_life_days:
        return sample.production_date + timedelta(days=sample.shelf_life_days)
    return None


def grounds(session: Session, retest: Retest, on: date) -> dict[RetestGround, str]:
    """The Art. 31 grounds that apply on ``on`` (the decision's day), each with why."""
    found: dict[RetestGround, str] = {}
    items = failed_microbiological_items(session, retest.sample_id)
    if items:
        found[RetestGround.MICROBIOLOGICAL] = _(
            "Art. 31(1): the microbiological item %(items)s failed: no retest.",
            items="、".join(items),
        )
    expires = backup_expires_on(retest.sample)
    if expires is not None and expires < on:
        found[RetestGround.BACKUP_EXPIRED] = _(
            "Art. 31(2): the retest backup's shelf life ended on %(day)s: no retest.",
            day=expires.isoformat(),
        )
    if retest.applied_on > retest.window_end:
        found[RetestGround.LATE] = _(
            "Arts. 30, 31(3): applied on %(day)s, after the 7 working days that ended on "
            "%(end)s: no retest.",
            day=retest.applied_on.isoformat(),
            end=retest.window_end.isoformat(),
        )
    return found


# --- the steps -------------------------------------------------------------------------------


@writes(Role.SUPERVISOR)
def apply_for_retest(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    applicant: Applicant,
    applicant_name: str,
    conclusion_received_on: date,
    applied_on: date,
) -> Retest:
    """Art. 30: record a written application (recorded even when late: Art. 31 refuses it).
    The sample's row is locked first: a correction suspending its conclusion at the same
    moment is read once committed (``sample_lock``)."""
    lock_samples(session, [sample])
    if sample.conclusion != Conclusion.UNQUALIFIED:
        raise ServiceError(_("Art. 30: only an unqualified conclusion can be retested."))
    if not is_supervision(sample):
        raise ServiceError(
            _("Art. 30: only supervision sampling (监督抽检) gives the right to a retest.")
        )
    require(applicant, _("Choose who applies."), "applicant")
    applicant_name = (applicant_name or "").strip()
    require(applicant_name, _("Enter the applicant's name."), "applicant_name")
    require(
        conclusion_received_on,
        _("Enter the date the applicant received the conclusion."),
        "conclusion_received_on",
    )
    require(applied_on, _("Enter the date of the application."), "applied_on")
    _check_received_on(session, sample, conclusion_received_on)
    concluded = clock.local_date(sample.concluded_at) if sample.concluded_at else None
    if concluded and conclusion_received_on < concluded:
        raise ServiceError(
            _("The conclusion cannot be received before it was reached (%(day)s).", day=concluded),
            field="conclusion_received_on",
        )
    if applied_on < conclusion_received_on:
        raise ServiceError(
            _("The application cannot come before the conclusion was received."),
            field="applied_on",
        )
    _not_after_today(applied_on, "applied_on")
    if session.scalar(
        select(exists().where(Retest.sample_id == sample.id, Retest.status != RetestStatus.REFUSED))
    ):
        raise ServiceError(
            _(
                "Art. 35: sample %(no)s already has a retest; its conclusion is the final one.",
                no=sample.sample_no,
            )
        )
    days = setting("RETEST_REQUEST_WORKDAYS")
    retest = Retest(
        sample=sample,
        applicant=Applicant(applicant),
        applicant_name=applicant_name[:200],
        conclusion_received_on=conclusion_received_on,
        applied_on=applied_on,
        window_end=workcal.add_workdays(session, conclusion_received_on, days),
    )
    lifecycle.create(
        session,
        actor,
        retest,
        "apply",
        on=applied_on,
        new={
            "sample_id": sample.id,
            "applicant": retest.applicant,
            "applicant_name": retest.applicant_name,
            "conclusion_received_on": conclusion_received_on,
            "applied_on": applied_on,
            "window_end": retest.window_end,
        },
    )
    return retest


def _check_received_on(session: Session, sample: Sample, received_on: date) -> None:
    """Art. 30 *(verify)*: the 7 working days count from the day the applicant received the
    conclusion, so that day must be one that happened: not in the future, and not before
    the conclusion was served (the notification recorded on the follow-up: no applicant, the
    sampled unit or the labelled producer, received it earlier)."""
    _not_after_today(received_on, "conclusion_received_on")
    notified = session.scalar(select(FollowUp.notified_on).where(FollowUp.sample_id == sample.id))
    if notified is None:
        raise ServiceError(
            _(
                "Art. 30: the 7 working days count from the day the conclusion was received: "
                "record the notification (the day the sampled unit received it) first."
            ),
            field="conclusion_received_on",
        )
    if received_on < notified:
        raise ServiceError(
            _(
                "The applicant cannot have received the conclusion on %(day)s: it was served "
                "on %(notified)s (the notification recorded). Art. 30: the 7 working days "
                "count from the day it was received.",
                day=received_on.isoformat(),
                notified=notified.isoformat(),
            ),
            field="conclusion_received_on",
        )


def _decision_day(retest: Retest, decided_on: date) -> None:
    require(decided_on, _("Enter the date of the decision."), "decided_on")
    if decided_on < retest.applied_on:
        raise ServiceError(
            _("The decision cannot come before the application."), field="decided_on"
        )
    _not_after_today(decided_on, "decided_on")


@writes(Role.SUPERVISOR)
def accept_retest(session: Session, actor: User, retest: Retest, *, decided_on: date) -> Retest:
    """Art. 32: accept, unless an Art. 31 ground applies (then it must be refused)."""
    lifecycle.check(actor, retest, "accept")
    _decision_day(retest, decided_on)
    found = grounds(session, retest, decided_on)
    if found:
        raise ServiceError(" ".join(found.values()), field="decided_on")
    return step(session, actor, retest, "accept", {"decided_on": decided_on}, on=decided_on)


@writes(Role.SUPERVISOR)
def refuse_retest(
    session: Session,
    actor: User,
    retest: Retest,
    *,
    decided_on: date,
    ground: RetestGround,
    note: str | None = None,
) -> Retest:
    """Art. 32: refuse in writing for an Art. 31 ground.  The system checks the ground it can
    check; 'cannot serve the retest' (Art. 31(4)) needs the reason written down."""
    lifecycle.check(actor, retest, "refuse")
    _decision_day(retest, decided_on)
    require(ground, _("Choose the Art. 31 ground."), "ground")
    ground = RetestGround(ground)
    note = (note or "").strip()
    found = grounds(session, retest, decided_on)
    if ground is RetestGround.BACKUP_UNUSABLE:
        require(note, _("Art. 31(4): say why the backup cannot serve the retest."), "note")
    elif ground not in found:
        raise ServiceError(
            _(
                "%(ground)s does not apply to sample %(no)s: the system finds no such ground.",
                ground=ground.title,
                no=retest.sample.sample_no,
            ),
            field="ground",
        )
    values = {
        "decided_on": decided_on,
        "refusal_ground": ground,
        "refusal_note": note or found.get(ground),
    }
    return step(session, actor, retest, "refuse", values)


@writes(Role.SUPERVISOR)
def extend_lab_choice(session: Session, actor: User, retest: Retest, *, reason: str) -> Retest:
    """Art. 32: for an objective reason the lab may be chosen 5 working days later, once."""
    lifecycle.check(actor, retest, "extend_lab_choice")
    if retest.lab_extension_reason:
        raise ServiceError(_("Art. 32 allows one extension of 5 working days."), field="reason")
    reason = (reason or "").strip()
    require(reason, _("Art. 32: give the objective reason for the extension."), "reason")
    return step(
        session,
        actor,
        retest,
        "extend_lab_choice",
        {"lab_extension_reason": reason},
        on=retest.lab_due,
    )


def first_test_methods(session: Session, sample_id: int) -> str:
    """Art. 34: the methods of the first test (current results), each once, in report order."""
    methods = session.scalars(
        select(SampleResult.method_standard)
        .where(
            SampleResult.sample_id == sample_id,
            SampleResult.status != ResultStatus.SUPERSEDED,
            SampleResult.method_standard != "",
        )
        .order_by(SampleResult.seq, SampleResult.id)
    )
    return "；".join(dict.fromkeys(methods))


def draw_lab(candidates: list[Lab], seed: int) -> Lab:
    """The random choice, repeatable from its seed: ``random.Random(seed)`` over the
    candidates in the order of their codes."""
    ordered = sorted(candidates, key=lambda lab: lab.code)
    return random.Random(seed).choice(ordered)


@writes(Role.SUPERVISOR)
def choose_retest_lab(
    session: Session,
    actor: User,
    retest: Retest,
    *,
    chosen_on: date,
    seed: int | None = None,
) -> Retest:
    """Art. 32: draw the retest lab at random from the active list, never the first lab;
    the candidates and the seed are recorded so that anyone can repeat the draw."""
    lifecycle.check(actor, retest, "choose_lab")
    require(chosen_on, _("Enter the date of the choice."), "chosen_on")
    if retest.decided_on and chosen_on < retest.decided_on:
        raise ServiceError(
            _("The lab cannot be chosen before the retest was accepted."), field="chosen_on"
        )
    _not_after_today(chosen_on, "chosen_on")
    first = first_lab_id(session, retest.sample)
    candidates = [
        entry.lab for entry in retest_labs(session, active_only=True) if entry.lab_id != first
    ]
    if not candidates:
        raise ServiceError(
            _(
                "Art. 32: the list of retest labs has no lab other than the first lab; "
                "ask the administrator to add one."
            ),
            field="chosen_on",
        )
    seed = secrets.randbits(48) if seed is None else seed
    lab = draw_lab(candidates, seed)
    values = {
        "lab_id": lab.id,
        "lab_chosen_on": chosen_on,
        "lab_seed": str(seed),
        "lab_candidates": ",".join(sorted(c.code for c in candidates))[:500],
        "methods": first_test_methods(session, retest.sample_id),
    }
    return step(session, actor, retest, "choose_lab", values, on=chosen_on)


def _hand_over_backup(session: Session, actor: User, retest: Retest, received_on: date) -> None:
    """The backup-sample register (#12 §5) records the backup leaving the first lab for the
    retest lab, its seal checked (a broken seal was refused above)."""
    backups.hand_over(
        session,
        actor,
        retest.sample,
        lab_id=retest.lab_id or 0,  # chosen before the hand-over
        handed_over_on=received_on,
        seal_intact=True,
        notes=_("Retest %(id)s", id=retest.id),
    )


@writes(Role.SUPERVISOR)
def record_backup_handover(
    session: Session,
    actor: User,
    retest: Retest,
    *,
    received_on: date,
    seal_intact: bool | None,
    seal_note: str | None = None,
) -> Retest:
    """Art. 33: the retest lab received the backup and checked its package and seal; its
    result is due 10 working days later (Art. 35)."""
    lifecycle.check(actor, retest, "receive_backup")
    require(received_on, _("Enter the date the retest lab received the backup."), "received_on")
    if retest.lab_chosen_on and received_on < retest.lab_chosen_on:
        raise ServiceError(
            _("The backup cannot be handed over before the retest lab was chosen."),
            field="received_on",
        )
    _not_after_today(received_on, "received_on")
    if seal_intact is None:
        raise ServiceError(
            _("Art. 33: record whether the backup's package and seal are intact."),
            field="seal_intact",
        )
    if not seal_intact:
        raise ServiceError(
            _(
                "Art. 33: the backup's package or seal is broken: report it to the regulator "
                "in writing and record the backup as unusable (Art. 31(4))."
            ),
            field="seal_intact",
        )
    _hand_over_backup(session, actor, retest, received_on)
    values = {
        "backup_received_on": received_on,
        "seal_intact": True,
        "seal_note": (seal_note or "").strip() or None,
    }
    return step(session, actor, retest, "receive_backup", values, on=received_on)


@writes(Role.SUPERVISOR)
def record_backup_unusable(
    session: Session, actor: User, retest: Retest, *, on: date, note: str
) -> Retest:
    """Arts. 31(4), 33: the backup arrived broken (or cannot serve the retest): no retest."""
    lifecycle.check(actor, retest, "backup_unusable")
    require(on, _("Enter the date."), "on")
    _not_after_today(on, "on")
    note = (note or "").strip()
    require(note, _("Art. 31(4): say why the backup cannot serve the retest."), "note")
    values = {
        "seal_intact": False,
        "seal_note": note,
        "refusal_ground": RetestGround.BACKUP_UNUSABLE,
        "refusal_note": note,
        "decided_on": on,
    }
    return step(session, actor, retest, "backup_unusable", values)


# The retest result as recorded and printed in the report's 备注 (the form's limit too).
RESULT_MAX = 2000


@writes(Role.SUPERVISOR)
def record_retest_result(
    session: Session,
    actor: User,
    retest: Retest,
    *,
    conclusion: Conclusion | None,
    result: str,
    reported_on: date,
    base_url: str = "",
    signature: esign.Signature | None = None,
) -> Retest:
    """Art. 35: the retest's conclusion is the final one: the sample's conclusion follows it
    (and with it the pass rates, through the summary's triggers, and the announcement).

    Once a report is issued the conclusion changes only through a report correction (issue
    18 §2): a changed conclusion issues the superseding report in the same transaction,
    naming the retest, signed by the supervisor (``signature``, password re-entered); a
    qualified retest ends the disposal (核查处置) under way.  Everything is checked before
    anything changes."""
    lifecycle.check(actor, retest, "record_result")
    if conclusion not in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED):
        raise ServiceError(_("A retest concludes qualified or unqualified."), field="conclusion")
    result = (result or "").strip()
    require(result, _("Describe the retest result."), "result")
    if len(result) > RESULT_MAX:
        raise ServiceError(
            _(
                "The retest result may be at most %(max)d characters; attach the retest "
                "report itself for the rest.",
                max=RESULT_MAX,
            ),
            field="result",
        )
    require(reported_on, _("Enter the date of the retest report."), "reported_on")
    if retest.backup_received_on and reported_on < retest.backup_received_on:
        raise ServiceError(
            _("The retest cannot report before the backup was received."), field="reported_on"
        )
    _not_after_today(reported_on, "reported_on")
    sample = retest.sample
    changes = sample.conclusion != conclusion
    in_force = reports.current_report(session, sample) if changes else None
    if changes:
        lifecycle.check(actor, sample, "retest_conclusion")
    if in_force is not None:
        reports.check_may_reissue(session, actor, in_force, signature)
    step(
        session,
        actor,
        retest,
        "record_result",
        {"conclusion": conclusion, "result_text": result, "reported_on": reported_on},
    )
    if changes:
        lab = retest.lab.name if retest.lab else "—"
        old = sample.conclusion
        sample.conclusion = conclusion
        lifecycle.transition(
            session,
            actor,
            sample,
            "retest_conclusion",
            old={"conclusion": old},
            new={"conclusion": conclusion},
            reason=_("Retest by %(lab)s", lab=lab),
        )
        backups.conclusion_changed(session, actor, sample)  # the backup's retention follows
        reason = _(
            "Retest (Art. 35) by %(lab)s, reported on %(day)s: %(conclusion)s",
            lab=lab,
            day=reported_on.isoformat(),
            conclusion=conclusion.title,
        )
        if in_force is not None:
            # The superseding report states the retest (reports.final_retest: the lab, the
            # day, the result, whether the initial conclusion was upheld).
            reports.correct_report(
                session,
                actor,
                in_force,
                reason=reason[:2000],
                base_url=base_url,
                signature=signature,
            )
        if conclusion == Conclusion.QUALIFIED:
            disposals.close_if_under_way(session, actor, sample, reason=reason, on=reported_on)
    return retest
