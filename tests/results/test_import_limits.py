"""Uploads are bounded and an import never blocks other users' saves (issue 18 §5)."""

from __future__ import annotations

import io
import threading
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import text, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from labsys.extensions import db
from labsys.models import ResultStatus, User
from labsys.services import ServiceError
from labsys.services import results_import as imp
from labsys.services.results_import import ImportErrors, import_results

from results_support import by_name
from support import csrf_token

HEADER = "样品编号,检验项目,结果,单位\n"


def _upload(post, data: bytes, name: str = "run.csv"):
    return post(
        "/lab/import",
        {"file": (io.BytesIO(data), name)},
        token_from="/lab/import",
        content_type="multipart/form-data",
    )


def test_an_upload_over_the_size_limit_gets_the_friendly_413_page(
    app, client, login, post, tech, monkeypatch
):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * 2**20)
    login(tech)
    fields = {
        "csrf_token": csrf_token(client, "/lab/import"),
        "file": FileStorage(io.BytesIO(b"x" * (2 * 2**20 + 1)), "run.csv"),
    }
    # Encoded in memory (the test client would spool it to a file the app never reads).
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    response = client.post(
        "/lab/import",
        input_stream=stream,
        content_length=length,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "文件过大" in html and "2 MB" in html


def test_the_import_page_states_the_limits(client, login, tech):
    login(tech)
    html = client.get("/lab/import").get_data(as_text=True)
    assert "20 MB" in html and "100000" in html


def test_a_file_over_the_row_limit_is_refused_whole(app, db, tech, flour_sample, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    sample = flour_sample()
    rows = "".join(f"{sample.sample_no},铅(以Pb计),0.1,mg/kg\n" for _ in range(4))
    with pytest.raises(ServiceError, match="3"):
        import_results(db.session, tech, (HEADER + rows).encode(), "run.csv")


def test_the_error_list_is_capped_and_values_truncated(db, tech, flour_sample):
    flour_sample()
    long_no = "X" * 5000
    rows = "".join(f"{long_no}{n},铅(以Pb计),1,mg/kg\n" for n in range(500))
    with pytest.raises(ImportErrors) as raised:
        import_results(db.session, tech, (HEADER + rows).encode(), "run.csv")
    error = raised.value
    assert error.total == 500 and len(error.errors) == imp.MAX_LISTED
    assert all(len(problem.message) < 200 for problem in error.errors)
    assert "500" in error.message


def test_the_page_says_how_many_problems_are_not_listed(client, login, post, tech, flour_sample):
    flour_sample()
    login(tech)
    rows = "".join(f"X{n},铅(以Pb计),1,mg/kg\n" for n in range(250))
    html = _upload(post, (HEADER + rows).encode()).get_data(as_text=True)
    assert html.count("<tr><td>") == imp.MAX_LISTED and "250" in html


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _wrong_sheet_xlsx() -> bytes:
    """A workbook whose first sheet is something else (a cover page)."""
    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["检验原始记录封面"])
    book.create_sheet("results").append(["样品编号", "检验项目", "结果", "单位"])
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data, message",
    [
        (b"not a zip at all", "不是可读取的 XLSX"),
        (_zip({"hello.txt": b"hi"}), "不是可读取的 XLSX"),
        (_zip({"xl/bomb.xml": b"\0" * (3 * 2**20)}), "解压后超过"),
        (_wrong_sheet_xlsx(), "缺少此列"),
    ],
    ids=["not-a-zip", "a-zip-not-a-workbook", "zip-bomb", "wrong-sheet"],
)
def test_malformed_workbooks_are_refused_cleanly(
    app, client, login, post, tech, monkeypatch, data, message
):
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNPACKED_BYTES", 2 * 2**20)
    login(tech)
    response = _upload(post, data, "run.xlsx")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def test_another_user_saves_while_an_import_is_checked(
    app, client, login, post, tech, flour_sample, monkeypatch
):
    """On SQLite the import held the write lock from its first query: a save meanwhile
    waited for the busy timeout and failed (HTTP 500 for that user)."""
    sample = flour_sample()
    other_id = tech.id
    checked = imp.validate
    outcome: list = []

    def save_elsewhere():
        try:
            with app.app_context(), db.engine.connect() as connection:
                if connection.dialect.name == "sqlite":
                    connection.exec_driver_sql("PRAGMA busy_timeout=500")
                connection.execute(
                    update(User).where(User.id == other_id).values(full_name="Saved meanwhile")
                )
                connection.commit()
            outcome.append("saved")
        except Exception as error:  # reported below
            outcome.append(error)

    def validate_while_someone_saves(session, table):
        session.execute(text("SELECT 1"))  # the import's transaction has begun
        worker = threading.Thread(target=save_elsewhere)
        worker.start()
        worker.join(timeout=30)
        return checked(session, table)

    monkeypatch.setattr(imp, "validate", validate_while_someone_saves)
    login(tech)
    good = f"{HEADER}{sample.sample_no},铅(以Pb计),0.1,mg/kg\n"
    assert _upload(post, good.encode()).status_code == 302
    assert outcome == ["saved"]
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.ENTERED
    assert db.session.get(User, other_id).full_name == "Saved meanwhile"
