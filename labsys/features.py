"""The registry of features: what each one adds to the app.

One place to read what labsys is made of.  A feature adds its blueprint, menu entries,
CLI commands and reference-data steps here and nowhere else; imports are lazy so a feature
module's errors surface when the app is created (a command's: when it is run), not at
import time of this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    group: str = ""  # a key of NAV_GROUPS; "" stands alone in the bar


# The menus the entries are grouped under when a user sees many of them (NAV_FLAT_MAX).
NAV_GROUPS = {
    "sampling": _l("Sampling"),
    "lab": _l("Laboratory"),
    "reports": _l("Reports and statistics"),
    "followup": _l("Follow-up"),
    "admin": _l("Administration"),
}
# Up to this many entries the bar lists them all; beyond, they go into their group's menu.
NAV_FLAT_MAX = 7


def BLUEPRINTS():  # noqa: N802 - reads as a constant at the call site
    """Feature blueprints, registered after the foundation's (auth, home, admin)."""
    from labsys.web.api import bp as api_bp
    from labsys.web.attachments.views import bp as attachments_bp
    from labsys.web.backups.views import bp as backups_bp
    from labsys.web.bench.views import bp as bench_bp
    from labsys.web.catalog.views import bp as catalog_bp
    from labsys.web.corrections.views import bp as corrections_bp
    from labsys.web.enterprises.views import bp as enterprises_bp
    from labsys.web.followup.views import bp as followup_bp
    from labsys.web.grading.views import bp as grading_bp
    from labsys.web.planning.views import bp as planning_bp
    from labsys.web.receipt.views import bp as receipt_bp
    from labsys.web.reports.views import bp as reports_bp
    from labsys.web.reports.views import verify_bp
    from labsys.web.results.views import bp as results_bp
    from labsys.web.risk.views import bp as risk_bp
    from labsys.web.sampling.views import bp as sampling_bp
    from labsys.web.stats.views import bp as stats_bp
    from labsys.web.tokens.views import bp as tokens_bp
    from labsys.web.webhooks.views import bp as webhooks_bp

    return [
        catalog_bp,
        api_bp,
        reports_bp,
        verify_bp,
        enterprises_bp,
        planning_bp,
        sampling_bp,
        receipt_bp,
        results_bp,
        bench_bp,
        stats_bp,
        followup_bp,
        corrections_bp,
        backups_bp,
        tokens_bp,
        webhooks_bp,
        attachments_bp,
        risk_bp,
        grading_bp,
    ]


# The main menu, in order; each user sees the entries their roles may open.
NAV = [
    NavItem("home.index", _l("Home")),
    NavItem("admin.user_list", _l("Users"), "admin"),
    NavItem("admin.signatory_list", _l("Authorised signatories"), "admin"),
    NavItem("admin.calendar_page", _l("Working-day calendar"), "admin"),
    NavItem("catalog.index", _l("Food catalog"), "admin"),
    NavItem("enterprises.enterprise_list", _l("Enterprises"), "sampling"),
    NavItem("planning.plan_list", _l("Plans"), "sampling"),
    NavItem("planning.my_tasks", _l("My tasks"), "sampling"),
    NavItem("sampling.visit_create", _l("New sampling form"), "sampling"),
    NavItem("sampling.my_samples", _l("My samples"), "sampling"),
    NavItem("sampling.sample_list", _l("All samples"), "sampling"),
    NavItem("corrections.queue", _l("Correction requests"), "sampling"),
    NavItem("receipt.index", _l("Sample receipt"), "lab"),
    NavItem("results.my_work", _l("My work"), "lab"),
    NavItem("results.review_queue", _l("Review results"), "lab"),
    NavItem("bench.assign", _l("Assign work"), "lab"),
    NavItem("bench.instrument_list", _l("Instruments"), "lab"),
    NavItem("reports.queue", _l("Reports to issue"), "reports"),
    NavItem("reports.report_list", _l("Reports"), "reports"),
    NavItem("stats.summary", _l("Pass rates"), "reports"),
    NavItem("stats.announcement", _l("Unqualified-product announcement"), "reports"),
    NavItem("stats.risk_notices", _l("Risk-monitoring problem samples"), "reports"),
    NavItem("risk.signal_list", _l("Risk signals"), "reports"),
    NavItem("followup.followup_list", _l("Unqualified follow-up"), "followup"),
    NavItem("followup.board", _l("Deadline board"), "followup"),
    NavItem("followup.retest_labs", _l("Retest labs"), "followup"),
    NavItem("followup.period_list", _l("Statutory periods"), "followup"),
    NavItem("grading.grade_list", _l("Enterprise risk grades"), "followup"),
    NavItem("grading.proposal_list", _l("Risk-based plan proposals"), "sampling"),
    NavItem("backups.this_week", _l("Retest backups"), "lab"),
    NavItem("webhooks.index", _l("Webhooks"), "admin"),
]


# Feature commands for the ``labsys`` group: name -> "module:attribute", imported only when
# the command runs (``labsys.cli.LazyCommands``).
CLI_COMMANDS = {
    "catalog": "labsys.commands.catalog:catalog_group",
    "stats": "labsys.commands.stats:stats_command",
    "export": "labsys.commands.stats:export_command",
    "report": "labsys.commands.reports:report_group",
    "import": "labsys.commands.results:import_group",
    "demo": "labsys.commands.demo:demo_command",
    "api-token": "labsys.commands.api:api_token_group",
    "webhooks": "labsys.commands.api:webhooks_group",
    "retest-labs": "labsys.commands.followup:retest_labs_group",
    "retest-backups": "labsys.commands.retest_backups:retest_backups_group",
    "risk": "labsys.commands.risk:risk_group",
}


def INIT_STEPS():  # noqa: N802
    """(label, callable(session) -> str | None) run by ``labsys init``; each idempotent."""
    from labsys.services import calendar, catalog, reference

    return [
        ("regions", reference.seed_regions),
        ("labs", reference.seed_default_lab),
        ("holidays", calendar.seed_holidays),
        ("catalog", catalog.load_reference_catalog),
    ]


def DEMO_LOADER():  # noqa: N802
    """The callable(session) -> summary text that fills an empty database for the quick
    start (None when it already holds data)."""
    from labsys.commands.demo import load_quickstart_demo

    return load_quickstart_demo
