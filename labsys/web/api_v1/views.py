"""The resources of /api/v1.  Every change goes through the service the page calls, with
the token's user as the actor (their roles, the four-eyes rules, the lifecycle table);
views translate HTTP to service calls and back, nothing more."""

from __future__ import annotations

from flask import Response, abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.database import read_engine, read_session, write_intent
from labsys.extensions import db
from labsys.models import Correction, Report, Role, Sample, SampleStatus, SamplingVisit
from labsys.services import (
    ServiceError,
    catalog,
    corrections,
    enterprises,
    esign,
    exports,
    followup,
    grading,
    receipt,
    reports,
    results,
    results_import,
    sampling,
    stats,
)
from labsys.services.access import savepoint
from labsys.web.access import token_required
from labsys.web.api import BadParameter, stats_options
from labsys.web.api_v1 import queries
from labsys.web.api_v1 import schemas as s
from labsys.web.api_v1.core import (
    IDEMPOTENCY_KEY_PARAMETER,
    blueprint,
    check_version,
    etag,
    idempotent,
    if_match_version,
    json_response,
    with_etag,
)
from labsys.web.api_v1.links import ETAG_HEADER, etag_of, link, operation
from labsys.web.api_v1.problems import problem
from labsys.web.pagination import keyset_page

SAMPLE_READERS = (Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)
RESULT_READERS = (Role.TECHNICIAN, Role.REVIEWER, Role.SUPERVISOR)
REPORT_READERS = (Role.SUPERVISOR, Role.REVIEWER, Role.TECHNICIAN)
SUPERVISION = (Role.SUPERVISOR,)  # not the administrator (issue 18 §1)
ENTERPRISE_WRITERS = (Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN)

IF_MATCH = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": 'The ETag read with the record, e.g. "v3" (optimistic locking)',
}
PROBLEMS = {"description": "problem details (RFC 9457)"}


def _base_url() -> str:
    return current_app.config.get("BASE_URL") or request.host_url.rstrip("/")


def _session() -> Session:
    return db.session


def _page_size(args) -> int:
    """The page asked for (``limit``), at most the configured maximum."""
    return min(args["limit"], current_app.config["API_MAX_PAGE_SIZE"])


def _page(query, key_column, args) -> dict:
    size = _page_size(args)
    page = keyset_page(query, key_column, after=args.get("after"), size=size, descending=True)
    return {"items": page.items, "next_after": page.next_after}


# --- who am I ---------------------------------------------------------------------------------

me_bp = blueprint("api_me", "/me", "The token's user")


@me_bp.route("")
@me_bp.doc(
    **operation(
        "getMe",
        200,
        createVisit=link("createVisit", "enter a sampling form (抽样单) as this user"),
        listSamples=link("listSamples", "the samples this user may read"),
    )
)
@me_bp.response(200, s.Me)
@token_required()
def me():
    token = g.api_token
    return {
        "id": current_user.id,
        "username": current_user.username,
        "full_name": current_user.full_name,
        "roles": sorted(role.value for role in current_user.roles),
        "scope": token.scope,
        "token_expires_at": token.expires_at,
    }


# --- enterprises --------------------------------------------------------------------------------

enterprise_bp = blueprint("api_enterprises", "/enterprises", "Sampled units and producers")


@enterprise_bp.route("")
@enterprise_bp.arguments(s.EnterpriseSearchArgs, location="query")
@enterprise_bp.response(200, s.Enterprise(many=True))
@token_required()
def enterprise_search(args):
    return enterprises.search(_session(), args["q"], limit=args["limit"])


@enterprise_bp.route("", methods=["POST"])
@enterprise_bp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@idempotent
@enterprise_bp.arguments(s.EnterpriseIn)
@enterprise_bp.response(201, s.Enterprise)
@token_required(*ENTERPRISE_WRITERS, write=True)
def enterprise_create(data):
    values = {key: value for key, value in data.items() if value is not None}
    enterprise = enterprises.create_enterprise(_session(), current_user, **values)
    return enterprise, 201, {"ETag": etag(enterprise.version_id)}


