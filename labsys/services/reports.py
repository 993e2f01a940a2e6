"""Inspection reports: preview, issue, correction, bulk issue, and the stored PDFs.

A report is issued once for a concluded sample by a supervisor who did not write it; its PDF
bytes and their SHA-256 are stored at that moment and every download returns exactly those
bytes.  A correction issues a new report (new number, "本报告替代 …") and marks the old one
superseded; both stay on file.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from labsys.core import clock, inspection
from labsys.core import lifecycle as tables
from labsys.core.judgement import conclusion_sentence, inconclusive_sentence, retest_sentence
from labsys.models import (
    BenchRecord,
    Conclusion,
    DecisionRule,
    InspectionType,
    Report,
    ReportStatus,
    ResultStatus,
    Retest,
    RetestStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    User,
    VerdictValue,
)
from labsys.models.report import parties_of
from labsys.pdf.report import ReportData, ReportDocument, ReportRow, notes_for
from labsys.services import audit, esign, lifecycle, numbering, periods
from labsys.services import calendar as workcal
from labsys.services import signatories as signatory_service
from labsys.services.access import writes
from labsys.services.errors import ConflictError, NotFound, PermissionDenied, ServiceError
from labsys.services.results import derive_conclusion, printed_units, value_authors

log = logging.getLogger(__name__)
ONLY_SUPERVISORS = _l("Only a supervisor may approve and issue a report.")

VERDICT_LABELS: dict[VerdictValue | None, str] = {  # a missing key (no verdict yet) prints "—"
    VerdictValue.PASS: "合格",
    VerdictValue.FAIL: "不合格",
    VerdictValue.INCONCLUSIVE: "不确定",
}
NOT_JUDGED_SENTENCE = "经抽样检验，所检项目均为不判定项，不作合格与否的判定。"
# A first-test verdict the retest did not uphold (Art. 35): printed as the initial result,
# never as a bare 不合格 under a 合格 conclusion.
INITIAL = "初检"
DRAFT_NO = "（草稿）"


# --- reading -------------------------------------------------------------------------------


def get_by_no(session: Session, report_no: str) -> Report:
    report = session.scalar(select(Report).where(Report.report_no == report_no.strip()))
    if report is None:
        raise NotFound(_("There is no report %(no)s.", no=report_no))
    return report


def get_by_token(session: Session, token: str) -> Report | None:
    """The report a verification link points at, or None (the caller answers 404)."""
    if not token or len(token) > 64:
        return None
    return session.scalar(select(Report).where(Report.verify_token == token))


def samples_by_no(session: Session, sample_nos: Iterable[str]) -> list[Sample]:
    """The samples with these numbers, in the order given; an unknown number is an error."""
    numbers = [n.strip() for n in sample_nos if n.strip()]
    found = {
        s.sample_no: s for s in session.scalars(select(Sample).where(Sample.sample_no.in_(numbers)))
    }
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(_("No sample with the number %(no)s.", no=", ".join(missing)))
    return [found[n] for n in numbers]


def awaiting_report_query():
    """Concluded samples without a report yet: the supervisor's queue."""
    return (
        select(Sample)
        .where(Sample.status == SampleStatus.CONCLUDED)
        .options(
            selectinload(Sample.visit).selectinload(SamplingVisit.sampled_unit),
            selectinload(Sample.producer),
        )
    )


def verify_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{token}"


def _current_results(session: Session, sample: Sample) -> list[SampleResult]:
    return list(
        session.scalars(
            select(SampleResult)
            .where(
                SampleResult.sample_id == sample.id, SampleResult.status != ResultStatus.SUPERSEDED
            )
            .options(selectinload(SampleResult.entered_by), selectinload(SampleResult.reviewed_by))
            .order_by(SampleResult.seq, SampleResult.id)
        )
    )


def _check_ready(
    sample: Sample, results: list[SampleResult], *, expected: SampleStatus | None
) -> None:
    """The sample is in the ``expected`` state (``None``: a stale report's reopened sample,
    concluded from ``results`` when its report is corrected) and every result accepted."""
    if expected is not None and (sample.status != expected or sample.conclusion is None):
        raise ServiceError(
            _(
                "Sample %(no)s is not concluded (status: %(status)s); only a "
                "concluded sample can get a report.",
                no=sample.sample_no,
                status=sample.status.title,
            )
        )
    if not results:
        raise ServiceError(_("Sample %(no)s has no test results.", no=sample.sample_no))
    open_items = [r.item_name for r in results if r.status != ResultStatus.ACCEPTED]
    if open_items:
        raise ServiceError(
            _(
                "Sample %(no)s has results not yet accepted: %(items)s.",
                no=sample.sample_no,
                items="、".join(open_items),
            )
        )


