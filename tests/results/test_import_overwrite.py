"""An import never replaces values already entered without showing the differences first
and being confirmed; the import template; rows assigned to someone else are refused."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from labsys.models import ResultStatus, Role
from labsys.services import assignments
from labsys.services import results as svc
from labsys.services.results_import import (
    ImportErrors,
    OverwriteNeedsConfirmation,
    import_results,
    prepare_import,
    read_table,
    save_import,
)

from results_support import by_name

HEADER = "样品编号,检验项目,结果,单位\n"


def _csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


def _upload(post, data: bytes, name: str = "run.csv", **kwargs):
    return post(
        "/lab/import",
        {"file": (io.BytesIO(data), name)},
        token_from="/lab/import",
        content_type="multipart/form-data",
        **kwargs,
    )


@pytest.fixture
def entered(db, tech, flour_sample):
    """A sample whose lead result was entered as 0.1 (and the banned item still pending)."""
    sample = flour_sample()
    lead = by_name(sample, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.1", expected_version=1)
    db.session.commit()
    return sample


def test_replacing_an_entered_value_needs_the_confirmation_of_exactly_that_change(
    db, tech, entered
):
    no = entered.sample_no
    data = _csv(f"{no},铅(以Pb计),0.35,mg/kg", f"{no},过氧化苯甲酰,未检出,g/kg")
    with pytest.raises(OverwriteNeedsConfirmation) as asked:
        import_results(db.session, tech, data, "run.csv")
    [change] = asked.value.overwrites
    assert (change.sample_no, change.item, change.old, change.new) == (
        no,
        "铅(以Pb计)",
        "0.1",
        "0.35",
    )
    db.session.rollback()
    lead = by_name(entered, "铅")
    assert lead.measured_text == "0.1"  # nothing saved, not even the new banned-item row
    assert by_name(entered, "过氧化").status == ResultStatus.PENDING

    judged = prepare_import(db.session, tech, data, "run.csv")
    with pytest.raises(OverwriteNeedsConfirmation):
        save_import(db.session, tech, judged, confirmed="0" * 64)  # a made-up confirmation
    summary = save_import(db.session, tech, judged, confirmed=asked.value.fingerprint)
    db.session.commit()
    assert summary.overwritten == 1
    assert by_name(entered, "铅").measured_text == "0.35"


def test_a_confirmation_goes_stale_when_the_value_changes_meanwhile(db, tech, entered):
    no = entered.sample_no
    data = _csv(f"{no},铅(以Pb计),0.35,mg/kg")
    with pytest.raises(OverwriteNeedsConfirmation) as asked:
        import_results(db.session, tech, data, "run.csv")
    db.session.rollback()
    lead = by_name(entered, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.2", expected_version=2)
    db.session.commit()
    judged = prepare_import(db.session, tech, data, "run.csv")
    with pytest.raises(OverwriteNeedsConfirmation) as again:
        save_import(db.session, tech, judged, confirmed=asked.value.fingerprint)
    assert again.value.overwrites[0].old == "0.2"


def test_the_same_value_again_is_not_an_overwrite(db, tech, entered):
    data = _csv(f"{entered.sample_no},铅(以Pb计),0.1,mg/kg")
    assert import_results(db.session, tech, data, "run.csv").overwritten == 0


def test_a_row_assigned_to_another_technician_is_refused(db, make_user, tech, flour_sample):
    boss = make_user("boss", Role.SUPERVISOR)
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    sample = flour_sample()
    assignments.assign(db.session, boss, other, sample_nos=[sample.sample_no])
    db.session.commit()
    with pytest.raises(ImportErrors) as refused:
        import_results(db.session, tech, _csv(f"{sample.sample_no},铅(以Pb计),0.1,mg/kg"), "r.csv")
    assert "Other Tech" in refused.value.errors[0].message
    assert refused.value.errors[0].row == 2


def test_the_cli_lists_the_replacements_and_needs_overwrite(app, db, tech, entered, tmp_path):
    file = tmp_path / "run.csv"
    file.write_bytes(_csv(f"{entered.sample_no},铅(以Pb计),0.35,mg/kg"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "results", str(file), "--as", "tech"])
    assert result.exit_code == 1
    assert "0.1 -> 0.35" in result.output and "--overwrite" in result.output
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.1"
    result = runner.invoke(args=["import", "results", str(file), "--as", "tech", "--overwrite"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.35"


# --- the pages -------------------------------------------------------------------------------

TOKEN_RE = re.compile(r'name="confirm-token" type="hidden" value="([0-9a-f]+)"')
PRINT_RE = re.compile(r'name="confirm-fingerprint" type="hidden" value="([0-9a-f]+)"')


def test_the_page_previews_the_differences_and_saves_only_on_confirmation(
    db, client, login, post, tech, entered
):
    login(tech)
    html = _upload(post, _csv(f"{entered.sample_no},铅(以Pb计),0.35,mg/kg")).get_data(as_text=True)
    assert 'id="import-overwrites"' in html
    row = re.search(r'<table class="table table-sm" id="import-overwrites">.*?</table>', html, re.S)
    assert row and "0.1" in row.group(0) and "0.35" in row.group(0)
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.1"  # shown, not saved
    token, fingerprint = TOKEN_RE.search(html).group(1), PRINT_RE.search(html).group(1)

    # A crafted confirmation of other changes than those shown saves nothing.
    confirm = {"confirm-token": token, "confirm-fingerprint": "f" * 64}
    html = post("/lab/import", confirm, token_from="/lab/import").get_data(as_text=True)
    assert 'id="import-overwrites"' in html
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.1"

    # A token that was never shown to this user (guessed) saves nothing either.
    forged = {"confirm-token": "a" * 32, "confirm-fingerprint": fingerprint}
    response = post("/lab/import", forged, token_from="/lab/import")
    assert response.status_code == 302
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.1"

    token = TOKEN_RE.search(html).group(1)  # the preview shown again
    confirm = {"confirm-token": token, "confirm-fingerprint": PRINT_RE.search(html).group(1)}
    response = post("/lab/import", confirm, token_from="/lab/import", follow_redirects=True)
    assert "已替换此前录入的 1 个结果" in response.get_data(as_text=True)
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.35"


def test_another_users_pending_import_cannot_be_confirmed(
    db, client, login, post, make_user, tech, entered
):
    login(tech)
    html = _upload(post, _csv(f"{entered.sample_no},铅(以Pb计),0.35,mg/kg")).get_data(as_text=True)
    confirm = {
        "confirm-token": TOKEN_RE.search(html).group(1),
        "confirm-fingerprint": PRINT_RE.search(html).group(1),
    }
    login(make_user("tech2", Role.TECHNICIAN))
    assert post("/lab/import", confirm, token_from="/lab/import").status_code == 302
    db.session.expire_all()
    assert by_name(entered, "铅").measured_text == "0.1"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_import_template_has_the_columns_the_import_reads(
    db, client, login, tech, flour_sample, fmt
):
    login(tech)
    response = client.get(f"/lab/import/template.{fmt}")
    assert response.status_code == 200
    assert f"results-template.{fmt}" in response.headers["Content-Disposition"]
    table = read_table(response.data, f"template.{fmt}")
    assert table[0] == [
        "样品编号", "检验项目", "结果", "单位", "检出限",
        "开始日期", "结束日期", "检验方法", "仪器编号",
    ]  # fmt: skip
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(response.data)).active.title == "results"
    # Filled in with a real sample, the template imports.
    sample = flour_sample()
    table[1] = [sample.sample_no, "铅(以Pb计)", "0.05", "mg/kg", "", "", "", "", ""]
    data = "\n".join(",".join(row) for row in table).encode()
    assert import_results(db.session, tech, data, "filled.csv").rows == 1


def test_the_template_is_for_lab_staff(client, login, make_user):
    login(make_user("sam", Role.SAMPLER))
    assert client.get("/lab/import/template.csv").status_code == 403
