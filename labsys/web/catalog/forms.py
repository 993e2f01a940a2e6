"""Forms of the catalog pages: categories, test items, specifications."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from labsys.models import ComparisonMethod, DecisionRule, HazardClass, OilProcess
from labsys.services.catalog import SPEC_FIELDS
from labsys.web.forms import LabsysForm


class CategoryForm(LabsysForm):
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=120)])
    is_key_food = BooleanField(
        _l("Key food (counts in the key-food pass rate with everything below it)")
    )
    sort_order = StringField(_l("Sort order"), validators=[Optional(), Length(max=6)])


class TestItemForm(LabsysForm):
    __test__ = False  # not a pytest test class

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name_zh = StringField(_l("Chinese name"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("English name"), validators=[Optional(), Length(max=160)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=30)])
    method_standard = StringField(
        _l("Test method (standard)"), validators=[Optional(), Length(max=120)]
    )
    is_microbiological = BooleanField(_l("Microbiological item (may be judged by a sampling plan)"))
    is_colony_count = BooleanField(
        _l("Colony count (reported by GB 4789.2: 9.4×10⁴, <10, 多不可计)")
    )
    hazard_class = SelectField(
        _l("Hazard class (weighs its failures in the risk signals)"),
        choices=HazardClass.choices,
        default=HazardClass.QUALITY_INDICATOR.value,
    )


class SpecificationForm(LabsysForm):
    """A test item's limit on a category; the item is chosen only when adding a row."""

    test_item_id = SelectField(_l("Test item"), coerce=int)
    excluded = BooleanField(_l("Exclude this item here (and below)"))
    limit_text = StringField(_l("Limit"), validators=[Optional(), Length(max=60)])
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=30)])
    method_standard = StringField(
        _l("Test method (standard)"), validators=[Optional(), Length(max=120)]
    )
    judgement_basis = StringField(
        _l("Judgement basis (with edition)"), validators=[Optional(), Length(max=120)]
    )
    lod = StringField(_l("LOD"), validators=[Optional(), Length(max=30)])
    loq = StringField(_l("LOQ"), validators=[Optional(), Length(max=30)])
    interval = StringField(_l("Reporting interval"), validators=[Optional(), Length(max=20)])
    significant_digits = StringField(
        _l("Or significant figures"), validators=[Optional(), Length(max=2)]
    )
    comparison_method = SelectField(
        _l("Comparison with the limit"), choices=ComparisonMethod.choices
    )
    decision_rule = SelectField(_l("Decision rule"), choices=DecisionRule.choices)
    uncertainty = StringField(_l("Uncertainty U"), validators=[Optional(), Length(max=30)])
    micro_n = StringField(_l("Plan n"), validators=[Optional(), Length(max=4)])
    micro_c = StringField(_l("Plan c"), validators=[Optional(), Length(max=4)])
    micro_m = StringField(_l("Plan m"), validators=[Optional(), Length(max=30)])
    micro_big_m = StringField(_l("Plan M"), validators=[Optional(), Length(max=30)])
    effective_from = DateField(_l("Effective from"), validators=[DataRequired()])
    transition_end = DateField(_l("End of transition period"), validators=[Optional()])
    oil_process = SelectField(
        _l("Applies to"),
        choices=lambda: [("", _l("All samples")), *OilProcess.choices()],
        validate_choice=False,
    )
    sort_order = StringField(_l("Sort order"), validators=[Optional(), Length(max=6)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])

    EDITABLE = SPEC_FIELDS  # every column an edit may set

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.EDITABLE}


class ConfirmForm(LabsysForm):
    """A bare POST form: only the CSRF token."""