def _most_frequent(users: Iterable[User | None], *, besides: User | None = None) -> User | None:
    counts = Counter(u for u in users if u is not None and (besides is None or u.id != besides.id))
    return counts.most_common(1)[0][0] if counts else None


def signatories(results: list[SampleResult]) -> tuple[User, User | None]:
    """(author, reviewer): who entered most of the results (编制) and who, other than the
    author, reviewed most (审核), preferring those who entered none of them (a corrected
    value's author is not named 审核 when someone else reviewed it): the three signatures
    are three different people."""
    author = _most_frequent(r.entered_by for r in results)
    if author is None:
        raise ServiceError(_("No technician is recorded as having entered these results."))
    entered = {r.entered_by_id for r in results}
    reviewers = [r.reviewed_by for r in results]
    reviewer = _most_frequent(
        (u for u in reviewers if u is not None and u.id not in entered), besides=author
    )
    return author, reviewer or _most_frequent(reviewers, besides=author)


def participants(session: Session, results: list[SampleResult]) -> tuple[set[int], set[int]]:
    """(entered, reviewed): everyone who entered a current value of these results (the
    audit trail's authors too, see ``results.value_authors``) and everyone who reviewed one.
    None of them may approve the report."""
    entered: set[int] = set().union(*value_authors(session, results).values())
    reviewed = {r.reviewed_by_id for r in results if r.reviewed_by_id is not None}
    return entered, reviewed


def _check_approver(
    session: Session, actor: User, sample: Sample, results: list[SampleResult]
) -> tuple[User, User]:
    """(author, reviewer) if ``actor`` may approve this report: 编制, 审核 and 批准 are three
    people, and the approver entered and reviewed none of the current results."""
    author, reviewer = signatories(results)
    if reviewer is None:
        raise ServiceError(
            _(
                "Sample %(no)s: no reviewer other than the author is recorded for its "
                "results; a report is signed by three people (编制, 审核, 批准).",
                no=sample.sample_no,
            )
        )
    entered, reviewed = participants(session, results)
    signatory_service.check_approver(
        session,
        actor,
        sample,
        author=author,
        reviewer=reviewer,
        entered=entered,
        reviewed=reviewed,
    )
    return author, reviewer


def eligible_approvers(session: Session, sample: Sample, candidates: Iterable[User]) -> list[User]:
    """The candidates who may approve this sample's report (loaders of past work pick one)."""
    results = _current_results(session, sample)
    eligible = []
    for user in candidates:
        try:
            _check_approver(session, user, sample, results)
        except PermissionDenied:
            continue
        eligible.append(user)
    return eligible


def setup_warnings(config) -> list[str]:
    """What a supervisor must be told before issuing: settings a report needs but lacks."""
    warnings = []
    if not config.get("LAB_CMA_NO"):
        warnings.append(
            _(
                "LAB_CMA_NO is not set: reports are issued without the CMA mark and "
                "certificate number that ISO/IEC 17025 and RB/T 214 reports carry. Ask the "
                "administrator to set LAB_CMA_NO and LAB_CMA_IMAGE."
            )
        )
    elif not _readable(config.get("LAB_CMA_IMAGE")):
        warnings.append(
            _(
                "LAB_CMA_IMAGE is not set or cannot be read: reports print the CMA "
                "certificate number without the mark."
            )
        )
    if not config.get("LAB_ADDRESS") or not config.get("LAB_PHONE"):
        warnings.append(
            _("LAB_ADDRESS or LAB_PHONE is not set: reports must give the lab's address.")
        )
    return warnings


_logged_warnings: set[str] = set()


def _log_setup_warnings() -> None:
    """Each missing setting logged once per process (a bulk issue would repeat it)."""
    for warning in setup_warnings(current_app.config):
        if warning not in _logged_warnings:
            _logged_warnings.add(warning)
            log.warning("reports: %s", warning)


def _readable(path: str | None) -> bool:
    if not path:
        return False
    try:
        with open(path, "rb") as image:
            return bool(image.read(8))
    except OSError:
        return False


# --- a conclusion that comes from a retest ----------------------------------------------------