# --- catalog ----------------------------------------------------------------------------------

catalog_bp = blueprint("api_catalog", "/catalog", "The food catalog and its specifications")


@catalog_bp.route("/categories")
@catalog_bp.arguments(s.CategoryArgs, location="query")
@catalog_bp.response(200, s.Category(many=True))
@token_required()
def categories(args):
    if args.get("q"):
        return catalog.search_categories(_session(), args["q"])
    return catalog.children(_session(), args.get("parent"))


@catalog_bp.route("/categories/<int:category_id>/specifications")
@catalog_bp.arguments(s.SpecificationArgs, location="query")
@catalog_bp.response(200, s.Specification(many=True))
@catalog_bp.alt_response(404, description="no such category")
@token_required()
def specifications(args, category_id: int):
    category = catalog.get_category(_session(), category_id)  # NotFound: 404
    return catalog.applicable_specifications(_session(), category.id, args.get("on"))


# --- plans and tasks --------------------------------------------------------------------------

planning_bp = blueprint("api_planning", "", "Sampling plans and tasks")


@planning_bp.route("/plans")
@planning_bp.response(200, s.Plan(many=True))
@token_required()
def plan_list():
    return queries.plans(_session())


@planning_bp.route("/tasks")
@planning_bp.response(200, s.Task(many=True))
@token_required()
def task_list():
    return queries.tasks(_session(), current_user)


# --- visits -----------------------------------------------------------------------------------

visit_bp = blueprint("api_visits", "/visits", "Sampling forms (抽样单): a visit and its batches")


@visit_bp.route("", methods=["POST"])
@visit_bp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@visit_bp.doc(
    **operation(
        "createVisit",
        201,
        getVisit=link("getVisit", "the visit made", visit_id="$response.body#/id"),
        voidVisit=link(
            "voidVisit",
            "void it",
            visit_id="$response.body#/id",
            If_Match=etag_of("version"),
        ),
        getSample=link("getSample", "its first batch", sample_id="$response.body#/samples/0/id"),
        receiveSample=link(
            "receiveSample",
            "the lab receives its first batch",
            sample_id="$response.body#/samples/0/id",
            If_Match=etag_of("samples/0/version"),
        ),
        changeSample=link(
            "changeSample",
            "edit its first batch",
            sample_id="$response.body#/samples/0/id",
            If_Match=etag_of("samples/0/version"),
        ),
        voidSample=link(
            "voidSample",
            "void its first batch",
            sample_id="$response.body#/samples/0/id",
            If_Match=etag_of("samples/0/version"),
        ),
    )
)
@idempotent
@visit_bp.arguments(s.VisitIn)
@visit_bp.response(201, s.VisitOut)
@token_required(Role.SAMPLER, write=True)
def visit_create(data):
    """Create a visit with its batches, validated exactly as the 抽样单 page (the same
    service); refused fields are named ``batches-<index>-<field>`` as on the page."""
    visit_data = {key: value for key, value in data.items() if key != "batches"}
    visit_data.update(
        link=data["link"].value,
        sampler_ids=data.get("sampler_ids") or [],
        online_payment_amount=data.get("online_payment_amount") or "",
    )
    batches = [
        {key: ("" if value is None else value) for key, value in batch.items()}
        for batch in data["batches"]
    ]
    for batch in batches:
        for key in ("production_date", "purchase_date", "category_id", "producer_id"):
            batch[key] = batch[key] or None
    visit = sampling.create_visit(_session(), current_user, visit_data, batches)
    location = url_for("api_visits.visit_detail", visit_id=visit.id)
    return visit, 201, {"Location": location}


@visit_bp.route("/<int:visit_id>")
@visit_bp.doc(
    **operation(
        "getVisit",
        200,
        getSample=link("getSample", "its first batch", sample_id="$response.body#/samples/0/id"),
        voidVisit=link("voidVisit", "void it", visit_id="$response.body#/id", If_Match=ETAG_HEADER),
    )
)
@visit_bp.response(200, s.VisitOut)
@visit_bp.alt_response(404, description="no such visit")
@token_required(*SAMPLE_READERS)
def visit_detail(visit_id: int):
    visit = _readable_visit(visit_id)
    return visit, 200, {"ETag": etag(visit.version_id)}


