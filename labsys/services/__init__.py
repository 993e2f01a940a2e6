"""The service layer: the only code that changes data.

Each operation validates, writes, records the audit trail and flushes.  It never commits:
the web request (after the view returns) or the CLI command commits once, and an error
rolls everything back.
"""

from labsys.services.errors import ConflictError, NotFound, PermissionDenied, ServiceError

__all__ = ["ConflictError", "NotFound", "PermissionDenied", "ServiceError"]
