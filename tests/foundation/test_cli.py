"""The foundation's commands, as an operator runs them."""

from sqlalchemy import func, select

from labsys.models import Role, User
from labsys.services import users


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_reads_the_password_from_stdin(app, db):
    result = _run(
        app,
        "create-user",
        "li",
        "--role",
        "technician",
        "--role",
        "reviewer",
        input="good-pass-42\n",
    )
    assert result.exit_code == 0, result.output
    user = users.authenticate(db.session, "li", "good-pass-42")
    assert user.roles == {Role.TECHNICIAN, Role.REVIEWER}


def test_create_user_refuses_a_weak_password_and_saves_nothing(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-user", "li", "--role", "sampler"],
        input="123\n",
        env={"LABSYS_CLI_LANGUAGE": "zh"},
    )
    assert result.exit_code == 1
    assert "错误：密码至少需要 8 个字符" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_has_no_password_option(app):
    result = _run(app, "create-user", "li", "--role", "sampler", "--password", "x")
    assert result.exit_code != 0 and "No such option" in result.output


def test_init_is_idempotent(app, db):
    first = _run(app, "init")
    second = _run(app, "init")
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "regions: up to date" in second.output
