"""All models, imported here so that ``Base.metadata`` knows every table."""

from labsys.models.audit import AuditEntry
from labsys.models.base import Base
from labsys.models.user import Role, User, UserRole

__all__ = ["AuditEntry", "Base", "Role", "User", "UserRole"]
