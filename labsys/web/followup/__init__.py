"""Unqualified follow-up pages and the deadline board."""
