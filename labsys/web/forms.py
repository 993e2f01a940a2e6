"""The base form every labsys form derives from."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, FormField
from wtforms.fields.core import UnboundField

from labsys.web.inputs import storable


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class LabsysForm(FlaskForm):
    """CSRF-protected (Flask-WTF), with surrounding whitespace stripped from every field, and
    every field's value checked first for what the database cannot store (a NUL, an integer
    or a date out of range: labsys.web.inputs.storable)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = list(unbound_field.kwargs.get("filters", []))
            if _strip not in filters:
                filters.append(_strip)
            args, kwargs = list(unbound_field.args), dict(unbound_field.kwargs)
            if len(args) > 1:  # validators given positionally: Field(label, validators)
                kwargs["validators"] = args.pop(1)
            validators = list(kwargs.get("validators") or [])
            enclosing = issubclass(unbound_field.field_class, (FieldList, FormField))
            if not enclosing and storable not in validators:  # their fields check themselves
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
