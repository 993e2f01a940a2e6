"""Failed logins counted per account and per address (login throttling)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labsys.models.base import Base, UTCDateTime


class LoginThrottle(Base):
    """One counter of failed logins: ``kind`` "user" (``key``: the lower-cased username) or
    "address" (``key``: the client's address).  Kept in the database so that every server
    process and thread sees the same count (services/throttle.py)."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(200))
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An account's counter: the client addresses its failures in this window came from (a
    # JSON list, newest last, at most security.MAX_ADDRESSES), so that unlocking the account
    # can offer to unlock them too.  None on an address's counter.
    addresses: Mapped[str | None] = mapped_column(Text)