@visit_bp.route("/<int:visit_id>", methods=["PATCH"])
@visit_bp.doc(
    **operation(
        "changeVisit",
        200,
        getVisit=link("getVisit", "the visit corrected", visit_id="$response.body#/id"),
    )
)
@visit_bp.doc(parameters=[IF_MATCH])
@visit_bp.arguments(s.VisitChangeIn)
@visit_bp.response(200, s.VisitOut)
@visit_bp.alt_response(
    202, schema=s.CorrectionRequestOut, description="a correction awaiting approval"
)
@visit_bp.alt_response(404, description="no such visit (or not yours)")
@token_required(Role.SAMPLER, Role.SUPERVISOR, write=True)
def visit_change(data, visit_id: int):
    """Correct the form's header (the visit's fields, the national and online ones too), as
    on the form's correction page: at once before receipt (its sampling team), after
    receipt a request with a ``reason`` awaiting a second person's approval (202)."""
    visit = _readable_visit(visit_id)
    version = check_version(visit.version_id)
    reason = data.pop("reason", None)
    changes = {key: ("" if value is None else value) for key, value in data.items()}
    if "link" in changes:
        changes["link"] = changes["link"].value
    for key in ("region_code", "task_id", "parcel_arrival_date", "unboxing_record"):
        if key in changes:
            changes[key] = changes[key] or None
    asked = corrections.correct_visit(
        _session(), current_user, visit, changes=changes, reason=reason, expected_version=version
    )
    if asked is not None:
        return _correction_requested(asked)
    return visit, 200, {"ETag": etag(visit.version_id)}


@visit_bp.route("/<int:visit_id>/void", methods=["POST"])
@visit_bp.doc(
    **operation(
        "voidVisit",
        200,
        getVisit=link("getVisit", "the form voided", visit_id="$response.body#/id"),
    )
)
@visit_bp.doc(parameters=[IF_MATCH])
@visit_bp.arguments(s.VoidIn)
@visit_bp.response(200, s.VisitOut)
@visit_bp.alt_response(
    202, schema=s.CorrectionRequestOut, description="a voiding awaiting approval"
)
@visit_bp.alt_response(404, description="no such visit (or not yours)")
@token_required(Role.SAMPLER, Role.SUPERVISOR, write=True)
def visit_void(data, visit_id: int):
    """Void (作废) the whole form and every batch on it, with a reason, as on the form's
    page: at once while nothing is received (its team or a supervisor), after receipt a
    request awaiting a second person's approval (202), never once a report is issued."""
    visit = _readable_visit(visit_id)
    version = check_version(visit.version_id)
    asked = corrections.void_visit(
        _session(), current_user, visit, reason=data["reason"], expected_version=version
    )
    if asked is not None:
        return _correction_requested(asked)
    return visit, 200, {"ETag": etag(visit.version_id)}


def _readable_visit(visit_id: int) -> SamplingVisit:
    visit = queries.visit(_session(), visit_id)
    if visit is None or not visit.samples:
        abort(404)
    if queries.readable_sample(_session(), current_user, visit.samples[0].id) is None:
        abort(404)
    return visit


def _correction_requested(asked: Correction) -> Response:
    """202: the change waits for approval (corrections page); the request as JSON."""
    body = {
        "id": asked.id,
        "status": asked.status.value,
        "action": asked.action.value,
        "visit_id": asked.visit_id,
        "sample_id": asked.sample_id,
        "reason": asked.reason,
    }
    response = jsonify(s.CorrectionRequestOut().dump(body))
    response.status_code = 202
    return response


# --- samples ----------------------------------------------------------------------------------

sample_bp = blueprint("api_samples", "/samples", "Samples: list, read, receive")


def _readable(sample_id: int) -> Sample:
    sample = queries.readable_sample(_session(), current_user, sample_id)
    if sample is None:
        abort(404)
    return sample


