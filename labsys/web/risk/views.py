"""Risk early warning pages (issue 17 §1, §4): the ranked signals with their evidence."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("risk", __name__, url_prefix="/risk")