@dataclass(frozen=True)
class RetestOutcome:
    """The retest (复检) whose conclusion is the sample's final one (SAMR Order No. 15 (2019)
    Art. 35 *(verify)*), as the report prints it."""

    lab: str
    reported_on: date
    result: str
    conclusion: Conclusion

    @property
    def upheld(self) -> bool:
        """The initial unqualified conclusion confirmed (a retest is only of one)."""
        return self.conclusion == Conclusion.UNQUALIFIED

    def remark(self) -> str:
        """备注: what the retest lab reported."""
        verdict = "合格" if self.conclusion == Conclusion.QUALIFIED else "不合格"
        text = f"复检：{self.lab}于{self.reported_on.isoformat()}报告{self.result}，复检结论为{verdict}"
        if not self.upheld:
            text += f"；单项判定冠以“{INITIAL}”的（如“{INITIAL}不合格”）为初检结果，经复检未予维持"
        return text


def final_retest(session: Session, sample: Sample) -> RetestOutcome | None:
    """The sample's retest whose result gave its conclusion, if any.  A retest under way or
    refused concludes nothing; nor does one the sample's conclusion no longer follows (the
    conclusion withdrawn and derived again since)."""
    retest = session.scalar(
        select(Retest)
        .where(Retest.sample_id == sample.id, Retest.status == RetestStatus.RETESTED)
        .order_by(Retest.id.desc())
        .limit(1)
    )
    if retest is None or retest.conclusion is None or retest.reported_on is None:
        return None  # (a retested row has both: they are recorded together)
    if retest.conclusion != sample.conclusion:
        return None
    return RetestOutcome(
        lab=retest.lab.name if retest.lab else "/",
        reported_on=retest.reported_on,
        result=(retest.result_text or "").strip(),
        conclusion=retest.conclusion,
    )


# --- what the PDF says -----------------------------------------------------------------------


def _local_date(moment: datetime | None) -> str:
    return clock.local_date(moment).isoformat() if moment else ""


def bench_records(results: list[SampleResult]) -> dict[int, BenchRecord]:
    """The bench record of each result that has one (its test dates, the method used)."""
    session = object_session(results[0]) if results else None
    if session is None:
        return {}
    return {
        r.result_id: r
        for r in session.scalars(
            select(BenchRecord).where(BenchRecord.result_id.in_([x.id for x in results]))
        )
    }


def test_dates(results: list[SampleResult], bench: dict[int, BenchRecord] | None = None) -> str:
    """检验日期 "first 至 last" (ISO/IEC 17025 §7.8.2.1 i)): from the first test start to the
    last test end of the results' bench records; a result without one counts the day it was
    entered (``entered_at``)."""
    bench = bench or {}
    starts, ends = [], []
    for result in results:
        record = bench.get(result.id)
        if record is not None:
            starts.append(record.started_on)
            ends.append(record.ended_on)
        elif result.entered_at:
            day = clock.local_date(result.entered_at)
            starts.append(day)
            ends.append(day)
    if not starts:
        return "/"
    first, last = min(starts).isoformat(), max(ends).isoformat()
    return first if first == last else f"{first} 至 {last}"


def judgement_bases(results: list[SampleResult]) -> str:
    """判定依据: every standard an item was judged by, in item order, once each."""
    bases = dict.fromkeys(r.judgement_basis.strip() for r in results if r.judgement_basis)
    return "、".join(b for b in bases if b) or "/"


def sample_condition(sample: Sample) -> str:
    """样品状态 on receipt: the condition recorded and the temperature, if measured."""
    parts = [sample.condition or ""]
    if sample.temperature:
        parts.append(f"{sample.temperature}℃")
    return "，".join(p for p in parts if p) or "/"


def task_source(plan) -> str:
    """任务来源: the plan (named by its organising authority), never an internal team."""
    return plan.name if plan else "/"


def _plan_text(result: SampleResult) -> str:
    parts = [f"n={result.micro_n},c={result.micro_c},", f"m={result.micro_m}"]
    if result.micro_big_m:
        parts[-1] += ","
        parts.append(f"M={result.micro_big_m}")
    return "\n".join(parts)


def _result_text(result: SampleResult) -> str:
    """The 检验结果 cell: the reported value (rounded and, where rounding alone would turn the
    verdict, marked "0.20(+)"), or the n units as printed ("9.4×10⁴；<10；…")."""
    if result.is_microbiological and result.unit_values:
        try:
            units = printed_units(result)
        except ValueError:
            units = None
        if units:
            return "；".join(units)
    return result.reported_text or result.measured_text or ""


