"""Forms of the correction requests: review (a signature), approve (a note), reject (a note,
required), withdraw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labsys.services.corrections import NOTE_MAX
from labsys.services.esign import MAX_PASSWORD
from labsys.web.forms import LabsysForm


class DecisionForm(LabsysForm):
    """The request's version as read, so that a decision on a changed request is refused."""

    version = HiddenField(validators=[Length(max=12)])


class ApproveForm(DecisionForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=NOTE_MAX)])
    # Needed when approving issues the superseding report: the approver's e-signature.
    password = PasswordField(
        _l("Your password (signature)"), validators=[Optional(), Length(max=MAX_PASSWORD)]
    )


class ReviewForm(DecisionForm):
    """The review (审核) of a reported result's corrected value: the reviewer's e-signature."""

    password = PasswordField(
        _l("Your password (signature)"),
        validators=[
            DataRequired(message=_l("Enter your password to sign: nothing was signed.")),
            Length(max=MAX_PASSWORD),
        ],
    )


class RejectForm(DecisionForm):
    note = TextAreaField(
        _l("Why it is rejected"),
        validators=[
            DataRequired(message=_l("Say why the request is rejected.")),
            Length(max=NOTE_MAX),
        ],
    )


class WithdrawForm(DecisionForm):
    pass
