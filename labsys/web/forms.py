"""The base form every labsys form derives from, and how a view shows a refused operation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField
from wtforms.validators import ValidationError

from labsys.core import clock
from labsys.extensions import db
from labsys.services.access import savepoint
from labsys.services.errors import ServiceError
from labsys.web.inputs import storable


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LabsysForm(FlaskForm):
    """CSRF-protected (Flask-WTF), with surrounding whitespace stripped from every field, and
    every field's value checked first for what the database cannot store (a NUL, an integer
    or a date out of range: labsys.web.inputs.storable)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, (FieldList, FormField)):
                # A list or a subform takes no filters (WTForms refuses them); the fields it
                # encloses strip and check their own values.
                return unbound_field.bind(form=form, **options)
            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters:
                filters.append(_strip)
            args, kwargs = list(unbound_field.args), dict(unbound_field.kwargs)
            if len(args) > 1:  # validators given positionally: Field(label, validators)
                kwargs["validators"] = args.pop(1)
            validators = list(kwargs.get("validators") or [])
            if storable not in validators:
                validators.insert(0, storable)
            kwargs.update(filters=filters, validators=validators)
            return UnboundField(unbound_field.field_class, *args, **kwargs).bind(
                form=form, **options
            )

    def add_service_error(self, error) -> bool:
        """Show a ServiceError on the field it names; False if it names no field here."""
        field = getattr(self, error.field, None) if error.field else None
        if field is None:
            return False
        field.errors = [*field.errors, error.message]
        return True


class NotInFuture:
    """A date that has already happened (a notification, a decision, a receipt): today is the
    latest allowed (the lab's local day).  The date input gets ``max`` (its picker stops at
    today); the server refuses a later day with a message on the field."""

    @property
    def field_flags(self) -> dict[str, str]:  # read when a form binds its fields
        return {"max": clock.today().isoformat()}

    def __call__(self, form, field) -> None:
        today = clock.today()
        if field.data is not None and field.data > today:
            raise ValidationError(
                _(
                    "The date cannot be in the future: %(day)s is after today (%(today)s).",
                    day=field.data.isoformat(),
                    today=today.isoformat(),
                )
            )


def flash_form_errors(form: FlaskForm, *, labelled: bool = False) -> None:
    """Flash every error of a refused ``form`` (for a page that redirects, or shows the
    form far from the top).  ``labelled``: each message after its field's label ("退回日期：
    …"), for forms whose messages do not name their field; a hidden field's message is
    shown alone (its label is no word a user knows).  Errors of a list of fields are
    flattened; the form's own errors come first."""
    for message in form.form_errors:
        flash(str(message), "danger")
    for field in form:
        for message in _messages(field.errors):
            if labelled and getattr(field.widget, "input_type", None) != "hidden":
                message = _("%(field)s: %(message)s", field=field.label.text, message=message)
            flash(str(message), "danger")


def _messages(errors) -> Iterator[str]:
    """The messages of a field's errors: a list of strings, or for a FieldList of plain
    fields a list per entry, for one of FormFields a dict per entry."""
    for error in errors:
        if isinstance(error, dict):
            for nested in error.values():
                yield from _messages(nested)
        elif isinstance(error, list | tuple):
            yield from _messages(error)
        else:
            yield error


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
