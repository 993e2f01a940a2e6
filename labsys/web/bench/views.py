"""The bench pages: the instrument register, the methods of a test item, assigning work to
technicians, the bench record of one result ("save and next" through a worksheet), and the
import template."""

from __future__ import annotations

import csv
import io
import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Instrument,
    ResultStatus,
    Role,
    SampleResult,
    TestItem,
    TestItemMethod,
    User,
)
from labsys.services import assignments, bench, instruments
from labsys.services import results as results_svc
from labsys.services.results_import import BENCH_COLUMNS, HEADERS
from labsys.web.access import roles_required
from labsys.web.bench import queries
from labsys.web.bench.forms import AssignForm, InstrumentForm, MethodForm, RecordForm, choices
from labsys.web.forms import service_errors
from labsys.web.results import queries as results_queries
from labsys.web.results.forms import ConfirmForm

bp = Blueprint("bench", __name__, url_prefix="/lab")

REGISTRARS = (Role.ADMIN, Role.SUPERVISOR)
_SPLIT_RE = re.compile(r"[\s,;，；、]+")
_UNIT_SPLIT_RE = re.compile(r"\s*[,;，；]\s*")


# --- the instrument register -----------------------------------------------------------------


@bp.route("/instruments", methods=["GET", "POST"])
@roles_required(*REGISTRARS)
def instrument_list():
    form = InstrumentForm()
    if form.validate_on_submit():
        with service_errors(form):
            instrument = instruments.create_instrument(
                db.session, current_user, **_instrument_values(form)
            )
            flash(_("%(name)s added to the register.", name=instrument.label), "success")
            return redirect(url_for("bench.instrument_list"))
    return render_template(
        "bench/instruments.html",
        instruments=instruments.register(db.session),
        form=form,
        today=clock.today(),
    )


@bp.route("/instruments/<int:instrument_id>/edit", methods=["GET", "POST"])
@roles_required(*REGISTRARS)
def instrument_edit(instrument_id: int):
    instrument = db.session.get(Instrument, instrument_id) or abort(404)
    form = InstrumentForm(obj=instrument if request.method == "GET" else None)
    if request.method == "GET":
        form.status.data = instrument.status.value
    if form.validate_on_submit():
        with service_errors(form):
            instruments.update_instrument(
                db.session,
                current_user,
                instrument,
                reason=form.reason.data or "",
                **_instrument_values(form),
            )
            flash(_("%(name)s updated.", name=instrument.label), "success")
            return redirect(url_for("bench.instrument_list"))
    return render_template("bench/instrument_form.html", form=form, instrument=instrument)


def _instrument_values(form: InstrumentForm) -> dict:
    return {
        "name": form.name.data,
        "model": form.model.data,
        "asset_no": form.asset_no.data,
        "serial_no": form.serial_no.data,
        "calibration_due": form.calibration_due.data,
        "status": form.status.data,
        "note": form.note.data,
    }


# --- methods of a test item ------------------------------------------------------------------


@bp.route("/items/<int:item_id>/methods", methods=["GET", "POST"])
@roles_required(*REGISTRARS)
def item_methods(item_id: int):
    item = db.session.get(TestItem, item_id) or abort(404)
    form = MethodForm()
    if form.validate_on_submit():
        with service_errors(form):
            instruments.add_method(db.session, current_user, item, form.method_standard.data)
            flash(_("Method added."), "success")
            return redirect(url_for("bench.item_methods", item_id=item.id))
    return render_template(
        "bench/methods.html",
        item=item,
        methods=instruments.further_methods(db.session, item),
        form=form,
        confirm=ConfirmForm(),
    )


@bp.route("/methods/<int:method_id>/remove", methods=["POST"])
@roles_required(*REGISTRARS)
def method_remove(method_id: int):
    row = db.session.get(TestItemMethod, method_id) or abort(404)
    item_id = row.test_item_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with service_errors():
        instruments.remove_method(db.session, current_user, row)
        flash(_("Method removed."), "success")
    return redirect(url_for("bench.item_methods", item_id=item_id))


# --- assignment ------------------------------------------------------------------------------


@bp.route("/assign", methods=["GET", "POST"])
@roles_required(Role.SUPERVISOR)
def assign():
    technicians = assignments.technicians(db.session)
    open_items = results_queries.open_items(db.session)
    form = AssignForm()
    form.technician.choices = choices((t.id, t.display_name) for t in technicians)
    form.item.choices = choices(
        [(0, _("All items of these samples"))]
        + [(item_id, name) for item_id, name, _count in open_items]
    )
    if form.validate_on_submit():
        technician = db.session.get(User, form.technician.data) or abort(400)
        item = db.session.get(TestItem, form.item.data) if form.item.data else None
        nos = [no for no in _SPLIT_RE.split(form.samples.data or "") if no]
        with service_errors(form, fields={"samples": "samples", "technician": "technician"}):
            count = assignments.assign(
                db.session, current_user, technician, sample_nos=nos, item=item
            )
            flash(
                _(
                    "%(n)d results assigned to %(name)s.",
                    n=count,
                    name=technician.display_name,
                ),
                "success",
            )
            return redirect(url_for("bench.assign"))
    return render_template(
        "bench/assign.html",
        form=form,
        technicians=technicians,
        counts=queries.counts_per_technician(db.session),
        unassigned=queries.unassigned_open(db.session),
        Status=ResultStatus,
    )


