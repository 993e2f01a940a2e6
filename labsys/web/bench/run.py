"""The run details of a worksheet: dates, method and instrument recorded on every row saved
with them (``services.bench.enter_run``)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from labsys.models import SampleResult, TestItem, User
from labsys.services import bench, instruments
from labsys.web.bench import queries
from labsys.web.bench.forms import RunForm, choices


def run_form(
    session: Session, user: User, item: TestItem, results: Sequence[SampleResult]
) -> RunForm:
    """The form, its choices the methods of the rows shown and the instruments in service;
    on GET filled from the user's last bench record of this item."""
    methods = [item.method_standard, *(r.method_standard for r in results)]
    if results:
        methods += instruments.allowed_methods(session, results[0])
    methods = list(dict.fromkeys(m for m in methods if m))
    data = None
    if request.method == "GET":
        last = queries.last_record(session, user, item)
        if last is not None:
            data = {
                "started_on": last.started_on,
                "ended_on": last.ended_on,
                "method": last.method_standard,
                "instrument": last.instrument_id or 0,
            }
    form = RunForm(prefix="run", data=data) if data else RunForm(prefix="run")
    form.method.choices = choices([("", _("(not recorded)"))] + [(m, m) for m in methods])
    form.instrument.choices = choices(
        [(0, _("No instrument"))] + [(i.id, i.label) for i in instruments.in_service(session)]
    )
    return form


def raw_file(form: RunForm) -> bench.RawFile | None:
    upload = form.raw_file.data
    return bench.RawFile(upload.filename, upload.stream) if upload else None


def details(form: RunForm) -> bench.BenchDetails | None:
    """The run's details, or None when the run fields were left blank."""
    if not (form.started_on.data or form.ended_on.data or form.method.data or form.instrument.data):
        return None
    return bench.BenchDetails(
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
        method_standard=form.method.data or "",
        instrument_id=form.instrument.data or None,
    )
