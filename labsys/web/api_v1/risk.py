"""/api/v1/risk: risk early warning (issue 17 §4) for other systems, as ``labsys risk``."""

from __future__ import annotations

from flask import current_app
from marshmallow import fields, validate

from labsys.extensions import db
from labsys.models import Role
from labsys.services import risk
from labsys.web.access import token_required
from labsys.web.api_v1.core import blueprint
from labsys.web.api_v1.schemas import Day, Nullable, Strict

risk_bp = blueprint("api_risk", "/risk", "Risk early warning: signals")
READERS = (Role.SUPERVISOR,)  # as /risk; not the administrator (issue 18 §1)


class SignalArgs(Strict):
    scope = fields.String(validate=validate.OneOf(risk.SCOPES))
    all = fields.Boolean(
        load_default=False, metadata={"description": "every key tested, not only signals"}
    )
    limit = fields.Integer(validate=validate.Range(min=1, max=1000), load_default=100)


class MonthOut(Strict):
    month = fields.String(required=True)
    samples = fields.Integer(required=True)
    unqualified = fields.Integer(required=True)
    ewma = Nullable(fields.Float(required=True))
    upper = Nullable(fields.Float(required=True))


class SignalOut(Strict):
    scope = fields.String(required=True, validate=validate.OneOf(risk.SCOPES))
    key = fields.String(required=True)
    name = fields.String(required=True)
    samples = fields.Integer(required=True)
    unqualified = fields.Integer(required=True)
    rate = fields.Float(required=True)
    score = fields.Float(required=True)
    signalled = fields.Boolean(required=True)
    kinds = fields.List(fields.String(), required=True)
    reason = fields.String(required=True)
    window_start = Day(required=True)
    history_samples = fields.Integer(required=True)
    history_unqualified = fields.Integer(required=True)
    history_rate = Nullable(fields.Float(required=True))
    peer_samples = fields.Integer(required=True)
    peer_unqualified = fields.Integer(required=True)
    peer_rate = Nullable(fields.Float(required=True))
    posterior_mean = fields.Float(required=True)
    interval_low = fields.Float(required=True)
    interval_high = fields.Float(required=True)
    baseline = fields.Float(required=True)
    baseline_kind = fields.String(required=True)
    evidence = fields.Float(required=True)
    hazard_weight = fields.Float(required=True)
    test = fields.String(required=True)
    p_history = fields.Float(required=True)
    p_peers = fields.Float(required=True)
    p_trend = fields.Float(required=True)
    p_value = fields.Float(required=True)
    q_value = fields.Float(required=True)
    samples_filter = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    series = fields.List(fields.Nested(MonthOut), required=True)


@risk_bp.route("/signals")
@risk_bp.arguments(SignalArgs, location="query")
@risk_bp.response(200, SignalOut(many=True))
@token_required(*READERS)
def signal_list(args):
    """Ranked risk signals with their evidence (``labsys risk signals --format json``)."""
    found = risk.compute_signals(
        db.session,
        risk.Settings.from_config(current_app.config),
        scopes=[args["scope"]] if args.get("scope") else risk.SCOPES,
    )
    if not args["all"]:
        found = risk.signalled(found)
    return [{**s.as_json(), "window_start": s.window_start} for s in found[: args["limit"]]]
