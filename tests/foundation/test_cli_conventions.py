"""Issue 20: what a newcomer meets on the command line — the version, the options offered,
exit statuses (0 done, 1 failed, 2 wrong usage), one language per run, plurals, a
database that cannot be reached, the first password, progress output."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from labsys.cli import main
from labsys.models import Role, User
from labsys.services import users

from support import TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _run(app, *args, input=None, **env):
    return app.test_cli_runner().invoke(args=list(args), input=input, env=env or None)


def _labsys(tmp_path, *args, **env):
    """``labsys ...`` as installed: the real entry point, its own app from the environment."""
    environment = {
        "LABSYS_SECRET_KEY": TEST_SECRET,
        "LABSYS_INSTANCE_PATH": str(tmp_path),
        "LABSYS_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        **env,
    }
    return CliRunner().invoke(main, list(args), env=environment)


def test_version_is_labsys_own(tmp_path):
    from importlib.metadata import version

    result = _labsys(tmp_path, "--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"labsys {version('labsys')}"
    assert "Flask" not in result.output


def test_flask_options_that_do_not_work_are_not_offered(tmp_path):
    result = _labsys(tmp_path, "--help")
    assert result.exit_code == 0, result.output
    for option in ("--env-file", "--app", "--debug"):
        assert option not in result.output
    assert "Exit status: 0 done, 1 failed (nothing changed), 2 wrong usage." in result.output
    refused = _labsys(tmp_path, "--env-file", "x.env", "init")
    assert refused.exit_code == 2 and "No such option" in refused.output


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["init", "--bogus"], 2),
        (["create-user", "li"], 2),  # --role missing
        (["stats", "--by", "colour"], 2),
        (["export", "samples", "--format", "pdf", "-o", "x.pdf"], 1),
        (["catalog", "show", "NOPE"], 1),
        (["report", "pdf", "JC-NONE", "-o", "x.pdf"], 1),
        (["import", "results", "missing.csv", "--as", "tech"], 2),  # no such file
        (["report", "issue", "SC-NONE", "--as", "ghost"], 1),
        (["audit", "verify"], 0),
        (["stats"], 0),
    ],
)
def test_exit_statuses_follow_the_readme(app, db, args, status):
    result = _run(app, *args)
    assert result.exit_code == status, result.output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "exit status 0 when done, 1 on a failure" in readme


def test_the_whole_run_speaks_one_language(app, db, monkeypatch):
    english = _run(app, "create-user", "li", "--role", "sampler", input="123\n")
    assert english.exit_code == 1
    assert "error: The password must be at least 8 characters long." in english.output
    assert not CJK.search(english.output), english.output
    chinese = _run(
        app, "create-user", "li", "--role", "sampler", input="123\n", LABSYS_CLI_LANGUAGE="zh"
    )
    assert chinese.output.strip() == "错误：密码至少需要 8 个字符。"
    # Without the setting, the terminal's language decides.
    monkeypatch.delitem(app.config, "CLI_LANGUAGE", raising=False)
    for lang, expected in (
        ("zh_CN.UTF-8", "错误：密码至少需要 8 个字符。"),
        ("C.UTF-8", "error: The"),
    ):
        result = _run(
            app,
            "create-user",
            "li",
            "--role",
            "sampler",
            input="123\n",
            LABSYS_CLI_LANGUAGE=None,
            LC_ALL=None,
            LC_MESSAGES=None,
            LANG=lang,
        )
        assert result.output.startswith(expected), result.output
    done = _run(app, "catalog", "load", LABSYS_CLI_LANGUAGE="zh")
    assert done.exit_code == 0 and "error" not in done.output


def test_counts_of_one_are_singular(app, db, make_user):
    make_user("solo", Role.SAMPLER)
    result = _run(app, "audit", "verify")
    assert result.output.splitlines()[0] == "audit trail intact: 1 entry"
    assert result.output.splitlines()[2] == "0 reports and 0 results agree with the trail"
    created = _run(app, "create-user", "li", "--role", "sampler", input="good-pass-42\n")
    assert "created user li with the role sampler" in created.output


def test_the_demo_summary_uses_plurals():
    from types import SimpleNamespace

    from labsys.commands.demo import describe

    summary = SimpleNamespace(
        samples=1,
        visits=1,
        results=1,
        concluded=1,
        unqualified=0,
        seconds=1.0,
        extra={"reports": 1, "followups": 0},
        key_food_rate=None,
    )
    text = describe(summary)
    assert "1 sample, 1 visit, 1 result," in text and "1 report issued, 0 follow-ups" in text


def test_a_missing_database_is_one_clear_line(tmp_path):
    result = _labsys(
        tmp_path, "init", LABSYS_DATABASE_URL="sqlite:////nonexistent-folder/labsys.sqlite3"
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the database sqlite:////nonexistent")
    assert "Traceback" not in result.output


def test_an_unreachable_postgresql_is_one_clear_line(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/labsys_missing"
    result = _labsys(tmp_path, "init", LABSYS_DATABASE_URL=url)
    assert result.exit_code == 1
    assert result.output.strip().startswith(f"error: the database {url} cannot be used: ")
    assert len(result.output.strip().splitlines()) == 1


def test_a_missing_secret_key_is_one_clear_line(tmp_path):
    result = _labsys(tmp_path, "init", LABSYS_SECRET_KEY="")
    assert result.exit_code == 1
    assert result.output.startswith("error: SECRET_KEY is missing") and "Traceback" not in (
        result.output
    )


def test_the_first_password_is_forgotten_once_the_admin_changes_it(app, db):
    first = _run(app, "quickstart", "--no-demo")
    assert first.exit_code == 0, first.output
    password = re.search(r"first login: user admin, password (\S+)", first.output).group(1)
    kept = users.initial_password_file()
    assert kept.read_text() == password
    admin = users.get_by_username(db.session, "admin")
    users.change_password(
        db.session, admin, admin, new_password="a-new-secret-9", current_password=password
    )
    db.session.commit()
    assert not kept.exists()
    again = _run(app, "quickstart", "--no-demo")
    assert again.exit_code == 0 and "first login" not in again.output


def test_a_stale_kept_password_is_never_printed(app, db):
    _run(app, "quickstart", "--no-demo")
    admin = users.get_by_username(db.session, "admin")
    admin.password_hash = users.hash_password("changed-elsewhere-1")  # e.g. an older release
    db.session.commit()
    again = _run(app, "quickstart", "--no-demo")
    assert "first login" not in again.output
    assert not users.initial_password_file().exists()
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_long_commands_stay_line_based_off_a_terminal(app, db):
    result = _run(app, "demo", "--samples", "6", "--reports", "2", "--year", "2026")
    assert result.exit_code == 0, result.output
    assert "writing samples" in result.output and "issuing reports" in result.output
    assert "#" not in result.output and "\r" not in result.output  # no bar drawn on a pipe
    assert "6 samples" in result.output


def test_the_demo_default_is_one_number_everywhere():
    from labsys.commands.demo import demo_command
    from labsys.demo.generator import DEFAULT_SAMPLES

    option = next(p for p in demo_command.params if p.name == "samples")
    assert option.default == DEFAULT_SAMPLES == 300
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "300 samples" in readme and "600" not in readme


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_clean_removes_build_and_test_leftovers(tmp_path):
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    leftovers = [
        "bench/out/db.sqlite3",
        "labsys.egg-info/PKG-INFO",
        "build/x.py",
        "dist/labsys.whl",
        ".pytest_cache/x",
        ".hypothesis/x",
        "test-artifacts/x.png",
    ]
    for name in [*leftovers, "instance/labsys.sqlite3", "bench/common.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    subprocess.run(["make", "-s", "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert [n for n in leftovers if (tmp_path / n).parent.exists()] == []
    assert (tmp_path / "instance/labsys.sqlite3").exists(), "never the database"
    assert (tmp_path / "bench/common.py").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_what_it_does_and_links_to_the_port_served():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABSYS_", "MAKE"))}
    out = subprocess.run(
        ["make", "-n", "run", "PORT=8123"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "--port 8123" in out and "http://127.0.0.1:8123" in out
    assert "--quiet" not in out
    assert out.count("echo") >= 3
