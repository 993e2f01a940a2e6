"""Where the app finds its templates, migrations and instance folder: at the top of the
checkout in development, inside the package when installed from a wheel (setup.py maps the
top-level folders there; scripts/check_wheel.sh installs a real wheel and serves a page)."""

import sys
from pathlib import Path

import labsys


def test_a_checkout_reads_the_top_level_folders():
    assert not labsys.is_installed()
    assert labsys.resource_dir("templates") == labsys.PROJECT_ROOT / "templates"
    assert (labsys.resource_dir("templates") / "base.html").is_file()
    assert (labsys.resource_dir("migrations") / "env.py").is_file()
    assert labsys.default_instance_path() == labsys.PROJECT_ROOT / "instance"


def test_an_installed_package_reads_its_own_copies(monkeypatch, tmp_path):
    package = tmp_path / "site-packages" / "labsys"
    for folder in ("templates", "migrations"):
        (package / folder).mkdir(parents=True)
    monkeypatch.setattr(labsys, "PACKAGE_DIR", package)

    assert labsys.is_installed()
    assert labsys.resource_dir("templates") == package / "templates"
    assert labsys.resource_dir("migrations") == package / "migrations"
    # Never next to site-packages: Flask's place for an installed app's instance folder.
    assert labsys.default_instance_path() == Path(sys.prefix) / "var" / "labsys-instance"


def test_the_app_uses_the_resolved_folders(app):
    assert Path(app.template_folder) == labsys.resource_dir("templates")
    assert Path(app.extensions["migrate"].directory) == labsys.resource_dir("migrations")
