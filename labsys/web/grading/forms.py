"""Forms of the risk grade pages: the grading rules (administrators), a grade set by hand
(supervisors), the plan proposals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from labsys.core import grades
from labsys.core.grades import GradeRules
from labsys.models import HazardClass
from labsys.services.grading import LICENCE_TITLES
from labsys.web.forms import LabsysForm

NUMBER = [DataRequired(), Length(max=12)]


class RulesForm(LabsysForm):
    """The fixed settings; the per-class weights are added by :func:`rules_form`."""

    window_months = IntegerField(
        _l("Window (months) in which unqualified batches count"),
        validators=[InputRequired(), NumberRange(1, 120)],
    )
    batch_points = StringField(_l("Points per unqualified batch"), validators=NUMBER)
    stale_points = StringField(
        _l("Points by months since the last sampling (months:points, …)"),
        validators=[DataRequired(), Length(max=100)],
    )
    never_points = StringField(_l("Points when never sampled"), validators=NUMBER)
    threshold_b = StringField(_l("Score at which grade B starts"), validators=NUMBER)
    threshold_c = StringField(_l("Score at which grade C starts"), validators=NUMBER)
    threshold_d = StringField(_l("Score at which grade D starts"), validators=NUMBER)
    severe_weight = StringField(_l("Hazard weight at which a failure is severe"), validators=NUMBER)
    severe_floor = SelectField(
        _l("Lowest grade after a severe failure"),
        choices=[SelectChoice(g, g) for g in grades.GRADES],
    )

    def values(self) -> dict:
        """The form as the grading service takes it."""
        stale = []
        for part in self.stale_points.data.replace("，", ",").split(","):
            months, _sep, points = part.strip().partition(":")
            stale.append((months.strip(), points.strip()))
        return {
            "window_months": self.window_months.data,
            "batch_points": self.batch_points.data,
            "stale_points": stale,
            "never_points": self.never_points.data,
            "thresholds": [self.threshold_b.data, self.threshold_c.data, self.threshold_d.data],
            "severe_weight": self.severe_weight.data,
            "severe_floor": self.severe_floor.data,
            "hazard_weights": {h.value: self[f"hazard_{h.value}"].data for h in HazardClass},
            "licence_points": {c: self[f"licence_{c}"].data for c in grades.LICENCE_CATEGORIES},
        }


def rules_form(rules: GradeRules) -> RulesForm:
    """The settings form with a weight per hazard class and licence category, filled in
    with ``rules`` (unless posted)."""

    class Form(RulesForm):
        pass

    for hazard in HazardClass:
        setattr(
            Form,
            f"hazard_{hazard.value}",
            StringField(
                _l("Weight of a failed item: %(hazard)s", hazard=hazard.title), validators=NUMBER
            ),
        )
    for category in grades.LICENCE_CATEGORIES:
        setattr(
            Form,
            f"licence_{category}",
            StringField(
                _l("Points of the licence: %(category)s", category=LICENCE_TITLES[category]),
                validators=NUMBER,
            ),
        )
    data = {
        "window_months": rules.window_months,
        "batch_points": str(rules.batch_points),
        "stale_points": ", ".join(f"{m}:{p}" for m, p in rules.stale_points),
        "never_points": str(rules.never_points),
        "threshold_b": str(rules.thresholds[0]),
        "threshold_c": str(rules.thresholds[1]),
        "threshold_d": str(rules.thresholds[2]),
        "severe_weight": str(rules.severe_weight),
        "severe_floor": rules.severe_floor,
        **{f"hazard_{h.value}": str(rules.hazard_weight(h.value)) for h in HazardClass},
        **{f"licence_{c}": str(rules.licence_points.get(c, 0)) for c in grades.LICENCE_CATEGORIES},
    }
    return Form(data=data)


def error_fields() -> dict[str, str]:
    """The service's field names mapped to the form's."""
    fields = {"thresholds": "threshold_b"}
    fields.update({f"hazard_weights.{h.value}": f"hazard_{h.value}" for h in HazardClass})
    fields.update({f"licence_points.{c}": f"licence_{c}" for c in grades.LICENCE_CATEGORIES})
    return fields


class HandGradeForm(LabsysForm):
    """A grade set by hand: the grade, why (required), and its last day (optional)."""

    grade = SelectField(
        _l("Risk grade"),
        choices=[SelectChoice(g, g) for g in grades.GRADES],
        validators=[DataRequired()],
    )
    reason = TextAreaField(
        _l("Reason (kept with the grade)"), validators=[DataRequired(), Length(max=500)]
    )
    hold_until = DateField(
        _l("Holds until (its last day; empty: until cleared)"), validators=[Optional()]
    )


class ClearHandGradeForm(LabsysForm):
    reason = StringField(_l("Reason for clearing (optional)"), validators=[Length(max=500)])


class ProposalForm(LabsysForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    period_start = DateField(_l("Period from"), validators=[InputRequired()])
    period_end = DateField(_l("Period to"), validators=[InputRequired()])
    total = IntegerField(
        _l("Batches to share out"), validators=[InputRequired(), NumberRange(1, 1_000_000)]
    )
    min_per_category = IntegerField(
        _l("Batches every category receives at least"),
        validators=[InputRequired(), NumberRange(0, 10_000)],
        default=1,
    )


class QuotaEditForm(LabsysForm):
    quota = IntegerField(_l("Quota"), validators=[InputRequired(), NumberRange(0, 1_000_000)])


class AcceptForm(LabsysForm):
    code = StringField(_l("Plan code"), validators=[DataRequired(), Length(max=40)])
    # The fingerprint of what the page showed (services.proposals.fingerprint).
    seen = HiddenField(validators=[DataRequired(), Length(max=64)])


class BacktestForm(LabsysForm):
    """Read with GET: no CSRF token (nothing changes)."""

    class Meta:
        csrf = False

    first = DateField(_l("Period from"), validators=[InputRequired()])
    last = DateField(_l("Period to"), validators=[InputRequired()])