@sample_bp.route("")
@sample_bp.doc(
    **operation(
        "listSamples",
        200,
        getSample=link(
            "getSample", "the first sample listed", sample_id="$response.body#/items/0/id"
        ),
    )
)
@sample_bp.arguments(s.SampleArgs, location="query")
@sample_bp.response(200, s.page_of(s.SampleOut, "SamplePage"))
@token_required(*SAMPLE_READERS)
def sample_list(args):
    query = queries.filtered_samples(queries.sample_query(current_user, _session()), args)
    return _page(query, Sample.id, args)


@sample_bp.route("/<int:sample_id>")
@sample_bp.doc(
    **operation(
        "getSample",
        200,
        getVisit=link("getVisit", "its sampling form", visit_id="$response.body#/visit_id"),
        receiveSample=link(
            "receiveSample",
            "the lab receives it",
            sample_id="$response.body#/id",
            If_Match=ETAG_HEADER,
        ),
        changeSample=link(
            "changeSample",
            "edit or correct it",
            sample_id="$response.body#/id",
            If_Match=ETAG_HEADER,
        ),
        voidSample=link(
            "voidSample", "void it", sample_id="$response.body#/id", If_Match=ETAG_HEADER
        ),
        getSampleResults=link("getSampleResults", "its results", sample_id="$response.body#/id"),
    )
)
@sample_bp.response(200, s.SampleOut)
@sample_bp.alt_response(404, description="no such sample (or not yours)")
@token_required(*SAMPLE_READERS)
def sample_detail(sample_id: int):
    sample = _readable(sample_id)
    return sample, 200, {"ETag": etag(sample.version_id)}


@sample_bp.route("/<int:sample_id>", methods=["PATCH"])
@sample_bp.doc(
    **operation(
        "changeSample",
        200,
        getSample=link("getSample", "the sample edited", sample_id="$response.body#/id"),
    )
)
@sample_bp.doc(parameters=[IF_MATCH])
@sample_bp.arguments(s.SampleChangeIn)
@sample_bp.response(200, s.SampleOut)
@sample_bp.alt_response(
    202, schema=s.CorrectionRequestOut, description="a correction awaiting approval"
)
@sample_bp.alt_response(404, description="no such sample (or not yours)")
@token_required(Role.SAMPLER, Role.SUPERVISOR, write=True)
def sample_change(data, sample_id: int):
    """Edit a sample's form fields before receipt (its sampling team), or correct them
    after receipt with a ``reason`` (the team or a supervisor), as on the pages."""
    sample = _readable(sample_id)
    version = check_version(sample.version_id)
    reason = data.pop("reason", None)
    fields = {key: ("" if value is None else value) for key, value in data.items()}
    for key in ("production_date", "purchase_date", "producer_id"):
        if key in fields:
            fields[key] = fields[key] or None
    if sample.status == SampleStatus.REGISTERED:
        sampling.update_sample(_session(), current_user, sample, version, **fields)
        return sample, 200, {"ETag": etag(sample.version_id)}
    # After receipt a correction is a request that a second person approves (issue 13 §3).
    request_ = corrections.correct_sample(
        _session(), current_user, sample, changes=fields, reason=reason, expected_version=version
    )
    assert request_ is not None  # a received sample is never changed at once
    return _correction_requested(request_)


@sample_bp.route("/<int:sample_id>/void", methods=["POST"])
@sample_bp.doc(**operation("voidSample"))
@sample_bp.doc(parameters=[IF_MATCH])
@sample_bp.arguments(s.VoidIn)
@sample_bp.response(200, s.SampleOut)
@sample_bp.alt_response(
    202, schema=s.CorrectionRequestOut, description="a voiding awaiting approval"
)
@sample_bp.alt_response(404, description="no such sample (or not yours)")
@token_required(Role.SAMPLER, Role.SUPERVISOR, write=True)
def sample_void(data, sample_id: int):
    """Void (作废) one batch with a reason, as on the sample's page: at once before receipt,
    after receipt a request awaiting approval (202), never once reported."""
    sample = _readable(sample_id)
    version = check_version(sample.version_id)
    asked = corrections.void_sample(
        _session(), current_user, sample, reason=data["reason"], expected_version=version
    )
    if asked is not None:
        return _correction_requested(asked)
    return sample, 200, {"ETag": etag(sample.version_id)}


