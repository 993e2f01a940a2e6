"""Chinese is the default language: every wrapped string has a Chinese translation, and the
compiled catalog the app loads is the one the translations produce."""

import importlib.util
from pathlib import Path

from babel.messages.mofile import read_mo

ROOT = Path(__file__).resolve().parents[2]


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _key(text):
    """Plural messages (ngettext) come back as lists: compare them as tuples."""
    return tuple(text) if isinstance(text, list | tuple) else text


def test_every_string_has_a_chinese_translation(tmp_path, monkeypatch):
    script = _i18n_script()
    monkeypatch.setattr(script, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(script, "POT", tmp_path / "messages.pot")
    assert script.build() == []


def test_the_compiled_catalog_is_up_to_date(tmp_path, monkeypatch):
    script = _i18n_script()
    monkeypatch.setattr(script, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(script, "POT", tmp_path / "messages.pot")
    script.build()
    committed = ROOT / "labsys/translations/zh_Hans_CN/LC_MESSAGES/messages.mo"
    with committed.open("rb") as f:
        shipped = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    with (tmp_path / "messages.mo").open("rb") as f:
        fresh = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert shipped == fresh, "run `make translations` and commit the catalog"
