"""Errors a service raises; their message is shown to the user as it is."""

from __future__ import annotations

from contextvars import ContextVar

# While set (the web layer sets it per request), every PermissionDenied raised is noted
# here, caught or not, so that the refusal reaches the audit trail after the request.
noted_refusals: ContextVar[list[str] | None] = ContextVar("labsys_refusals", default=None)


class ServiceError(Exception):
    """The operation was refused; nothing it did is kept (the caller rolls back)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class PermissionDenied(ServiceError):
    """The acting user may not do this (e.g. review their own result)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message, field=field)
        noted = noted_refusals.get()
        if noted is not None:
            noted.append(self.message)


class NotFound(ServiceError):
    """The thing named does not exist."""


class ConflictError(ServiceError):
    """Someone else changed the record since it was read (optimistic locking)."""

    def __init__(self, message, *, current=None, field: str | None = None):
        super().__init__(message, field=field)
        self.current = current
