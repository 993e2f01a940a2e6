"""Shared pieces of the work queues: filters, due-date paging, the dashboard counts."""
