"""The worksheet and the entry page write their row inputs from plain values (a macro, not
100 WTForms subforms): what they write is exactly what the form reads back; CSRF, the rows'
validation messages and the version check (optimistic locking) hold as before."""

from __future__ import annotations

import re

from labsys.models import ResultStatus

from results_support import by_name
from support import csrf_token

INPUT = re.compile(r"<input([^>]*)>")
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _inputs(html: str) -> dict[str, str]:
    """name → value of every input of the result-entry form (its CSRF token included)."""
    form = html.split('class="result-entry"', 1)[1].split("</form>", 1)[0]
    found = {}
    for attrs in INPUT.findall(form):
        values = dict(ATTR.findall(attrs))
        if "name" in values and values.get("type") != "file":
            found[values["name"]] = values.get("value", "")
    return found


def _row_of(inputs: dict[str, str], result_id: int) -> str:
    """The prefix ("rows-3-") of the row showing ``result_id``."""
    return next(
        name.removesuffix("result_id")
        for name, value in inputs.items()
        if name.endswith("-result_id") and value == str(result_id)
    )


def test_the_page_posts_back_what_it_shows(db, client, login, tech, flour_sample, items):
    """Every row of a worksheet, typed into and posted as the browser sends it (the page's
    own names, versions and CSRF token), is saved."""
    samples = [flour_sample() for _ in range(12)]
    login(tech)
    sheet = f"/lab/worksheet/{items['lead'].id}"
    inputs = _inputs(client.get(sheet).get_data(as_text=True))
    leads = [by_name(sample, "铅") for sample in samples]
    for n, lead in enumerate(leads):
        row = _row_of(inputs, lead.id)
        assert inputs[f"{row}version"] == str(lead.version_id)
        inputs[f"{row}measured"] = f"0.0{n % 9 + 1}"
    run_fields = {k: v for k, v in inputs.items() if k.startswith("run-")}
    assert inputs["csrf_token"] and set(run_fields) <= {"run-started_on", "run-ended_on"}
    response = client.post(sheet, data=inputs)
    assert response.status_code == 302
    db.session.expire_all()
    assert {by_name(s, "铅").status for s in samples} == {ResultStatus.ENTERED}
    assert [by_name(s, "铅").measured_text for s in samples] == [
        f"0.0{n % 9 + 1}" for n in range(12)
    ]


def test_a_post_without_the_csrf_token_is_refused(db, client, login, tech, flour_sample, items):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    sheet = f"/lab/worksheet/{items['lead'].id}"
    inputs = _inputs(client.get(sheet).get_data(as_text=True))
    inputs[f"{_row_of(inputs, lead.id)}measured"] = "0.1"
    del inputs["csrf_token"]
    assert client.post(sheet, data=inputs).status_code == 400  # the form expired page
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text is None


def test_a_value_too_long_is_named_on_its_row(db, client, login, post, tech, flour_sample, items):
    """The form's own check (the length) shows on the row, in the page's language, with the
    value typed kept; nothing is saved."""
    lead, other = by_name(flour_sample(), "铅"), by_name(flour_sample(), "铅")
    login(tech)
    sheet = f"/lab/worksheet/{items['lead'].id}"
    data = {
        "rows-0-result_id": lead.id,
        "rows-0-version": lead.version_id,
        "rows-0-measured": "0.1",
        "rows-1-result_id": other.id,
        "rows-1-version": other.version_id,
        "rows-1-measured": "9" * 61,
    }
    html = post(sheet, data, token_from=sheet).get_data(as_text=True)
    row = html.split(f'id="result-{other.id}"', 1)[1].split("</tr>", 1)[0]
    assert "检验结果：最多 60 个字符。" in row and 'aria-invalid="true"' in row
    assert f'value="{"9" * 61}"' in row
    first = html.split(f'id="result-{lead.id}"', 1)[1].split("</tr>", 1)[0]
    assert "aria-invalid" not in first and 'value="0.1"' in first
    client.get("/language/en?next=/")
    html = post(sheet, data, token_from=sheet).get_data(as_text=True)
    assert "Result: At most 60 characters." in html
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text is None


def test_a_stale_row_is_a_conflict_on_the_worksheet(
    db, client, login, post, tech, flour_sample, items
):
    """The version each row was shown with travels back: a row changed meanwhile is refused
    with the current value, and the page keeps what was typed."""
    from labsys.services import results as svc

    lead = by_name(flour_sample(), "铅")
    login(tech)
    sheet = f"/lab/worksheet/{items['lead'].id}"
    inputs = _inputs(client.get(sheet).get_data(as_text=True))
    svc.enter_results(db.session, tech, [svc.Entry(lead, "0.07", lead.version_id)])
    db.session.commit()
    inputs[f"{_row_of(inputs, lead.id)}measured"] = "0.09"
    inputs["csrf_token"] = csrf_token(client, sheet)
    html = client.post(sheet, data=inputs).get_data(as_text=True)
    row = html.split(f'id="result-{lead.id}"', 1)[1].split("</tr>", 1)[0]
    assert "0.07" in row and 'value="0.09"' in row and "is-invalid" in row
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text == "0.07"


def test_a_plate_count_row_keeps_its_units(db, client, login, post, tech, flour_sample, items):
    """A refused plate count shows all n unit inputs again, with the ones typed."""
    count = by_name(flour_sample(), "菌落")
    login(tech)
    sheet = f"/lab/worksheet/{items['count'].id}"
    data = {
        "rows-0-result_id": count.id,
        "rows-0-version": count.version_id,
        "rows-0-units-0": "10",
        "rows-0-units-1": "20",
    }
    html = post(sheet, data, token_from=sheet).get_data(as_text=True)
    inputs = _inputs(html)
    assert [inputs[f"rows-0-units-{i}"] for i in range(5)] == ["10", "20", "", "", ""]
    assert "请输入全部 5 个样品单元的结果。" in html


def test_the_worksheet_reads_its_partial_index(db, client, login, tech, flour_sample, items):
    """The page's rows come from one item's open results in id order, on the partial index
    whose condition the query writes literally (no sort, no walk of the primary key)."""
    from sqlalchemy import event

    from labsys.models.results import OPEN_RESULT_STATES
    from labsys.services.results import EDITABLE

    assert {state.value for state in EDITABLE} == set(OPEN_RESULT_STATES)
    flour_sample()
    login(tech)
    seen = []

    def keep(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM sample_results JOIN samples" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        assert client.get(f"/lab/worksheet/{items['lead'].id}").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    statement, parameters = seen[0]
    assert "IN ('pending', 'entered', 'returned')" in statement
    db.session.rollback()
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plan = "\n".join(connection.exec_driver_sql("EXPLAIN " + statement, parameters).scalars())
    else:
        plan = "\n".join(
            row[-1]
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
    db.session.rollback()
    assert "ix_sample_results_open_by_item" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
