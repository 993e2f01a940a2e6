"""A refused form's errors reach the user as flashed messages (``flash_form_errors``): each
message once, after its field's label where the message does not name the field, alone for
a hidden field, the form's own errors first, a list of fields' errors flattened."""

from __future__ import annotations

from flask import get_flashed_messages
from flask_babel import force_locale
from wtforms import FieldList, HiddenField, StringField
from wtforms.validators import DataRequired

from labsys.web.forms import LabsysForm, flash_form_errors


class _Form(LabsysForm):
    class Meta:
        csrf = False

    name = StringField("退回原因", validators=[DataRequired("请填写。")])
    version = HiddenField("version", validators=[DataRequired("页面已过期，请刷新。")])
    codes = FieldList(
        StringField("编号", validators=[DataRequired("缺编号。")]), label="编号", min_entries=2
    )


def _flashed(app, labelled: bool, locale: str = "zh_Hans_CN") -> list[tuple[str, str]]:
    with app.test_request_context(method="POST", data={"codes-0": "A1"}), force_locale(locale):
        form = _Form()
        assert not form.validate()
        form.form_errors.append("整张表单的错误")
        flash_form_errors(form, labelled=labelled)
        return get_flashed_messages(with_categories=True)


def test_labelled_messages_name_their_field_in_the_users_language(app):
    assert _flashed(app, labelled=True) == [
        ("danger", "整张表单的错误"),
        ("danger", "退回原因：请填写。"),
        ("danger", "页面已过期，请刷新。"),  # hidden: no label a user knows
        ("danger", "编号：缺编号。"),  # the list's second entry, under its label
    ]
    # English uses its own separator.
    assert ("danger", "退回原因: 请填写。") in _flashed(app, labelled=True, locale="en")


def test_plain_messages_are_flashed_alone(app):
    assert _flashed(app, labelled=False) == [
        ("danger", "整张表单的错误"),
        ("danger", "请填写。"),
        ("danger", "页面已过期，请刷新。"),
        ("danger", "缺编号。"),
    ]


def test_a_valid_form_flashes_nothing(app):
    with app.test_request_context(method="POST", data={"name": "x", "version": "1"}):
        form = _Form(data={"codes": ["A1", "A2"]})
        flash_form_errors(form, labelled=True)
        assert get_flashed_messages() == []
