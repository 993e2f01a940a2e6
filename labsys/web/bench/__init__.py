"""Traceable bench work: instruments, methods, assignments, bench records."""
