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


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_an_english_string_translated_two_ways_is_reported_and_stops_the_build(
    tmp_path, monkeypatch, capsys
):
    """gettext keys by the English alone: two translations of one string would leave the
    catalog with whichever file sorts last, silently."""
    zh = tmp_path / "translations" / "zh"
    _write(zh, "a.json", '{"Open": "打开", "Close": "关闭"}')
    _write(zh, "b.json", '{\n"Open": "进行中",\n"Close": "关闭"\n}')  # the same: no conflict
    _write(zh, "c.json", '{"Save": "保存", "Save": "存储"}')  # twice in one file
    script = _i18n_script()
    found = script.conflicts(zh)
    assert len(found) == 2
    assert found[0].startswith("'Open' is translated 2 ways")
    assert "'打开' (a.json)" in found[0] and "'进行中' (b.json)" in found[0]
    assert "'保存' (c.json); '存储' (c.json)" in found[1]
    try:
        script.load_table(zh)
    except ValueError as error:
        assert "'Open'" in str(error)
    else:
        raise AssertionError("a conflict must not load")

    monkeypatch.setattr(script, "TRANSLATIONS", zh.parent)
    monkeypatch.setattr(script, "LOCALE_DIR", tmp_path / "out")
    monkeypatch.setattr(script, "POT", tmp_path / "messages.pot")
    assert script.main() == 1
    out = capsys.readouterr().out
    assert "conflict: 'Open'" in out and "2 strings translated two ways" in out
    assert not (tmp_path / "out").exists()  # nothing was built


def test_no_english_string_has_two_chinese_translations():
    assert _i18n_script().conflicts() == []


def test_every_translation_of_the_types_feature_is_used(tmp_path, monkeypatch):
    """An entry no wrapped string uses is dead weight that misleads whoever edits it."""
    script = _i18n_script()
    monkeypatch.setattr(script, "POT", tmp_path / "messages.pot")
    assert [english for name, english in script.unused() if name == "types.json"] == []
