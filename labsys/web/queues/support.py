"""What the queue views share: the filters of the request, the deadline check, the filter
bar's choices, and the way back to the queue after an action."""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import request, url_for

from labsys.extensions import db
from labsys.services import sampling
from labsys.services.sampling import DeadlineCheck
from labsys.web import i18n
from labsys.web.queues import queries

# The query arguments a queue keeps (its filters, order and page); nothing else is carried
# back from a posted form, so a crafted "back" cannot send the user elsewhere.
QUEUE_ARGS = (
    "q",
    "category",
    "region",
    "date_from",
    "date_to",
    "technician",
    "due",
    "sort",
    "after",
)


def current_filters() -> tuple[queries.QueueFilters, DeadlineCheck]:
    filters = queries.QueueFilters.from_args(request.args).resolve(db.session)
    return filters, sampling.deadline_check(db.session)


def choices() -> queries.FilterChoices:
    return queries.filter_choices(db.session, english=i18n.select_locale() == "en")


def queue_args(query_string: str | None) -> dict[str, str]:
    """The queue's own arguments from a query string (a form's hidden "back" field)."""
    args = parse_qs((query_string or "").lstrip("?"))
    return {key: args[key][0] for key in QUEUE_ARGS if args.get(key) and args[key][0]}


def back_to(endpoint: str, *, anchor: str | None = None) -> str:
    """The queue ``endpoint`` as the posted form's "back" field had it, at ``anchor``."""
    return url_for(endpoint, _anchor=anchor, **queue_args(request.form.get("back")))
