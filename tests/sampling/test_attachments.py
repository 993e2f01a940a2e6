"""The attachment store (services/attachments.py): files on disk under their SHA-256, a row
each, the type read from the content, the size limit, who may attach and see, the audit
trail, tampering found before a file is served, thumbnails."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from labsys.extensions import db
from labsys.models import Attachment
from labsys.services import PermissionDenied, attachments, audit, sampling
from labsys.services.attachments import AttachmentError


def png_bytes(size=(640, 480), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_bytes(size=(800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, "JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    folder = tmp_path / "attachments"
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(folder))
    return folder


@pytest.fixture
def sample(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    return visit.samples[0]


def attach(actor, owner, data: bytes, *, name="photo.png", kind="label", entity="sample", **kw):
    return attachments.attach(
        db.session,
        actor,
        entity=entity,
        entity_id=owner.id,
        kind=kind,
        filename=name,
        stream=io.BytesIO(data),
        **kw,
    )


def test_a_photo_is_stored_on_disk_under_its_hash_and_recorded(world, store, sample):
    data = png_bytes()
    saved = attach(world.ann, sample, data, name="../../etc/标签 照片.PNG")
    db.session.commit()
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    assert (saved.sha256, saved.size, saved.content_type) == (digest, len(data), "image/png")
    assert saved.filename == "标签 照片.png"  # no folders: the name cannot climb out
    path = store / digest[:2] / digest
    assert path.read_bytes() == data
    assert path.stat().st_mode & 0o777 == 0o600
    assert [a.id for a in attachments.listed(db.session, "sample", [sample.id])] == [saved.id]
    # The database holds the description, never the bytes.
    assert not any(isinstance(v, bytes) for v in vars(saved).values())
    entry = audit.history(db.session, "sample", sample.id)[-1]
    assert entry.action == "attach"
    recorded = json.loads(entry.new_values)
    assert recorded["sha256"] == digest and recorded["kind"] == "label"
    assert attachments.verified_path(saved) == path


def test_the_type_comes_from_the_content_not_the_name(world, store, sample):
    pdf = attach(world.ann, sample, PDF, name="scan.jpg", kind="licence")
    assert (pdf.content_type, pdf.filename) == ("application/pdf", "scan.pdf")
    for hostile in (b"MZ\x90\x00\x03 an executable", b"<html><script>alert(1)</script>"):
        with pytest.raises(AttachmentError, match="只接受.*JPEG"):
            attach(world.ann, sample, hostile, name="photo.jpg")
    # Text is not evidence (it is raw data, for callers that allow it).
    raw = attach(world.ann, sample, "质量,0.5\n".encode(), name="run.csv", kind="other",
                 allowed=attachments.RAW_DATA_TYPES)  # fmt: skip
    assert (raw.content_type, raw.filename) == ("text/plain", "run.csv")
    db.session.commit()
    assert db.session.query(Attachment).count() == 2


def test_a_damaged_or_oversized_image_is_refused(world, store, sample, app, monkeypatch):
    broken = png_bytes()[:200]
    with pytest.raises(AttachmentError, match="损坏"):
        attach(world.ann, sample, broken)
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_PIXELS", 100 * 100)
    with pytest.raises(AttachmentError, match="像素过多"):
        attach(world.ann, sample, png_bytes((101, 100)))
    db.session.commit()
    assert db.session.query(Attachment).count() == 0


def test_the_size_limit_refuses_a_larger_file_and_leaves_nothing(world, store, sample, app,
                                                                monkeypatch):  # fmt: skip
    data = jpeg_bytes()
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(data) - 1)
    with pytest.raises(AttachmentError, match="超过 "):
        attach(world.ann, sample, data, name="big.jpg")
    with pytest.raises(AttachmentError, match="文件为空"):
        attach(world.ann, sample, b"")
    db.session.commit()
    assert db.session.query(Attachment).count() == 0
    assert [p for p in store.rglob("*") if p.is_file()] == []  # no half-written file left
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", len(data))
    assert attach(world.ann, sample, data, name="big.jpg").size == len(data)


def test_the_default_limit_is_20_mb(app):
    assert app.config["ATTACHMENT_MAX_BYTES"] == 20_000_000
    # The request may carry a file of that size and its form.
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["ATTACHMENT_MAX_BYTES"]


def test_who_may_attach(world, store, sample):
    visit = sample.visit
    # eve is a sampler outside the team: neither the visit nor its sample.
    for entity, owner in (("sample", sample), ("sampling_visit", visit)):
        with pytest.raises(PermissionDenied):
            attach(world.eve, owner, png_bytes(), entity=entity, kind="scene")
    # The technician may add the unboxing of a parcel to the sample, not to the visit.
    attach(world.tom, sample, png_bytes(), kind="unboxing")
    with pytest.raises(PermissionDenied):
        attach(world.tom, visit, png_bytes(), entity="sampling_visit", kind="scene")
    attach(world.bob, visit, png_bytes(), entity="sampling_visit", kind="scene")
    attach(world.sue, visit, PDF, entity="sampling_visit", kind="signed_form")
    # A kind the owner does not take.
    with pytest.raises(AttachmentError):
        attach(world.ann, visit, png_bytes(), entity="sampling_visit", kind="raw_data")
    with pytest.raises(attachments.NotFound):
        attach(world.ann, visit, png_bytes(), entity="users", kind="other")
    db.session.commit()
    assert attachments.may_view(db.session, world.eve, attachments.listed(
        db.session, "sample", [sample.id])[0]) is False  # fmt: skip
    assert attachments.may_view(db.session, world.tom, attachments.listed(
        db.session, "sampling_visit", [visit.id])[0]) is True  # fmt: skip


def test_a_file_altered_on_disk_is_not_served(world, store, sample):
    saved = attach(world.ann, sample, png_bytes())
    db.session.commit()
    path = attachments.blob_path(saved.sha256)
    path.write_bytes(png_bytes(colour=(0, 0, 0)))
    with pytest.raises(AttachmentError, match="SHA-256 不符"):
        attachments.verified_path(saved)
    path.unlink()
    with pytest.raises(AttachmentError, match="缺失"):
        attachments.verified_path(saved)


def test_same_content_twice_is_stored_once(world, store, sample):
    data = png_bytes()
    first = attach(world.ann, sample, data)
    second = attach(world.bob, sample, data, kind="seal")
    assert first.sha256 == second.sha256 and first.id != second.id
    assert len([p for p in store.rglob("*") if p.is_file()]) == 1


def test_thumbnail_of_a_photo(world, store, sample):
    saved = attach(world.ann, sample, jpeg_bytes((2000, 1000)), name="scene.jpg", kind="scene")
    thumb = attachments.thumbnail(saved)
    with Image.open(io.BytesIO(thumb)) as image:
        assert image.format == "JPEG" and max(image.size) <= attachments.THUMB_SIZE
        assert image.size == (240, 120)
    assert attachments.thumbnail(attach(world.ann, sample, PDF, kind="licence")) is None


def test_withdrawing_keeps_the_file_and_records_the_reason(world, store, sample):
    saved = attach(world.ann, sample, png_bytes())
    with pytest.raises(attachments.ServiceError):
        attachments.withdraw(db.session, world.ann, saved, reason=" ")
    with pytest.raises(PermissionDenied):
        attachments.withdraw(db.session, world.eve, saved, reason="wrong sample")
    attachments.withdraw(db.session, world.ann, saved, reason="照错了样品")
    db.session.commit()
    assert attachments.listed(db.session, "sample", [sample.id]) == []
    assert attachments.blob_path(saved.sha256).is_file()
    entry = audit.history(db.session, "sample", sample.id)[-1]
    assert (entry.action, entry.reason) == ("detach", "照错了样品")


# --- the pages ----------------------------------------------------------------------------


def _upload(post, sample, data: bytes, name: str, kind="label", entity="sample", owner=None):
    owner = owner or sample
    page = f"/sampling/samples/{sample.id}"
    return post(
        f"/attachments/{entity}/{owner.id}",
        {"kind": kind, "note": "", "next": page, "file": (io.BytesIO(data), name)},
        token_from=page,
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_a_sampler_attaches_a_photo_and_sees_its_thumbnail(world, store, sample, client, login,
                                                           post):  # fmt: skip
    login(world.ann)
    page = _upload(post, sample, png_bytes(), "<img src=x onerror=alert(1)>.png")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "已附加" in html
    saved = db.session.scalars(db.select(Attachment)).one()
    assert "<img src=x" not in html  # the hostile name is escaped on the page
    assert f"/attachments/{saved.id}/thumb" in html and saved.sha256[:16] in html
    thumb = client.get(f"/attachments/{saved.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with client.get(f"/attachments/{saved.id}") as full:
        assert full.status_code == 200
        assert full.data == attachments.blob_path(saved.sha256).read_bytes()
        assert full.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in full.headers["Content-Security-Policy"]


def test_a_refused_file_is_named_and_nothing_is_kept(world, store, sample, login, post):
    login(world.ann)
    html = _upload(post, sample, b"<script>alert(1)</script>", "x.png").get_data(as_text=True)
    assert "只接受以下类型的文件" in html
    assert db.session.query(Attachment).count() == 0


def test_others_cannot_see_or_add_files(world, store, sample, client, login, post):
    saved = attach(world.ann, sample, png_bytes())
    db.session.commit()
    login(world.eve)  # a sampler of another team
    assert client.get(f"/attachments/{saved.id}").status_code == 403
    assert client.get(f"/attachments/{saved.id}/thumb").status_code == 403
    html = _upload(post, sample, png_bytes(), "mine.png").get_data(as_text=True)
    assert "无权" in html
    assert db.session.query(Attachment).count() == 1
    login(world.tom)  # the lab sees every sample's files
    with client.get(f"/attachments/{saved.id}") as response:
        assert response.status_code == 200


def test_a_tampered_file_is_refused_at_download(world, store, sample, client, login):
    saved = attach(world.ann, sample, PDF, name="licence.pdf", kind="licence")
    db.session.commit()
    attachments.blob_path(saved.sha256).write_bytes(PDF.replace(b"1.4", b"1.7"))
    login(world.ann)
    response = client.get(f"/attachments/{saved.id}")
    assert response.status_code == 409 and "SHA-256" in response.get_data(as_text=True)


def test_the_upload_goes_back_only_to_this_site(world, store, sample, login, post):
    login(world.ann)
    response = post(
        f"/attachments/sample/{sample.id}",
        {"kind": "label", "next": "//evil.example/x", "file": (io.BytesIO(png_bytes()), "a.png")},
        token_from=f"/sampling/samples/{sample.id}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_withdrawing_from_the_page_needs_a_reason(world, store, sample, client, login, post):
    saved = attach(world.ann, sample, png_bytes())
    db.session.commit()
    login(world.ann)
    page = f"/sampling/samples/{sample.id}"
    assert f"/attachments/{saved.id}/withdraw" in client.get(page).get_data(as_text=True)
    html = post(f"/attachments/{saved.id}/withdraw", {"reason": "", "next": page},
                token_from=page, follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "请填写撤回文件的原因" in html
    html = post(f"/attachments/{saved.id}/withdraw", {"reason": "拍错了", "next": page},
                token_from=page, follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "已撤回" in html and f"/attachments/{saved.id}/thumb" not in html
    login(world.eve)
    assert (
        post(f"/attachments/{saved.id}/withdraw", {"reason": "x"}, token_from="/").status_code
        == 403
    )


# --- locked once reported (issue 18 §2) --------------------------------------------------------


def _mark(sample, status):
    """The sample as a report (or a voiding) leaves it: the files' lock reads its state."""
    from labsys.models import SampleStatus

    sample.status = SampleStatus(status)
    db.session.commit()


