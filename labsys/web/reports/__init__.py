"""Inspection reports: the supervisor's queue, preview, issue, correction, bulk, downloads,
and the public verification page."""