@sample_bp.route("/<int:sample_id>/receive", methods=["POST"])
@sample_bp.doc(
    **operation(
        "receiveSample",
        200,
        getResult=link("getResult", "its first result", result_id="$response.body#/items/0/id"),
        enterResult=link(
            "enterResult",
            "enter its first result",
            result_id="$response.body#/items/0/id",
            If_Match=etag_of("items/0/version"),
        ),
        getSampleResults=link(
            "getSampleResults", "its results", sample_id="$request.path.sample_id"
        ),
        submitResults=link(
            "submitResults", "submit its results", sample_id="$request.path.sample_id"
        ),
    )
)
@sample_bp.doc(parameters=[IF_MATCH])
@sample_bp.arguments(s.ReceiveIn)
@sample_bp.response(200, s.ResultsOut)
@sample_bp.alt_response(404, description="no such sample")
@token_required(Role.TECHNICIAN, write=True)
def sample_receive(data, sample_id: int):
    """Receipt: the lab takes the sample (its result rows are created from the frozen
    specification), as on the receipt page."""
    sample = _readable(sample_id)
    check_version(sample.version_id)
    rows = receipt.receive_sample(
        _session(),
        current_user,
        sample,
        arrived_at=data.get("arrived_at") or clock.now(),
        seal_state=data["seal_state"],
        condition=data.get("condition") or "",
        temperature=data.get("temperature"),
    )
    return {"items": rows}, 200, {"ETag": etag(sample.version_id)}


@sample_bp.route("/<int:sample_id>/results")
@sample_bp.doc(
    **operation(
        "getSampleResults",
        200,
        getResult=link("getResult", "its first result", result_id="$response.body#/items/0/id"),
        enterResult=link(
            "enterResult",
            "enter its first result",
            result_id="$response.body#/items/0/id",
            If_Match=etag_of("items/0/version"),
        ),
    )
)
@sample_bp.response(200, s.ResultsOut)
@sample_bp.alt_response(404, description="no such sample")
@token_required(*RESULT_READERS)
def sample_results(sample_id: int):
    sample = _readable(sample_id)
    return {"items": queries.results_of(_session(), sample.id)}


@sample_bp.route("/<int:sample_id>/results/submit", methods=["POST"])
@sample_bp.doc(**operation("submitResults"))
@sample_bp.arguments(s.SubmitIn)
@sample_bp.response(200, s.CountOut)
@sample_bp.alt_response(404, description="no such sample")
@sample_bp.alt_response(409, description="a result changed since it was read")
@token_required(Role.TECHNICIAN, write=True)
def sample_submit(data, sample_id: int):
    """Send the sample's entered results for review: the body names each result as read
    (id and version), as the page posts what it showed; a result changed since (a new
    value, returned, accepted) refuses the whole batch with 409, nothing submitted."""
    sample = _readable(sample_id)
    seen = {row["id"]: row["version"] for row in data["results"]}
    rows = [r for r in results.current_results(_session(), sample) if r.id in seen]
    if len(rows) != len(seen):
        return problem(
            409,
            _(
                "Some of these results are not (or no longer) results of this sample: read them again."
            ),
            errors=[{"name": "results", "message": "unknown or superseded result id"}],
        )
    count = results.submit_results(_session(), current_user, rows, seen=seen)
    return {"count": count}


# --- results ----------------------------------------------------------------------------------

result_bp = blueprint("api_results", "/results", "Results: enter, review, import")


def _result(result_id: int):
    row = queries.result(_session(), result_id)
    if row is None:
        abort(404)
    return row


