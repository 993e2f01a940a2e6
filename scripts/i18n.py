"""Rebuild the Chinese catalog: extract every wrapped string, apply the translations kept in
``labsys/translations/zh/*.json`` (one file per feature: {"English source": "中文"}), and
compile.  Run it with ``make translations``; it prints the strings still untranslated.

The JSON files are the source of truth, so features can add translations without editing
one shared .po file at the same time.
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


def load_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for path in sorted((TRANSLATIONS / "zh").glob("*.json")):
        table.update(json.loads(path.read_text(encoding="utf-8")))
    return table


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


def build() -> list[str]:
    extract()
    with POT.open("rb") as f:
        catalog = read_po(f)  # the template: two plural forms, as English has
    catalog.locale = "zh_Hans_CN"  # one plural form from here on
    table = load_table()
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
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


if __name__ == "__main__":
    untranslated = build()
    for key in untranslated:
        print(f"untranslated: {key!r}")
    print(f"{len(untranslated)} untranslated strings")
