"""Benchmark: list pages at scale, first page and a deep page, through the real views.

    python bench/bench_lists.py [--samples 1000000] [--engines sqlite postgresql]
                                [--runs 5] [--only LABEL ...] [--smoke]

Each page is requested through Flask's test client as a logged-in user of the right role
(the whole request: routing, access check, queries, template), median of ``--runs`` after a
warm-up.  "Deep" pages start after a key in the middle of the table (keyset pagination: no
OFFSET, so depth should not matter).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from urllib.parse import quote

from common import machine, make_app, median_time, prepare, smoke_args

from labsys.database import write_intent

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def login(app, username: str):
    from labsys.demo.world import DEMO_PASSWORD

    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post(
        "/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, f"cannot log in as {username}"
    return client


class TokenClient:
    """The test client calling /api/v1 with a bearer token (the API reads no cookie)."""

    def __init__(self, app, username: str):
        from labsys.extensions import db
        from labsys.services import api_tokens, users
        from labsys.services.access import SYSTEM

        with app.app_context():
            user = users.get_by_username(db.session, username)
            secret = api_tokens.create_token(db.session, SYSTEM, user, scope="read").secret
            db.session.commit()
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {secret}"}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)


def _q(text: str) -> str:
    return quote(text, safe="")


def pages(db) -> list[tuple[str, str, str]]:
    """(label, user, path) for every list page worth measuring."""
    from sqlalchemy import func, select

    from labsys.models import Report, SampleResult, TestItem

    mid_sample = db.session.execute(select(func.max(SampleResult.sample_id))).scalar() // 2
    item_id = db.session.scalar(
        select(SampleResult.test_item_id)
        .group_by(SampleResult.test_item_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    assert db.session.get(TestItem, item_id)
    mid_result = db.session.scalar(select(func.max(SampleResult.id))) // 2
    mid_report = (db.session.scalar(select(func.max(Report.id))) or 0) // 2 or 1
    return [
        ("samples, first page", "supervisor1", "/sampling/samples"),
        ("samples, deep page", "supervisor1", f"/sampling/samples?after={mid_sample}"),
        ("samples, one district", "supervisor1", "/sampling/samples?region_code=110105"),
        ("samples, search by number", "supervisor1", "/sampling/samples?q=SC2026110108"),
        ("my samples (sampler)", "sampler1", "/sampling/mine"),
        ("lab work queue", "tech1", "/lab/work"),
        ("lab work queue, by due date", "tech1", "/lab/work?sort=due"),
        ("lab work queue, overdue", "tech1", "/lab/work?due=overdue&sort=due"),
        ("receipt queue, by due date", "tech1", "/lab/receipt/?sort=due"),
        ("review queue", "reviewer1", "/lab/review"),
        ("review queue, by due date", "reviewer1", "/lab/review?sort=due"),
        ("review queue, searched", "reviewer1", "/lab/review?q=%E5%B0%8F%E9%BA%A6%E7%B2%89"),
        # Free-text search (issue #19 §3, #16): 3+ characters use the trigram indexes; 1-2
        # characters (no trigram) walk the list's order until a page is found, so a
        # frequent one is cheap and a rare one (here: none) reads the whole table.
        ("samples, search 3 chars", "supervisor1", f"/sampling/samples?q={_q('小麦粉')}"),
        ("samples, search 2 chars", "supervisor1", f"/sampling/samples?q={_q('大米')}"),
        ("samples, search 1 char", "supervisor1", f"/sampling/samples?q={_q('米')}"),
        ("samples, search none (6)", "supervisor1", f"/sampling/samples?q={_q('不存在的食品')}"),
        ("samples, search none (2)", "supervisor1", f"/sampling/samples?q={_q('无此')}"),
        ("lab work queue, search", "tech1", f"/lab/work?q={_q('小麦粉')}"),
        ("reports, search", "supervisor1", f"/reports?q={_q('小麦粉')}"),
        ("enterprises, search", "supervisor1", f"/enterprises/?q={_q('生鲜超市')}"),
        ("API samples, search number", "api:supervisor1", "/api/v1/samples?q=SC20261101080100001"),
        ("home dashboard, supervisor", "supervisor1", "/"),
        ("home dashboard, technician", "tech1", "/"),
        ("home dashboard, reviewer", "reviewer1", "/"),
        ("worksheet, first page", "tech1", f"/lab/worksheet/{item_id}"),
        ("worksheet, deep page", "tech1", f"/lab/worksheet/{item_id}?after={mid_result}"),
        ("reports", "supervisor1", "/reports"),
        ("reports queue", "supervisor1", "/reports/queue"),
        ("reports queue, by due date", "supervisor1", "/reports/queue?sort=due"),
        ("samples, one category (chart)", "supervisor1", "/sampling/samples?category=1:1"),
        (
            "samples, key foods of a month (chart)",
            "supervisor1",
            "/sampling/samples?key_foods=1&date_from=2026-03-01&date_to=2026-03-31",
        ),
        ("enterprises", "supervisor1", "/enterprises/"),
        ("deadline board", "supervisor1", "/followup/board"),
        ("follow-up list", "supervisor1", "/followup/"),
        ("follow-up list, by due date", "supervisor1", "/followup/?sort=due"),
        ("follow-up list, overdue", "supervisor1", "/followup/?due=overdue&sort=due"),
        ("follow-up list, searched", "supervisor1", "/followup/?q=%E5%B0%8F%E9%BA%A6%E7%B2%89"),
        ("follow-up list, one district", "supervisor1", "/followup/?region=110105"),
        ("pass rates page", "supervisor1", "/stats/"),
        # The REST API's lists (a bearer token instead of the login): JSON, keyset pages.
        ("API samples, first page", "api:supervisor1", "/api/v1/samples"),
        ("API samples, deep page", "api:supervisor1", f"/api/v1/samples?after={mid_sample}"),
        ("API samples, one district", "api:supervisor1", "/api/v1/samples?region_code=110105"),
        ("API samples (sampler)", "api:sampler1", "/api/v1/samples"),
        (
            "API samples, filtered page",
            "api:supervisor1",
            "/api/v1/samples?status=concluded&date_from=2026-03-01&date_to=2026-09-30",
        ),
        (
            "API samples, filtered deep",
            "api:supervisor1",
            f"/api/v1/samples?status=concluded&conclusion=qualified&after={mid_sample}",
        ),
        (
            "API samples, food name",
            "api:supervisor1",
            "/api/v1/samples?q=%E5%B0%8F%E9%BA%A6%E7%B2%89",
        ),
        ("API reports", "api:supervisor1", "/api/v1/reports"),
        ("API reports, deep page", "api:supervisor1", f"/api/v1/reports?after={mid_report}"),
        ("API follow-ups", "api:supervisor1", "/api/v1/followups"),
        ("API follow-ups, deep page", "api:supervisor1", f"/api/v1/followups?after={mid_sample}"),
        ("API enterprises search", "api:supervisor1", "/api/v1/enterprises?q=北京"),
    ]


def _cpu_median(fn, runs: int) -> float:
    """Median CPU seconds of this process per call (steadier than wall time on a busy
    machine; the database's own work on PostgreSQL is in another process and not counted)."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times)


def measure(
    engine: str, samples: int, runs: int, only: list[str] | None = None
) -> list[tuple[str, float, float, int]]:
    app = make_app(prepare(engine, samples))
    write_intent.set(False)
    with app.app_context():
        from labsys.extensions import db

        todo = [page for page in pages(db) if not only or any(word in page[0] for word in only)]
        db.session.rollback()
    clients: dict[str, object] = {}
    out = []
    for label, user, path in todo:
        if user not in clients:
            api_user = user.removeprefix("api:")
            clients[user] = TokenClient(app, api_user) if api_user != user else login(app, user)
        client = clients[user]
        status = client.get(path).status_code
        seconds, _ = median_time(lambda c=client, p=path: c.get(p).get_data(), runs)
        cpu = _cpu_median(lambda c=client, p=path: c.get(p).get_data(), runs)
        out.append((label, seconds, cpu, status))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="+", help="pages whose label contains one of these")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.engines, args.runs = [300], ["sqlite"], 1
    print(machine())
    for samples in args.samples:
        for engine in args.engines:
            print(f"\n{engine}, {samples} samples")
            for label, seconds, cpu, status in measure(engine, samples, args.runs, args.only):
                print(
                    f"  {label:<28}{seconds * 1000:>9.1f} ms  CPU {cpu * 1000:>7.1f} ms"
                    f"   HTTP {status}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