@result_bp.route("/<int:result_id>")
@result_bp.doc(
    **operation(
        "getResult",
        200,
        enterResult=link(
            "enterResult", "enter its value", result_id="$response.body#/id", If_Match=ETAG_HEADER
        ),
        reviewResult=link(
            "reviewResult", "review it", result_id="$response.body#/id", If_Match=ETAG_HEADER
        ),
        getSample=link("getSample", "its sample", sample_id="$response.body#/sample_id"),
    )
)
@result_bp.response(200, s.ResultOut)
@result_bp.alt_response(404, description="no such result")
@token_required(*RESULT_READERS)
def result_detail(result_id: int):
    row = _result(result_id)
    return row, 200, {"ETag": etag(row.version_id)}


@result_bp.route("/<int:result_id>", methods=["PUT"])
@result_bp.doc(
    **operation(
        "enterResult",
        200,
        reviewResult=link(
            "reviewResult", "review it", result_id="$response.body#/id", If_Match=ETAG_HEADER
        ),
        getResult=link("getResult", "the value saved", result_id="$response.body#/id"),
    )
)
@result_bp.doc(parameters=[IF_MATCH])
@result_bp.arguments(s.EntryIn)
@result_bp.response(200, s.ResultOut)
@result_bp.alt_response(404, description="no such result")
@token_required(Role.TECHNICIAN, write=True)
def result_enter(data, result_id: int):
    """Enter (or change) a value; judged and printed as on the entry page.  A stale
    If-Match is a conflict naming the value saved meanwhile."""
    row = _result(result_id)
    results.enter_result(
        _session(),
        current_user,
        row,
        measured_text=data.get("value"),
        expected_version=if_match_version(),
        unit_values=data.get("unit_values"),
        lod=data.get("lod"),
    )
    return row, 200, {"ETag": etag(row.version_id)}


@result_bp.route("/<int:result_id>/review", methods=["POST"])
@result_bp.doc(**operation("reviewResult"))
@result_bp.doc(parameters=[IF_MATCH])
@result_bp.arguments(s.ReviewIn)
@result_bp.response(200, s.ResultOut)
@result_bp.alt_response(404, description="no such result")
@token_required(Role.REVIEWER, write=True)
def result_review(data, result_id: int):
    """Accept a submitted result (signed: ``password``), or return it with a reason (never
    your own: four eyes)."""
    row = _result(result_id)
    check_version(row.version_id)
    signature = (
        esign.sign(current_user, data.get("password"), esign.Meaning.REVIEW, session=_session())
        if data["accept"]
        else None
    )
    results.review_result(
        _session(),
        current_user,
        row,
        accept=data["accept"],
        reason=data.get("reason"),
        signature=signature,
    )
    return row, 200, {"ETag": etag(row.version_id)}


@result_bp.route("/import", methods=["POST"])
@result_bp.arguments(s.ImportIn, location="files")
@result_bp.response(200, s.ImportOut)
@token_required(Role.TECHNICIAN, write=True)
def result_import(data):
    """An instrument file (CSV or XLSX), checked as a whole and saved all or nothing, as on
    the import page; refused rows are named ``row <n>.<column>``."""
    upload = data["file"]
    if not hasattr(upload, "read"):
        abort(400, description="Send the file as multipart/form-data field 'file'.")
    summary = results_import.import_results(
        _session(), current_user, upload.read(), upload.filename or ""
    )
    return {"rows": summary.rows, "samples": summary.samples, "verdicts": summary.verdicts}


# --- reports ----------------------------------------------------------------------------------

report_bp = blueprint("api_reports", "/reports", "Test reports: list, issue, download, verify")


@report_bp.route("")
@report_bp.arguments(s.ReportArgs, location="query")
@report_bp.response(200, s.page_of(s.ReportOut, "ReportPage"))
@token_required(*REPORT_READERS)
def report_list(args):
    return _page(queries.report_query(args.get("sample_id")), Report.id, args)


