"""Helpers of the audit tests: real work through the services, and a tamperer."""

from __future__ import annotations

from sqlalchemy import text

from labsys.extensions import db
from labsys.models import ResultStatus, Role
from labsys.services import reports, results, signatories
from labsys.services.access import SYSTEM

from support import signed

BASE_URL = "http://labsys.test"


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def tamper(sql: str, **params) -> None:
    """Change the database behind the application's back, as someone with direct access
    would.  On PostgreSQL the audit table's trigger refuses that to everyone but a
    superuser, who can skip ordinary triggers for a transaction: the attacker here is one."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    db.session.execute(text(sql), params)
    db.session.commit()


class Lab:
    """A technician, a reviewer and a supervisor doing real work through the services."""

    def __init__(self, make_user, make_sample, make_item, make_category):
        self.tech = make_user("tech", Role.TECHNICIAN)
        self.reviewer = make_user("rev", Role.REVIEWER)
        self.boss = make_user("boss", Role.SUPERVISOR)
        self.make_sample = make_sample
        self.category = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
        self.lead = make_item("铅(以Pb计)", "mg/kg")
        signatories.authorise(
            db.session, SYSTEM, self.boss, category_ids=[self.category.ancestor_ids[0]]
        )
        db.session.commit()

    def reported_sample(self, value: str = "0.05"):
        """A sample whose lead result was entered, reviewed, and reported: returns the report."""
        sample = self.make_sample(
            self.category,
            [{"test_item": self.lead, "limit_text": "≤0.2", "judgement_basis": "GB 2762-2022"}],
        )
        result = sample.results[0]
        results.enter_result(
            db.session, self.tech, result, measured_text=value, expected_version=result.version_id
        )
        results.submit_results(db.session, self.tech, [result])
        results.review_result(
            db.session, self.reviewer, result, accept=True, signature=signed(self.reviewer)
        )
        assert result.status == ResultStatus.ACCEPTED
        report = reports.issue_report(
            db.session,
            self.boss,
            sample,
            base_url=BASE_URL,
            signature=signed(self.boss, "approval"),
        )
        db.session.commit()
        return report