def report_rows(
    results: list[SampleResult],
    inspection_type: InspectionType | None = None,
    bench: dict[int, BenchRecord] | None = None,
    retest: RetestOutcome | None = None,
) -> list[ReportRow]:
    """The item table; a risk-monitoring report marks problem items (问题项目), never
    合格/不合格.  检验方法 is the method the bench record says was used, else the item's.
    After a retest that did not uphold the initial conclusion, a row the first test did not
    pass is marked as the initial result (初检不合格)."""
    worded = InspectionType.of(inspection_type).concludes_qualified
    bench = bench or {}
    overruled = retest is not None and not retest.upheld

    def verdict(result: SampleResult) -> str:
        label = VERDICT_LABELS.get(result.verdict, "—")
        if overruled and result.verdict in (VerdictValue.FAIL, VerdictValue.INCONCLUSIVE):
            return f"{INITIAL}\n{label}"  # two lines in the narrow 单项判定 column
        return label

    def method(result: SampleResult) -> str:
        record = bench.get(result.id)
        return (record.method_standard if record else "") or result.method_standard

    return [
        ReportRow(
            seq=index,
            item_name=r.item_name,
            unit=r.unit,
            limit=_plan_text(r) if r.is_microbiological else (r.limit_text or "/"),
            result=_result_text(r),
            verdict=verdict(r)
            if worded
            else inspection.item_label(InspectionType.RISK_MONITORING, r.verdict),
            method=method(r),
        )
        for index, r in enumerate(results, start=1)
    ]


def conclusion_text(
    conclusion: Conclusion | None,
    results: list[SampleResult],
    inspection_type: InspectionType | None = None,
    retest: RetestOutcome | None = None,
) -> str:
    """The standard wording, naming the failed items and their judgement bases; for risk
    monitoring the problem items against their reference values (never 检验结论为不合格).
    A conclusion from a retest says so (``retest_sentence``): after the first test's wording
    when the retest upheld it, in its place when it did not."""

    def with_verdict(*verdicts):
        return [r for r in results if r.verdict in verdicts]

    if retest is not None:
        failed = with_verdict(VerdictValue.FAIL)
        said = retest_sentence(
            retest.lab,
            retest.reported_on.isoformat(),
            upheld=retest.upheld,
            failures=[(r.item_name, r.judgement_basis) for r in failed],
        )
        if not retest.upheld:
            return said
        return conclusion_text(conclusion, results, inspection_type) + said

    worded = InspectionType.of(inspection_type).concludes_qualified
    if not worded and conclusion in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED):
        problems = with_verdict(VerdictValue.FAIL)
        return inspection.problem_sentence(
            [(r.item_name, r.judgement_basis) for r in problems],
            [r.judgement_basis for r in with_verdict(VerdictValue.PASS)],
        )

    if conclusion == Conclusion.UNQUALIFIED:
        failed = with_verdict(VerdictValue.FAIL)
        return conclusion_sentence(failures=[(r.item_name, r.judgement_basis) for r in failed])
    if conclusion == Conclusion.INCONCLUSIVE:
        unsure = with_verdict(VerdictValue.INCONCLUSIVE)
        return inconclusive_sentence(
            [r.item_name for r in unsure], [r.judgement_basis for r in unsure]
        )
    if conclusion == Conclusion.QUALIFIED:
        judged = with_verdict(VerdictValue.PASS)
        return conclusion_sentence([], [r.judgement_basis for r in judged])
    return NOT_JUDGED_SENTENCE


def _items_summary(results: list[SampleResult]) -> str:
    names = "、".join(r.item_name for r in results)
    return f"{names}（共{len(results)}项，见检验结果页）"


def _decision_rule_note(results: list[SampleResult]) -> str:
    guarded = [r.item_name for r in results if r.decision_rule == DecisionRule.GUARDED]
    if not guarded:
        return ""
    return f"{'、'.join(guarded)}项目按保护带判定规则（w=U）判定"