@report_bp.route("", methods=["POST"])
@report_bp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@report_bp.doc(
    **operation(
        "issueReport",
        201,
        getReport=link("getReport", "the report", report_id="$response.body#/id"),
        getReportPdf=link("getReportPdf", "its PDF", report_id="$response.body#/id"),
        getSample=link("getSample", "its sample", sample_id="$response.body#/sample_id"),
    )
)
@idempotent
@report_bp.arguments(s.ReportIn)
@report_bp.response(201, s.ReportOut)
@token_required(Role.SUPERVISOR, write=True)
def report_issue(data):
    """Approve, sign and issue the report of a concluded sample (the approver's rules and
    four eyes as on the page).  Issuing is an electronic signature: ``confirm_signature``
    true and the approver's ``password`` re-entered, as on the page."""
    if data["confirm_signature"] is not True:
        return problem(
            422,
            "Confirm the signature to issue the report.",
            errors=[{"name": "confirm_signature", "message": "must be true"}],
        )
    sample = _readable(data["sample_id"])
    signature = esign.sign(
        current_user, data["password"], esign.Meaning.APPROVAL, session=_session()
    )
    report = reports.issue_report(
        _session(), current_user, sample, base_url=_base_url(), signature=signature
    )
    location = url_for("api_reports.report_detail", report_id=report.id)
    return report, 201, {"Location": location}


@report_bp.route("/<int:report_id>")
@report_bp.doc(
    **operation(
        "getReport",
        200,
        getReportPdf=link("getReportPdf", "its PDF", report_id="$response.body#/id"),
        getSample=link("getSample", "its sample", sample_id="$response.body#/sample_id"),
    )
)
@report_bp.response(200, s.ReportOut)
@report_bp.alt_response(404, description="no such report")
@token_required(*REPORT_READERS)
def report_detail(report_id: int):
    return queries.report(_session(), report_id) or abort(404)


@report_bp.route("/<int:report_id>/pdf")
@report_bp.doc(**operation("getReportPdf"))
@report_bp.response(
    200, content_type="application/pdf", description="the stored PDF, byte for byte"
)
@report_bp.alt_response(404, description="no such report")
@token_required(*REPORT_READERS)
def report_pdf(report_id: int):
    # An issued PDF never changes: the replica's copy, or the primary's if it is newer.
    report = (
        queries.report(read_session(), report_id) or queries.report(_session(), report_id)
    ) or abort(404)
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{report.report_no}.pdf"',
            "Digest": f"sha-256={report.sha256}",
        },
    )


@report_bp.route("/verify/<token>")
@report_bp.response(200, s.VerifyOut)
@report_bp.alt_response(404, description="no report with this verification token")
@token_required()
def report_verify(token: str):
    """What the QR code's page shows: is the report valid, or superseded by which."""
    report = reports.get_by_token(_session(), token) or abort(404)
    return _verified(report)


@report_bp.route("/<int:report_id>/verify", methods=["POST"])
@report_bp.arguments(s.VerifyIn, location="files")
@report_bp.response(200, s.VerifyOut)
@report_bp.alt_response(404, description="no such report")
@token_required(*REPORT_READERS)
def report_verify_file(data, report_id: int):
    """Check a PDF file against the issued report: ``valid`` only when the report is in
    force and the file is byte for byte the one issued (its SHA-256)."""
    report = queries.report(_session(), report_id) or abort(404)
    upload = data.get("file")
    answer = _verified(report)
    if hasattr(upload, "read"):
        import hashlib

        answer["valid"] = (
            answer["valid"] and hashlib.sha256(upload.read()).hexdigest() == report.sha256
        )
    return answer


def _verified(report: Report) -> dict:
    return {
        "valid": report.status.is_issued,  # neither superseded nor withdrawn
        "report_no": report.report_no,
        "status": report.status,
        "sha256": report.sha256,
        "issued_at": report.issued_at,
        "superseded_by": report.superseded_by.report_no if report.superseded_by else None,
        "replaced_by": _replacement_no(report),
    }


def _replacement_no(report: Report) -> str | None:
    """The number of the report issued in its place (its correction, or the new report
    after a withdrawal), as the public verify page names it."""
    if report.status.is_issued:
        return None
    successor = reports.successor_of(_session(), report)
    return successor.report_no if successor else None