@pytest.mark.parametrize("status", ["reported", "reopened", "voided"])
def test_a_reported_or_voided_samples_files_no_longer_change(world, store, sample, status):
    saved = attach(world.ann, sample, png_bytes())
    visit_file = attach(world.ann, sample.visit, PDF, name="form.pdf", kind="signed_form",
                        entity="sampling_visit")  # fmt: skip
    db.session.commit()
    _mark(sample, status)
    # A visit's files belong to all its samples: locked once one is reported (a voided
    # sample alone leaves its visit's other samples open; a voided visit is locked).
    if status == "voided":
        sample.visit.voided_at = sample.visit.created_at
        db.session.commit()
    for owner, entity, kind in ((sample, "sample", "label"), (sample.visit, "sampling_visit",
                                                              "scene")):  # fmt: skip
        with pytest.raises(attachments.ServiceError, match="报告更正"):
            attach(world.ann, owner, png_bytes(colour=(1, 2, 3)), kind=kind, entity=entity)
        db.session.rollback()
    for existing in (saved, visit_file):
        with pytest.raises(attachments.ServiceError, match="报告更正"):
            attachments.withdraw(db.session, world.ann, existing, reason="remove evidence")
        db.session.rollback()
    assert db.session.query(Attachment).count() == 2
    assert all(a.withdrawn_at is None for a in db.session.query(Attachment))


def test_the_reported_samples_page_offers_no_upload_and_refuses_one(
    world, store, sample, client, login, post
):
    saved = attach(world.ann, sample, png_bytes())
    db.session.commit()
    login(world.ann)
    page = f"/sampling/samples/{sample.id}"
    assert f"/attachments/sample/{sample.id}" in client.get(page).get_data(as_text=True)
    _mark(sample, "reported")
    html = client.get(page).get_data(as_text=True)
    assert f"/attachments/sample/{sample.id}" not in html
    assert f"/attachments/{saved.id}/withdraw" not in html
    html = _upload(post, sample, png_bytes(colour=(9, 9, 9)), "late.png").get_data(as_text=True)
    assert "报告更正" in html
    html = post(f"/attachments/{saved.id}/withdraw", {"reason": "x", "next": page},
                token_from=page, follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "报告更正" in html
    db.session.rollback()
    assert db.session.query(Attachment).count() == 1 and saved.withdrawn_at is None
    visit_page = client.get(f"/sampling/visits/{sample.visit_id}").get_data(as_text=True)
    assert f"/attachments/sampling_visit/{sample.visit_id}" not in visit_page
