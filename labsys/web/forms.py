"""The base form every labsys form derives from."""

from __future__ import annotations

from flask_wtf import FlaskForm


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