# --- stats, follow-up, deadlines, exports -----------------------------------------------------

board_bp = blueprint("api_supervision", "", "Pass rates, follow-up, deadlines and exports")

OBJECT_RESPONSE = {
    "200": {
        "description": "the same JSON as `labsys stats --format json` and GET /api/stats",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@board_bp.route("/stats")
@board_bp.arguments(s.StatsArgs, location="query")
@board_bp.doc(responses=OBJECT_RESPONSE)
@token_required(*SUPERVISION)
def stats_view(args):
    try:
        options = stats_options(request.args)
        return json_response(stats.stats_json(read_session(), **options))
    except (BadParameter, ServiceError) as error:
        return problem(422, str(error), errors=[{"name": "query", "message": str(error)}])


@board_bp.route("/followups")
@board_bp.arguments(s.PageArgs, location="query")
@board_bp.response(200, s.page_of(s.FollowUpOut, "FollowUpPage"))
@token_required(*SUPERVISION)
def followup_list(args):
    size = _page_size(args)
    rows = followup.followup_list(_session(), after=args.get("after"), size=size + 1)
    items = [
        {
            "id": row.followup.id if row.followup else 0,
            "sample_id": row.sample.id,
            "sample_no": row.sample.sample_no,
            "status": row.followup.status.value if row.followup else "not_opened",
            "opened_at": row.followup.opened_at
            if row.followup
            else row.sample.concluded_at or row.sample.created_at,
        }
        for row in rows[:size]
    ]
    return {"items": items, "next_after": rows[size - 1].sample.id if len(rows) > size else None}


@board_bp.route("/deadlines")
@board_bp.response(200, s.DeadlineOut(many=True))
@token_required(*SUPERVISION)
def deadline_board():
    board = followup.deadline_board(_session())
    return [
        {
            "kind": item.kind,
            "due": item.due,
            "sample_id": item.sample_id,
            "sample_no": item.sample_no,
            "overdue": item.overdue,
        }
        for item in board
    ]


CSV_RESPONSE = {
    "200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}
}


@board_bp.route("/exports/<any(samples, announcement):kind>.csv")
@board_bp.arguments(s.ExportArgs, location="query")
@board_bp.doc(responses=CSV_RESPONSE)
@token_required(*SUPERVISION)
def export_csv(args, kind: str):
    filters = stats.StatsFilter(
        date_from=args.get("from_"),
        date_to=args.get("to"),
        plan_id=args.get("plan"),
        task_id=args.get("task"),
    )
    lab_name = current_app.config["LAB_NAME"]
    engine = read_engine()

    def generate():
        # Streamed after the request: a read session of its own (as the export page does).
        write_intent.set(False)
        with Session(engine) as session:  # the samples through COPY on PostgreSQL
            yield from exports.export_csv_chunks(session, kind, filters, default_lab=lab_name)

    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={kind}-{clock.today():%Y%m%d}.csv"},
    )


# --- risk grades ------------------------------------------------------------------------------

grades_bp = blueprint("api_risk_grades", "/risk/grades", "Enterprise risk grades")


@grades_bp.route("")
@grades_bp.arguments(s.GradeArgs, location="query")
@grades_bp.response(200, s.Grade(many=True))
@token_required(*SUPERVISION)
def grade_list(args):
    """Enterprises by risk grade (today's rules), highest risk first, with the reasons."""
    rows = grading.grade_rows(
        db.session, clock.today(), grade=args["grade"], region=args["region"] or None
    )
    return rows[: args["limit"]]


def _risk_bp():
    from labsys.web.api_v1.risk import risk_bp

    return risk_bp


BLUEPRINTS = [
    me_bp,
    enterprise_bp,
    catalog_bp,
    planning_bp,
    visit_bp,
    sample_bp,
    result_bp,
    report_bp,
    board_bp,
    _risk_bp(),
    grades_bp,
]

__all__ = ["BLUEPRINTS", "savepoint", "with_etag"]
