"""Screenshots of each role's home and work queues at 1,366 px width, against the demo data.

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
                                                         [--samples 300] [--reuse]

Builds a demo database (``labsys init``, the first administrator, ``labsys demo``) in a
temporary instance folder (``--reuse`` keeps it in build/screenshots for the next run), serves
it on 127.0.0.1 in a thread, logs in as each role's demo user in Debian's Chromium (the flags
of the browser tests) and saves the first screen (1,366 × 900) of each page: ``<role>-<page>.png``.  Look at
them: wrapping, overlap and overflow show at a glance.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH, HEIGHT = 1366, 900
ADMIN_PASSWORD = "screenshots-admin-2026"

# role: (demo user, [(name, path)])
PAGES = {
    "sampler": ("sampler1", [("home", "/"), ("my-samples", "/sampling/mine")]),
    "technician": (
        "tech1",
        [("home", "/"), ("receipt", "/lab/receipt/"), ("my-work", "/lab/work")],
    ),
    "reviewer": ("reviewer1", [("home", "/"), ("review", "/lab/review")]),
    "supervisor": (
        "supervisor1",
        [
            ("home", "/"),
            ("reports-queue", "/reports/queue"),
            ("followup", "/followup/"),
            ("followup-by-due-date", "/followup/?sort=due"),
            ("deadline-board", "/followup/board"),
        ],
    ),
    "admin": ("admin", [("home", "/"), ("users", "/admin/users")]),
}


def build(instance: Path, samples: int) -> str:
    """A demo database in ``instance`` (reused when it is there); returns its URL."""
    from flask_migrate import upgrade

    from labsys.demo import has_samples, load_demo
    from labsys.extensions import db
    from labsys.features import INIT_STEPS
    from labsys.models import Role
    from labsys.services import users
    from labsys.services.access import SYSTEM

    url = f"sqlite:///{instance / 'labsys.sqlite3'}"
    app = make_app(instance, url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for _name, step in INIT_STEPS():
            step(db.session)
        if users.get_by_username(db.session, "admin") is None:
            users.create_user(
                db.session,
                SYSTEM,
                username="admin",
                password=ADMIN_PASSWORD,
                roles=[Role.ADMIN],
                full_name="系统管理员",
            )
        if not has_samples(db.session):
            print(f"demo year of {samples} samples ...", flush=True)
            load_demo(db.session, samples=samples, seed=2019, reports=60)
        db.session.commit()
    return url


def make_app(instance: Path, url: str):
    from labsys import create_app

    return create_app(
        {
            "SECRET_KEY": "screenshots-only-" + "x" * 32,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )


def serve(app) -> tuple[str, object]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def shoot(base_url: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from labsys.demo.world import DEMO_PASSWORD

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, (username, pages) in PAGES.items():
            context = browser.new_context(
                base_url=base_url, locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT}
            )
            page = context.new_page()
            page.goto("/login")
            page.fill("input[name=username]", username)
            page.fill(
                "input[name=password]", ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD
            )
            page.click("#login-submit")
            page.wait_for_url(lambda url: "/login" not in url)
            for name, path in pages:
                response = page.goto(path)
                status = response.status if response else 0
                target = out / f"{role}-{name}.png"
                page.screenshot(path=str(target))  # the first screen, as the user sees it
                width = page.evaluate("document.documentElement.scrollWidth")
                overflow = " (wider than the window!)" if width > WIDTH else ""
                print(f"{target.relative_to(ROOT)}  HTTP {status}  {width} px{overflow}")
                saved.append(target)
            context.close()
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--reuse", action="store_true", help="keep the demo in build/screenshots")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (install Debian's chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    if args.reuse:
        instance = ROOT / "build" / "screenshots"
        instance.mkdir(parents=True, exist_ok=True)
    else:
        instance = Path(tempfile.mkdtemp(prefix="labsys-screenshots-"))
    try:
        url = build(instance, args.samples)
        base_url, server = serve(make_app(instance, url))
        try:
            shoot(base_url, args.out)
        finally:
            server.shutdown()
    finally:
        if not args.reuse:
            shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
