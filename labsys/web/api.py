"""JSON interfaces for scripts and dashboards; the numbers are those of the pages."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _

from labsys.database import read_session
from labsys.models import Role
from labsys.services import ServiceError, stats
from labsys.web.access import roles_required

bp = Blueprint("api", __name__, url_prefix="/api")

TRUE_WORDS = {"1", "true", "yes", "on"}


class BadParameter(ValueError):
    pass


def stats_options(args) -> dict:
    """Keyword arguments for ``stats.compute`` from query parameters (also used by pages)."""
    by = args.get("by", "category") or "category"
    level = args.get("level", "1") or "1"
    if not level.isdigit():
        raise BadParameter(_("The category level must be 1, 2, 3 or 4."))
    return {
        "by": by,
        "level": int(level),
        "key_foods": args.get("key_foods", "").lower() in TRUE_WORDS,
        "filters": stats.StatsFilter(
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            plan_id=_int(args.get("plan")),
            task_id=_int(args.get("task")),
            parent_id=_int(args.get("parent")),
            inspection_types=_types(args.getlist("type") if hasattr(args, "getlist") else []),
        ),
    }


def _date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadParameter(_("%(value)s is not a date (YYYY-MM-DD).", value=text)) from None


def _types(values: list[str]) -> tuple:
    """``?type=supervision&type=evaluation``: the inspection types counted (none: all)."""
    try:
        return stats.inspection_types(v for v in values if v)
    except ServiceError as error:
        raise BadParameter(str(error)) from None


def _int(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise BadParameter(_("%(value)s is not a number.", value=text))
    return int(text)


@bp.route("/stats")
@roles_required(Role.SUPERVISOR)
def stats_view():
    try:
        return jsonify(stats.stats_json(read_session(), **stats_options(request.args)))
    except (BadParameter, ServiceError) as error:
        return jsonify({"error": str(error)}), 400
