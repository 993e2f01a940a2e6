"""The base form every labsys form derives from, and how a view shows a refused operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_wtf import FlaskForm

from labsys.extensions import db
from labsys.services.access import savepoint
from labsys.services.errors import ServiceError


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LabsysForm(FlaskForm):
    """CSRF-protected (Flask-WTF), with surrounding whitespace stripped from every field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters:
                filters.append(_strip)
            return unbound_field.bind(form=form, filters=filters, **options)

    def add_service_error(self, error) -> bool:
        """Show a ServiceError on the field it names; False if it names no field here."""
        field = getattr(self, error.field, None) if error.field else None
        if field is None:
            return False
        field.errors = [*field.errors, error.message]
        return True


@dataclass
class Outcome:
    """What :func:`service_errors` caught: ``error`` is None when the operation went through."""

    error: ServiceError | None = None


@contextmanager
def service_errors(
    form: LabsysForm | None = None,
    *,
    category: str = "danger",
    fields: dict[str, str] | None = None,
) -> Iterator[Outcome]:
    """Run a view's service call; a ``ServiceError`` is shown and the view goes on.

    The message goes onto the form field the error names (``fields`` maps a service's field
    name to the form's where they differ), or is flashed (``category``).
    The block runs in a savepoint: when a ``ServiceError`` (or anything else) leaves it,
    whatever the block wrote is rolled back, even when it called several services (each
    service also runs in its own savepoint, see ``labsys.services.access``).  The request
    still commits once, in ``after_request``.  Typical use (the redirect only runs when the
    call succeeded)::

        with service_errors(form):
            catalog.update_test_item(db.session, current_user, item, **values)
            flash(_("Saved."), "success")
            return redirect(...)
        return render_template(..., form=form)
    """
    outcome = Outcome()
    try:
        with savepoint(db.session):
            yield outcome
    except ServiceError as error:
        outcome.error = error
        if fields and error.field in fields:
            error.field = fields[error.field]
        if form is None or not form.add_service_error(error):
            flash(error.message, category)