def report_data(
    sample: Sample,
    results: list[SampleResult],
    *,
    report_no: str,
    issued_at: datetime | None,
    author: User,
    reviewer: User | None,
    approver: User | None,
    verify_link: str | None,
    replaces: Report | None = None,
    note: str = "",
    retest: RetestOutcome | None = None,
) -> ReportData:
    """What the PDF prints.  ``replaces``: the report a correction supersedes, or the
    withdrawn report a new one follows (printed as withdrawn, with its day).  ``retest``:
    the retest the conclusion comes from (stated in the conclusion and the remarks)."""
    visit, producer = sample.visit, sample.producer
    unit = visit.sampled_unit
    plan = sample.plan or (sample.task.plan if sample.task else None)
    production = sample.production_date.isoformat() if sample.production_date else ""
    retested = retest.remark() if retest else ""
    remarks = "；".join(
        x for x in (sample.remarks or "", _decision_rule_note(results), retested, note) if x
    )
    config = current_app.config
    kind = InspectionType.of(sample.inspection_type)
    bench = bench_records(results)
    withdrawn_at = replaces.withdrawn_at if replaces and replaces.status.is_withdrawn else None
    withdrawn = replaces is not None and replaces.status.is_withdrawn  # follows a withdrawal
    return ReportData(
        report_no=report_no,
        lab_name=sample.lab.name if sample.lab else config["LAB_NAME"],
        inspection_type=kind.chinese,
        food_name=sample.food_name,
        brand=sample.brand or "/",
        specification=sample.specification or "/",
        production_date_or_batch=" / ".join(x for x in (production, sample.batch_no) if x) or "/",
        sampled_unit_name=unit.name,
        sampled_unit_phone=unit.phone or "/",
        producer_name=producer.name if producer else "/",
        producer_phone=(producer.phone or "/") if producer else "/",
        task_source=visit.task_source or task_source(plan),
        samplers="、".join(u.display_name for u in visit.samplers) or "/",
        sampling_date=sample.sampling_date.isoformat(),
        arrival_date=_local_date(sample.received_at) or "/",
        quantity=f"{sample.quantity} {sample.quantity_unit}".strip(),
        sampling_base=sample.sampling_base or "/",
        sample_no=sample.sample_no,
        seal_state=sample.seal_state or "/",
        place=visit.place or unit.address or "/",
        items_summary=_items_summary(results),
        conclusion_text=conclusion_text(sample.conclusion, results, kind, retest),
        issue_date=_local_date(issued_at) or "/",
        remarks=remarks,
        author=author.display_name,
        reviewer=reviewer.display_name if reviewer else "/",
        approver=approver.display_name if approver else "/",
        rows=report_rows(results, kind, bench, retest),
        verify_url=verify_link,
        replaces_no=replaces.report_no if replaces else None,
        replaces_withdrawn=withdrawn,
        replaces_withdrawn_on=_local_date(withdrawn_at),
        lab_address=config.get("LAB_ADDRESS", ""),
        lab_phone=config.get("LAB_PHONE", ""),
        cma_no=config.get("LAB_CMA_NO", ""),
        cma_image=config.get("LAB_CMA_IMAGE") or None,
        sample_condition=sample_condition(sample),
        test_dates=test_dates(results, bench),
        judgement_basis=judgement_bases(results),
        sampling_basis=visit.sampling_basis or config.get("SAMPLING_BASIS") or "/",
        notes=notes_for(kind.value),
    )


def _font_path() -> str | None:
    return current_app.config.get("PDF_FONT_PATH") or None


def draft_pdf(session: Session, actor: User, sample: Sample) -> bytes:
    """The preview: the report as it would be issued now, marked 草稿; nothing is saved."""
    current = _current_report(session, sample)
    results = _current_results(session, sample)
    _check_ready(
        sample, results, expected=_expected_state(sample, current) or SampleStatus.CONCLUDED
    )
    author, reviewer = signatories(results)
    data = report_data(
        sample,
        results,
        report_no=DRAFT_NO,
        issued_at=None,
        author=author,
        reviewer=reviewer,
        approver=actor,
        verify_link=None,
        replaces=current or withdrawn_predecessor(session, sample),
        retest=final_retest(session, sample),
    )
    return ReportDocument(data, draft=True, font_path=_font_path()).build()


# --- issuing ---------------------------------------------------------------------------------


def format_report_no(pattern: str, *, lab: str, year: int, serial: int) -> str:
    try:
        return pattern.format(lab=lab, year=year, yy=f"{year % 100:02d}", serial=serial)
    except (KeyError, IndexError, ValueError) as error:
        raise ServiceError(
            _(
                "The setting REPORT_NO_PATTERN %(pattern)s is not valid: %(error)s",
                pattern=pattern,
                error=error,
            )
        ) from None


