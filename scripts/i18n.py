"""Rebuild the Chinese catalog: extract every wrapped string, apply the translations kept in
``labsys/translations/zh/*.json`` (one file per feature: {"English source": "中文"}), and
compile.  Run it with ``make translations``; it prints the strings still untranslated and
the translations no wrapped string uses any more.

The JSON files are the source of truth, so features can add translations without editing
one shared .po file at the same time.  One English string has one Chinese translation: a
string translated two different ways (in two files, or twice in one) is a conflict, and the
script stops (exit status 1) before building, naming the string, both translations and
their files.  gettext keys by the English text alone, so whichever file came last would
otherwise win silently; where the English means two things, give each its own wording.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "labsys" / "translations"
LOCALE_DIR = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES"
POT = TRANSLATIONS / "messages.pot"


def _pairs(path: Path) -> list[tuple[str, str]]:
    """The file's (English, Chinese) pairs in order, a key given twice kept twice."""
    pairs: list[tuple[str, str]] = json.loads(
        path.read_text(encoding="utf-8"), object_pairs_hook=list
    )
    return pairs


def translations(directory: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """English → {Chinese → the files giving it}, over every ``*.json`` in ``directory``."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted((directory or TRANSLATIONS / "zh").glob("*.json")):
        for english, chinese in _pairs(path):
            found.setdefault(english, {}).setdefault(chinese, []).append(path.name)
    return found


def conflicts(directory: Path | None = None) -> list[str]:
    """One line per English string translated two (or more) different ways."""
    lines = []
    for english, ways in translations(directory).items():
        if len(ways) > 1:
            given = "; ".join(
                f"{chinese!r} ({', '.join(files)})" for chinese, files in ways.items()
            )
            lines.append(f"{english!r} is translated {len(ways)} ways: {given}")
    return lines


def load_table(directory: Path | None = None) -> dict[str, str]:
    """English → Chinese; a ValueError names the conflicts if a string has two translations."""
    problems = conflicts(directory)
    if problems:
        raise ValueError("\n".join(problems))
    return {english: next(iter(ways)) for english, ways in translations(directory).items()}


def extract() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "-o",
            str(POT),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )


def wrapped_strings() -> set[str]:
    """The English of every wrapped string in the code and templates (extracted afresh)."""
    extract()
    with POT.open("rb") as f:
        catalog = read_po(f)
    POT.unlink()
    return {_key(message.id) for message in catalog if message.id}


def _key(message_id) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def unused(directory: Path | None = None) -> list[tuple[str, str]]:
    """(file, English) of each translation no wrapped string uses."""
    used = wrapped_strings()
    return [
        (next(iter(ways.values()))[0], english)
        for english, ways in translations(directory).items()
        if english not in used
    ]


def build() -> list[str]:
    table = load_table()  # before anything is written: a conflict stops the build
    extract()
    with POT.open("rb") as f:
        catalog = read_po(f)  # the template: two plural forms, as English has
    catalog.locale = "zh_Hans_CN"  # one plural form from here on
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = _key(message.id)
        if key in table:
            # A plural message has one form per plural of the language (Chinese: one).
            plural = isinstance(message.id, tuple | list)
            message.string = (table[key],) * catalog.num_plurals if plural else table[key]
        else:
            missing.append(key)
    catalog.fuzzy = False
    LOCALE_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCALE_DIR / "messages.po").open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False)
    with (LOCALE_DIR / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    POT.unlink()
    return missing


def main() -> int:
    problems = conflicts()
    if problems:
        for line in problems:
            print(f"conflict: {line}")
        print(f"{len(problems)} strings translated two ways: give each one translation")
        return 1
    untranslated = build()
    for key in untranslated:
        print(f"untranslated: {key!r}")
    print(f"{len(untranslated)} untranslated strings")
    left_over = unused()
    for name, english in left_over:
        print(f"unused: {name}: {english!r}")
    print(f"{len(left_over)} translations no wrapped string uses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
