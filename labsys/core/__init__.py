"""Domain rules in pure Python: no Flask, no SQLAlchemy."""