def next_report_no(session: Session, sample: Sample, issued_at: datetime) -> str:
    pattern = current_app.config["REPORT_NO_PATTERN"]
    if "{serial" not in pattern:
        raise ServiceError(_("The setting REPORT_NO_PATTERN must contain {serial}."))
    year = issued_at.astimezone(clock.LOCAL_TZ).year
    yearly = "{year" in pattern or "{yy" in pattern
    serial = numbering.next_value(session, f"report:{year}" if yearly else "report")
    lab = sample.lab.code if sample.lab else current_app.config["LAB_CODE"]
    return format_report_no(pattern, lab=lab, year=year, serial=serial)


def current_report(session: Session, sample: Sample) -> Report | None:
    """The report in force (issued, neither superseded nor withdrawn), if any."""
    return session.scalar(
        select(Report).where(Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED)
    )


_current_report = current_report

# A sample reopened before issue 18 §2 kept its report in force: the older rule let the lab
# retest a reported sample, withdrawing its conclusion (reported → reopened) until the
# report was corrected.  Once its retest rows are accepted it is concluded again (reopened →
# concluded) with that report still in force.  Such a report is *stale*; the current rule
# locks the record (``results._refuse_reported``) and the way out is the correction it was
# waiting for: the superseding report, issued from the sample as it now stands.
STALE_STATES = (SampleStatus.REOPENED, SampleStatus.CONCLUDED)


def withdrawn_predecessor(session: Session, sample: Sample) -> Report | None:
    """The withdrawn report a new report of ``sample`` follows: its latest report, when an
    upheld objection withdrew it (Art. 39).  The new report names it as the report it
    replaces; it stays withdrawn."""
    latest = session.scalar(
        select(Report).where(Report.sample_id == sample.id).order_by(Report.id.desc()).limit(1)
    )
    return latest if latest is not None and latest.status.is_withdrawn else None


def successor_of(session: Session, report: Report) -> Report | None:
    """The report issued in place of ``report`` (its correction, or for a withdrawn report
    the new report that names it)."""
    return report.superseded_by or session.scalar(
        select(Report).where(Report.replaces_id == report.id).order_by(Report.id).limit(1)
    )


def is_stale(report: Report) -> bool:
    """Whether ``report`` is in force for a sample reopened under the older rule."""
    return report.status.is_issued and report.sample.status in STALE_STATES


def _expected_state(sample: Sample, replaces: Report | None) -> SampleStatus | None:
    """The sample's state a report may be issued from: concluded for a first report (or one
    superseding a stale report once the sample is concluded again), reported for a
    correction; None for a stale report's reopened sample (concluded when it is superseded)."""
    if replaces is None:
        return SampleStatus.CONCLUDED
    if is_stale(replaces):
        return SampleStatus.CONCLUDED if sample.status == SampleStatus.CONCLUDED else None
    return SampleStatus.REPORTED


@writes(Role.SUPERVISOR, message=ONLY_SUPERVISORS)
def issue_report(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    base_url: str,
    signature: esign.Signature | None,
    issued_at: datetime | None = None,
) -> Report:
    """Approve and issue the report of a concluded sample; the sample becomes REPORTED.

    Approving is an electronic signature: ``signature`` is the approver's, from
    ``esign.sign`` (one for a batch).  ``issued_at`` defaults to now; loaders of past work
    (the demo's year) pass the time the report was issued.
    """
    current = _current_report(session, sample)
    if current is not None and is_stale(current):
        raise ServiceError(
            _(
                "Sample %(no)s was reopened under the older rule while its report %(report)s "
                "stayed in force: issue the superseding report from that report's page.",
                no=sample.sample_no,
                report=current.report_no,
            )
        )
    if current is not None:
        raise ServiceError(
            _(
                "Sample %(no)s already has an issued report; correct that report instead.",
                no=sample.sample_no,
            )
        )
    return _issue(
        session,
        actor,
        sample,
        base_url=base_url,
        signature=signature,
        issued_at=issued_at,
        follows=withdrawn_predecessor(session, sample),
    )


