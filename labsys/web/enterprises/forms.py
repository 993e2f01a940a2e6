from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from labsys.web.forms import LabsysForm


class EnterpriseForm(LabsysForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    region_code = StringField(
        _l("Region code"),
        validators=[Optional(), Length(max=12)],
        render_kw={"list": "region-options", "autocomplete": "off", "inputmode": "numeric"},
    )
    region_name = StringField(
        _l("Region name (only for a code not yet known)"), validators=[Optional(), Length(max=60)]
    )
    uscc = StringField(
        _l("Unified social credit code"),
        validators=[Optional(), Length(max=40)],  # the service names a wrong length
        render_kw={"autocomplete": "off"},
    )
    licence_no = StringField(_l("Licence number"), validators=[Optional(), Length(max=60)])
    contact = StringField(_l("Contact person"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])

    def service_fields(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in (
                "name",
                "address",
                "region_code",
                "region_name",
                "uscc",
                "licence_no",
                "contact",
                "phone",
            )
        }


class EnterpriseEditForm(EnterpriseForm):
    version = HiddenField(validators=[InputRequired(), Length(max=12)])