# --- the bench record of one result ----------------------------------------------------------


def _record_form(result: SampleResult, record, previous) -> RecordForm:
    """The form, filled on GET from the row, its bench record, or else the record of the
    row saved just before (``previous``: "save and next" keeps dates, method, instrument)."""
    if request.method != "GET":
        return RecordForm()
    source = record or previous
    data = {
        "version": str(result.version_id),
        "measured": result.measured_text or "",
        "units": ", ".join(results_svc.units_of(result)),
        "started_on": source.started_on if source else clock.today(),
        "ended_on": source.ended_on if source else clock.today(),
        "method": source.method_standard if source else result.method_standard,
        "instrument": (source.instrument_id or 0) if source else 0,
    }
    return RecordForm(data=data)


@bp.route("/results/<int:result_id>/record", methods=["GET", "POST"])
@roles_required(Role.TECHNICIAN)
def record(result_id: int):
    result = db.session.get(SampleResult, result_id) or abort(404)
    existing = bench.record_of(db.session, result.id)
    previous_id = request.args.get("after", type=int)
    previous = bench.record_of(db.session, previous_id) if previous_id else None
    form = _record_form(result, existing, previous)
    methods = instruments.allowed_methods(db.session, result)
    form.method.choices = choices((m, m) for m in methods)
    usable = instruments.in_service(db.session)
    form.instrument.choices = choices(
        [(0, _("No instrument"))] + [(i.id, _instrument_choice(i)) for i in usable]
    )
    owner = assignments.assignees(db.session, [result.id]).get(result.id)
    if form.validate_on_submit():
        units = _UNIT_SPLIT_RE.split(form.units.data or "") if result.is_microbiological else None
        details = bench.BenchDetails(
            started_on=form.started_on.data,
            ended_on=form.ended_on.data,
            method_standard=form.method.data,
            instrument_id=form.instrument.data or None,
        )
        upload = form.raw_file.data
        raw = bench.RawFile(upload.filename, upload.stream) if upload else None
        fields = {"unit_values": "units", "measured_text": "measured", "lod": "measured"}
        with service_errors(form, fields=fields):
            bench.record_result(
                db.session,
                current_user,
                result,
                measured_text=form.measured.data,
                expected_version=int(form.version.data),
                details=details,
                unit_values=units,
                raw_file=raw,
            )
            flash(
                _(
                    "%(item)s of %(no)s saved: %(value)s.",
                    item=result.item_name,
                    no=result.sample.sample_no,
                    value=result.reported_text,
                ),
                "success",
            )
            if form.save_next.data:
                following = queries.next_result(db.session, current_user, result)
                if following is not None:
                    return redirect(
                        url_for("bench.record", result_id=following.id, after=result.id)
                    )
                flash(_("That was the last result waiting on this worksheet."), "info")
                return redirect(url_for("results.worksheet", item_id=result.test_item_id))
            return redirect(url_for("bench.record", result_id=result.id))
    elif request.method == "POST":
        flash(_("The form was not valid; check the values."), "danger")
    return render_template(
        "bench/record.html",
        result=result,
        form=form,
        record=existing,
        owner=owner,
        raw_files=bench.raw_files(db.session, [result.id]),
        editable=result.status in results_svc.EDITABLE,
        limit=results_svc.limit_display(result),
    )


def _instrument_choice(instrument: Instrument) -> str:
    return _(
        "%(label)s, calibration due %(due)s",
        label=instrument.label,
        due=instrument.calibration_due.isoformat(),
    )


# --- the import template ---------------------------------------------------------------------


TEMPLATE_COLUMNS = ("sample_no", "test_item", "value", "unit", "lod", *BENCH_COLUMNS)


def _template_rows() -> list[list[str]]:
    """The header the import reads and one example row: the value, then the optional bench
    record (test dates, the method used, the instrument's asset number)."""
    header = [HEADERS[key][0] for key in TEMPLATE_COLUMNS]
    example = ["2026XXXXXXXX0001", "铅(以Pb计)", "0.05", "mg/kg", ""]
    example += [clock.today().isoformat(), clock.today().isoformat(), "GB 5009.12-2023", ""]
    return [header, example]


@bp.route("/import/template.<fmt>")
@roles_required(Role.TECHNICIAN)
def import_template(fmt: str):
    rows = _template_rows()
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerows(rows)
        # UTF-8 with BOM: Excel opens it with the Chinese headers intact.
        return Response(
            "\ufeff" + buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=results-template.csv"},
        )
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "results"
        for row in rows:
            sheet.append(row)
        for index in range(len(TEMPLATE_COLUMNS)):
            sheet.column_dimensions[chr(ord("A") + index)].width = 20
        out = io.BytesIO()
        book.save(out)
        return Response(
            out.getvalue(),
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": "attachment; filename=results-template.xlsx"},
        )
    abort(404)
