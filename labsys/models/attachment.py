"""Files attached to a record (photos of a sampling visit, a sample's label, a signed form,
an instrument's raw data): the file lives on disk (``services/attachments.py``), the row
says what it is, whose it is and its SHA-256."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime
from labsys.models.user import User


class Attachment(Base):
    """One stored file, owned by a record named by ``entity`` and ``entity_id`` (as in the
    audit trail: "sampling_visit", "sample", "result", ...)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    # What the file shows (services.attachments.KINDS): scene, seal, label, licence, ...
    kind: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, made safe
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, not the name
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))  # the file's name on disk, too
    note: Mapped[str] = mapped_column(String(300), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Withdrawn (e.g. a photo of the wrong sample): kept, with the file, but not listed.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    uploaded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_attachments_entity", "entity", "entity_id"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    def __repr__(self) -> str:
        return f"<Attachment {self.id} {self.entity}:{self.entity_id} {self.kind}>"

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
