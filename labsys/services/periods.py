"""Every statutory period of the workflow: a setting with its default, its unit and the article
that sets it, shown on the deadline board and the settings page.

The articles are those of SAMR Order No. 15 (2019, 《食品安全抽样检验管理办法》) unless said
otherwise.  Source: 食品伙伴网's table of Order No. 15's time limits (2023-11-10, read in the
copies m.dayuyazhu.cn/jianyan/1794/170318.html and foodwifi.net/news/202307/192133.html), which
gives each limit with its article and paragraph; where its text was read (Arts. 20 ¶1, 24 ¶2,
25 ¶1–2, 32 ¶2, the last also on fujian.gov.cn's 复检 Q&A) the period is ``verify=False``.
The others (marked *(verify)*) have their article from that table's list and their value from
memory: check them before relying on them.  Not the gazetted text itself.  The 7 working days
to apply for a retest are also the Food Safety Law's Art. 88 (quoted at
99.wendadaohang.com/zd/W7WzOvejeezztvWWXOX.html).

A period's value is ``current_app.config[NAME]`` when set, else its default.  This is the one
registry of periods (the follow-up workflows read theirs from here too); a feature may add its
own with :func:`register`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

WORKDAYS, DAYS, MONTHS = "workdays", "days", "months"
UNITS = {WORKDAYS: _l("working days"), DAYS: _l("calendar days"), MONTHS: _l("months")}


@dataclass(frozen=True)
class Period:
    name: str  # the setting (config key)
    default: object
    unit: str  # WORKDAYS, DAYS or MONTHS
    article: str  # where the period comes from, as cited in the help text
    what: object  # a lazy translated description
    verify: bool = True  # the article was not checked against the gazetted text
    statutory: bool = True  # False: local practice, a setting labelled so

    @property
    def value(self):
        return current_app.config.get(self.name, self.default)

    @property
    def help(self) -> str:
        """What the period is, its value and the article that sets it (for help texts)."""
        value = self.value
        shown = " / ".join(str(v) for v in _parts(value))
        article = unverified(self.article) if self.verify else self.article
        local = "" if self.statutory else f"{_l('local practice')}: "
        return f"{self.what}: {shown} {UNITS[self.unit]} — {local}{article}"


def unverified(fact: str = "", *, html: bool = False) -> str:
    """``fact`` followed by the mark of a fact not yet checked against its source, as the
    interface language writes it: "Art. 25 (verify)" in English, "第二十五条（待核实）" in
    Chinese (full-width brackets, no space); the mark alone without ``fact``.

    The one place that writes the mark on pages (templates call it as ``unverified``);
    ``html`` escapes ``fact`` and sets the mark in a ``span.unverified``."""
    mark = _("(verify)")
    if html:
        fact = escape(fact)
        mark = Markup('<span class="text-danger unverified">%s</span>') % mark
    if not fact:
        return mark
    # TRANSLATORS: a fact, then its "(verify)" mark: "%(fact)s%(mark)s" in Chinese.
    joined = _("%(fact)s %(mark)s", fact=fact, mark=mark)
    return Markup(joined) if html else joined


def _parts(value) -> list:
    """A period's value as shown: each of a dict's or a tuple's values, or the one value."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, list | tuple) else [value]


ORDER_15 = "《食品安全抽样检验管理办法》"
PERIODS: dict[str, Period] = {}


def register(period: Period) -> Period:
    """Add a period (a feature's own); the same name twice is a programming error."""
    if period.name in PERIODS and PERIODS[period.name] != period:
        raise ValueError(f"period {period.name} registered twice")
    PERIODS[period.name] = period
    return period


def value(name: str):
    """The period's value (its setting, else its default)."""
    return PERIODS[name].value