@writes(Role.SUPERVISOR, message=ONLY_SUPERVISORS)
def correct_report(
    session: Session,
    actor: User,
    report: Report,
    *,
    reason: str,
    base_url: str,
    signature: esign.Signature | None,
    note: str = "",
) -> Report:
    """Issue a corrected report that replaces ``report``; the old one becomes SUPERSEDED.
    Signed by its approver as an issue is (``signature``).  ``note`` is printed in the
    remarks.

    A stale report (``is_stale``: its sample reopened under the older rule) is superseded
    from the sample as it now stands: a reopened sample is first concluded from its current
    results, all accepted (reopened → concluded), and becomes reported with the new report;
    everything is checked before anything changes."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the correction."), field="reason")
    _check_correctable(report)
    if is_stale(report):
        _conclude_stale(session, actor, report, signature)
    return _issue(
        session,
        actor,
        report.sample,
        base_url=base_url,
        signature=signature,
        replaces=report,
        reason=reason,
        note=note,
    )


def _conclude_stale(
    session: Session, actor: User, report: Report, signature: esign.Signature | None
) -> None:
    """Before a stale report is superseded: the signature, every current result accepted and
    the approver checked; then a reopened sample concluded from those results (audited as
    the supervisor's ``conclude``)."""
    sample = report.sample
    esign.check(signature, actor, esign.Meaning.APPROVAL)
    results = _current_results(session, sample)
    _check_ready(sample, results, expected=_expected_state(sample, report))
    _check_approver(session, actor, sample, results)
    lifecycle.check(actor, report, "supersede")
    if sample.status == SampleStatus.REOPENED:
        lifecycle.check(actor, sample, "conclude")
        derive_conclusion(session, sample, actor=actor)


@writes(Role.SUPERVISOR, message=ONLY_SUPERVISORS)
def withdraw_report(
    session: Session,
    actor: User,
    report: Report,
    *,
    reason: str,
    signature: esign.Signature | None,
) -> Report:
    """Withdraw an issued report whose conclusion no longer stands (an objection upheld by
    withdrawing it, SAMR Order No. 15 (2019) Art. 39): no report is in force until the
    sample is concluded again and a new one issued; the verification page says so.  Signed
    by the supervisor as an issue is (``signature``)."""
    esign.check(signature, actor, esign.Meaning.APPROVAL)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for the withdrawal."), field="reason")
    lifecycle.check(actor, report, "withdraw")
    report.withdrawn_at = clock.now()
    report.withdrawal_reason = reason[:2000]
    lifecycle.transition(
        session,
        actor,
        report,
        "withdraw",
        reason=report.withdrawal_reason,
        new={"signed": esign.Meaning.APPROVAL},
    )
    return report


def check_may_reissue(
    session: Session, actor: User, report: Report, signature: esign.Signature | None
) -> None:
    """Whether ``actor`` may sign the report that supersedes ``report`` (its signature, its
    three signatories): callers that change the record first check this before anything."""
    esign.check(signature, actor, esign.Meaning.APPROVAL)
    _check_correctable(report)
    _check_approver(session, actor, report.sample, _current_results(session, report.sample))


def _check_correctable(report: Report) -> None:
    if tables.REPORT.find(report.status, "supersede") is None:
        raise ServiceError(
            _(
                "Report %(no)s is %(status)s and cannot be corrected again; "
                "correct the report that replaced it.",
                no=report.report_no,
                status=report.status.title,
            )
        )


def _issue(
    session: Session,
    actor: User,
    sample: Sample,
    *,
    base_url: str,
    signature: esign.Signature | None,
    replaces: Report | None = None,
    reason: str | None = None,
    issued_at: datetime | None = None,
    note: str = "",
    follows: Report | None = None,
) -> Report:
    """Issue the report of ``sample``: a first report, or one that supersedes ``replaces``.
    ``follows``: the withdrawn report a first report replaces (named on the record and the
    PDF; it stays withdrawn)."""
    esign.check(signature, actor, esign.Meaning.APPROVAL)
    if not base_url:
        raise ServiceError(
            _("Set BASE_URL: the QR code needs the absolute address of the verification page.")
        )
    results = _current_results(session, sample)
    expected = _expected_state(sample, replaces)
    _check_ready(sample, results, expected=expected or SampleStatus.CONCLUDED)
    # The sample becomes reported: a first report, or one superseding a stale report.
    reporting = expected == SampleStatus.CONCLUDED
    author, reviewer = _check_approver(session, actor, sample, results)
    _log_setup_warnings()
    # The tables decide before the PDF is built: the new report (the approver is not its
    # author), the sample (concluded → reported), the report it replaces (superseded).
    authors = {"author_id": author.id, "reviewer_id": reviewer.id if reviewer else None}
    create, first_state = lifecycle.start(
        actor, Report, "reissue" if replaces else "issue", done_by=authors
    )
    if reporting:
        lifecycle.check(actor, sample, "report")
    if replaces is not None:
        lifecycle.check(actor, replaces, "supersede")
    issued_at = issued_at or clock.now()
    report_no = next_report_no(session, sample, issued_at)
    token = secrets.token_urlsafe(32)
    data = report_data(
        sample,
        results,
        report_no=report_no,
        issued_at=issued_at,
        author=author,
        reviewer=reviewer,
        approver=actor,
        verify_link=verify_url(base_url, token),
        replaces=replaces or follows,
        note=note,
        retest=final_retest(session, sample),
    )
    pdf = ReportDocument(data, font_path=_font_path()).build()
    report = Report(
        report_no=report_no,
        sample=sample,
        status=first_state,
        food_name=sample.food_name,
        **parties_of(sample),  # the names and addresses as printed (issue 18 §2)
        conclusion=sample.conclusion,
        author=author,
        reviewer=reviewer,
        approver=actor,
        issued_at=issued_at,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        verify_token=token,
        replaces=replaces or follows,
        correction_reason=reason,
    )
    session.add(report)
    sample_no = sample.sample_no

    def flush() -> None:
        try:
            session.flush()
        except StaleDataError:
            raise ConflictError(
                _(
                    "Sample %(no)s was changed meanwhile (perhaps someone else "
                    "issued its report); reload and try again.",
                    no=sample_no,
                )
            ) from None

    flush()
    audit.record(
        session,
        actor,
        "report",
        report.id,
        create.action,
        new={
            "report_no": report_no,
            "sample_no": sample_no,
            "sha256": report.sha256,
            "replaces": replaces.report_no if replaces else None,
            "replaces_withdrawn": follows.report_no if follows else None,
            "signed": esign.Meaning.APPROVAL,
        },
        reason=reason,
    )
    if replaces is not None:
        replaces.superseded_by = report
        lifecycle.transition(
            session, actor, replaces, "supersede", reason=reason, new={"superseded_by": report_no}
        )
    if reporting:
        _start_service_clock(session, sample, clock.local_date(issued_at))
        lifecycle.transition(
            session,
            actor,
            sample,
            "report",
            new={"report_no": report_no, "due_service": sample.due_service},
            flush=flush,
        )
    return report


def _start_service_clock(session: Session, sample: Sample, issued_on) -> None:
    """An unqualified supervision sample's first report goes to the regulator, which serves
    it with the notice of results on the sampled unit within 5 working days (Order No. 15
    Art. 29 *(verify)*; counted from the issue, the day the lab sends it)."""
    if sample.conclusion != Conclusion.UNQUALIFIED or sample.due_service is not None:
        return
    if not InspectionType.of(sample.inspection_type).rules.followup:
        return
    sample.due_service = workcal.add_workdays(session, issued_on, periods.value("SERVICE_WORKDAYS"))


# --- many at once ----------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    issued: list[Report] = field(default_factory=list)
    failed: list[tuple[Sample, str]] = field(default_factory=list)


@writes(Role.SUPERVISOR, message=ONLY_SUPERVISORS)
def issue_many(
    session: Session,
    actor: User,
    samples: Iterable[Sample],
    *,
    base_url: str,
    signature: esign.Signature | None,
    progress: Callable[[Sample, Report | None, str | None], None] | None = None,
) -> BulkOutcome:
    """Issue one report per sample, all signed by the one ``signature``; a sample that
    cannot be issued is skipped with its reason (its savepoint rolled back) and the others
    go on."""
    esign.check(signature, actor, esign.Meaning.APPROVAL)
    outcome = BulkOutcome()
    for sample in samples:
        report, message = None, None
        try:
            report = issue_report(session, actor, sample, base_url=base_url, signature=signature)
        except ServiceError as error:
            message = error.message
            outcome.failed.append((sample, message))
        else:
            outcome.issued.append(report)
        if progress is not None:
            progress(sample, report, message)
    return outcome


def write_zip(reports: Iterable[Report], target: BinaryIO) -> int:
    """Write the stored PDFs, ``<report_no>.pdf`` each, into a ZIP; return how many."""
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for report in reports:
            moment = report.issued_at.astimezone(clock.LOCAL_TZ)
            info = zipfile.ZipInfo(f"{report.report_no}.pdf", date_time=moment.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, report.pdf)
            count += 1
    return count
