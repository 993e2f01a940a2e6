"""Input the database cannot store is refused before it reaches the database.

PostgreSQL refuses a NUL character in text and an integer beyond its column's range with an
error (HTTP 500 before this module); SQLite stores both.  So, on every database alike:

* route ``<int:...>`` converters match 0 … 2³¹−1 only (a larger id is a 404, as any unknown
  id is), and ``request.args.get(..., type=int)`` gives the default for a larger one;
* a NUL anywhere in the path or the query string is a 400;
* every form field refuses a NUL, integers outside the INTEGER range and dates outside
  1900–2099 with a message on the field (:func:`storable`, added by ``LabsysForm``).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, Request, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from wtforms.validators import StopValidation

INT_MAX = 2**31 - 1  # INTEGER (int4) on PostgreSQL: every id and counter column
INT_MIN = -(2**31)
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2099, 12, 31)


def bounded_int(text) -> int:
    """``int(text)`` within the INTEGER range; ValueError outside it (as for "abc")."""
    value = int(text)
    if not INT_MIN <= value <= INT_MAX:
        raise ValueError(text)
    return value


class BoundedIntConverter(IntegerConverter):
    """``<int:id>``: 0 … INT_MAX unless the rule says otherwise."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INT_MAX)
        super().__init__(map, *args, **kwargs)


class BoundedArgs(ImmutableMultiDict):
    """Query arguments whose ``type=int`` conversions stay within the INTEGER range."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        return super().get(key, default, bounded_int if type is int else type)

    def getlist(self, key, type=None):  # noqa: A002
        return super().getlist(key, bounded_int if type is int else type)


class LabsysRequest(Request):
    parameter_storage_class = BoundedArgs


def refuse_nul() -> None:
    """400 for a NUL in the path or the query string (nobody types one)."""
    if "\x00" in request.path or any(
        "\x00" in value for values in request.args.listvalues() for value in values
    ):
        abort(400)


def install(app: Flask) -> None:
    """Before any route is registered (the converter is looked up when a rule is added)."""
    app.request_class = LabsysRequest
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul)


# --- the form validator ----------------------------------------------------------------------


def storable(form, field) -> None:
    """A field value the database can store, or a message on the field (stops the other
    validators: some of them read the database)."""
    for text in getattr(field, "raw_data", None) or ():
        if isinstance(text, str) and "\x00" in text:
            raise StopValidation(_l("This field contains a NUL character; remove it."))
    values = field.data if isinstance(field.data, list) else [field.data]
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            raise StopValidation(_l("This number is too large."))
        day = value.date() if isinstance(value, datetime) else value
        if isinstance(day, date) and not FIRST_DATE <= day <= LAST_DATE:
            raise StopValidation(
                _l("Enter a date between %(first)s and %(last)s.", first=1900, last=2099)
            )