for _period in (
    Period(
        "DELIVERY_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第二十条第一款",
        _l("Samples and sampling forms reach the testing lab after sampling"),
        verify=False,
    ),
    Period(
        "DELIVERY_EXTENSION_MAX_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第二十条第一款：因客观原因需要延长送样期限的，应当经组织抽样检验工作的"
        "市场监督管理部门同意（延长多少由本设置限定）",
        _l("Longest delivery extension the regulator may approve"),
        statutory=False,
    ),
    Period(
        "REPORT_WORKDAYS",
        20,
        WORKDAYS,
        f"{ORDER_15}第二十四条第二款",
        _l("The inspection report is issued after receipt"),
        verify=False,
    ),
    Period(
        "QUALIFIED_REPORT_WORKDAYS",
        7,
        WORKDAYS,
        f"{ORDER_15}第二十六条第一款",
        _l("A qualified conclusion is reported to the regulator after it is made"),
    ),
    Period(
        "UNQUALIFIED_REPORT_WORKDAYS",
        2,
        WORKDAYS,
        f"{ORDER_15}第二十六条第二款",
        _l("An unqualified conclusion is reported to the regulator after it is made"),
    ),
    Period(
        "SERVICE_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第二十九条",
        _l(
            "The regulator serves the inspection report and the notice of results on the "
            "sampled unit after receiving an unqualified conclusion (counted from the "
            "report's issue until the regulator's receipt is recorded, then from that day)"
        ),
    ),
    Period(
        "BACKUP_RETENTION_MONTHS",
        {"qualified": 3, "unqualified": 6},
        MONTHS,
        f"{ORDER_15}第二十五条第一、二款：剩余保质期不足的，保存至保质期结束",
        _l(
            "The retest backup is kept after a qualified / an unqualified conclusion, or until "
            "its shelf life ends"
        ),
        verify=False,
    ),
    Period(
        "RETEST_REQUEST_WORKDAYS",
        7,
        WORKDAYS,
        f"{ORDER_15}第三十条",
        _l("A retest is applied for after the conclusion is received"),
    ),
    Period(
        "RETEST_RESULT_WORKDAYS",
        10,
        WORKDAYS,
        f"{ORDER_15}第三十五条第一款",
        _l("The retest lab reports after receiving the backup"),
    ),
    Period(
        "RETEST_DECISION_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第三十二条",
        _l("A retest application is accepted or refused after it is received"),
    ),
    Period(
        "RETEST_LAB_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第三十二条第二款",
        _l("The retest lab is drawn from the list after the application is accepted"),
        verify=False,
    ),
    Period(
        "RETEST_LAB_EXTENSION_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第三十二条第二款",
        _l("The retest lab choice may be extended once, for objective reasons, by"),
        verify=False,
    ),
    Period(
        "BACKUP_HANDOVER_WORKDAYS",
        3,
        WORKDAYS,
        f"{ORDER_15}第三十三条",
        _l("The first lab hands the backup over after the retest lab is chosen"),
    ),
    Period(
        "OBJECTION_WORKDAYS",
        7,
        WORKDAYS,
        f"{ORDER_15}第三十七条",
        _l("An objection is filed after sampling (sampling process) or after the conclusion"),
    ),
    Period(
        "OBJECTION_DECISION_WORKDAYS",
        5,
        WORKDAYS,
        f"{ORDER_15}第三十八条",
        _l("An objection is accepted or refused after it is received"),
    ),
    Period(
        "OBJECTION_REVIEW_WORKDAYS",
        20,
        WORKDAYS,
        f"{ORDER_15}第三十九条",
        _l("An accepted objection is reviewed"),
    ),
    Period(
        "DISPOSAL_DEADLINE_DAYS",
        90,
        DAYS,
        f"{ORDER_15}第四十五条",
        _l("The regulator completes the disposal after receiving the unqualified conclusion"),
    ),
    Period(
        "DISPOSAL_MILESTONE_DAYS",
        (5, 30),
        DAYS,
        "国家食品安全抽样检验信息系统的核查处置进度（非第15号令）",
        _l("Disposal milestones after the regulator received the conclusion"),
        verify=False,
        statutory=False,
    ),
    Period(
        "DEADLINE_HORIZON_WORKDAYS",
        3,
        WORKDAYS,
        "labsys",
        _l("The deadline board shows what falls due within"),
        verify=False,
        statutory=False,
    ),
):
    register(_period)
