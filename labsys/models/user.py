"""Accounts and the roles they hold."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum


class Role(enum.StrEnum):
    SAMPLER = "sampler"
    TECHNICIAN = "technician"
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def title(self) -> str:
        return str(ROLE_TITLES[self])


ROLE_TITLES = {
    Role.SAMPLER: _l("Sampler"),
    Role.TECHNICIAN: _l("Lab technician"),
    Role.REVIEWER: _l("Reviewer"),
    Role.SUPERVISOR: _l("Supervisor"),
    Role.ADMIN: _l("Administrator"),
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Bumped on every password change; part of the login session id, so a changed password
    # ends the sessions opened with the old one.
    session_version: Mapped[int] = mapped_column(default=1)

    role_links: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> set[Role]:
        return {link.role for link in self.role_links}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # Flask-Login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_links")

    def __repr__(self) -> str:
        return f"<UserRole {self.user_id} {self.role}>"
