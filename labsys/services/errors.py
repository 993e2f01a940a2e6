"""Errors a service raises; their message is shown to the user as it is."""


class ServiceError(Exception):
    """The operation was refused; nothing it did is kept (the caller rolls back)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class PermissionDenied(ServiceError):
    """The acting user may not do this (e.g. review their own result)."""


class NotFound(ServiceError):
    """The thing named does not exist."""


class ConflictError(ServiceError):
    """Someone else changed the record since it was read (optimistic locking)."""

    def __init__(self, message, *, current=None, field: str | None = None):
        super().__init__(message, field=field)
        self.current = current
