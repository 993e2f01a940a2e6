from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from labsys.services.webhooks import EVENTS
from labsys.web.forms import LabsysForm


def _events():
    return [(name, name) for name in EVENTS]


class SubscriptionForm(LabsysForm):
    url = StringField(_l("Receiver address"), validators=[DataRequired(), Length(max=500)])
    events = SelectMultipleField(
        _l("Events (none chosen: all)"),
        choices=_events,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


class ToggleForm(LabsysForm):
    pass
