"""The sampling form's coded fields: product standard numbers, the food production licence
number, money.  Pure rules (no database), each normalising what a sampler types.

**Product standard number (执行标准/产品标准号).**  As printed on a label (GB 7718-2011
§4.1.10.1 requires the product standard code on domestic prepackaged food *(verify)*): a
code, a number, a hyphen and the year of the edition:

- national: ``GB 2760-2024``, ``GB/T 1355-2021``, ``GB/Z 21922-2008``;
- sector (行业标准): two or three capitals, optionally ``/T``: ``NY/T 1234-2006``,
  ``SB/T 10416-2007``, ``LS/T 3311-2017``, ``NY 5073-2006``;
- local (地方标准): ``DB11/T 1234-2015``, local food-safety standards ``DBS11/ 002-2016``;
- group (团体标准): ``T/CCAA 0001-2020``;
- enterprise (企业标准): ``Q/`` and the enterprise's code, then the number; food enterprise
  standards end the number with ``S`` (``Q/WDL 0001S-2020``).

The number may have parts (``GB 5009.12-2023``) and the year must be four digits, from
1950 to next year.  Full-width characters, a long dash (—, －, –) for the hyphen and
missing or doubled spaces are normalised to the printed form (``GB/T 1355-2021``).  A
form can list several standards separated by ``、`` ``,`` ``;`` or ``，``; "/" means none.

**Food production licence number (生产许可证编号).**  "SC" and 14 digits (CFDA Order No. 16
(2015) 《食品生产许可管理办法》 Art. 29, kept by SAMR Order No. 24 (2020) *(verify the
article)*): a food/additive digit (1 food, 2 additive), 2 digits of the category, 6 of
the licensing district (GB/T 2260), a 4-digit serial and a check digit.  The check digit's
algorithm is not published in the texts found, so it is not checked.  The old "QS" + 12
digits expired on 2018-10-01 and is refused with that reason.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

FIRST_YEAR = 1950
_DASHES = str.maketrans({"—": "-", "－": "-", "–": "-", "‐": "-", "﹣": "-", "／": "/"})
_SEPARATORS = re.compile(r"\s*[、,;，；]\s*")
_STANDARD = re.compile(
    r"""^(?P<code>
        GB(?:/[TZ])?                       # national
      | DBS?\d{2}(?:/T)?                   # local, local food safety
      | T/[A-Z0-9]{2,12}?                  # group
      | Q/[A-Z0-9]{1,20}?                  # enterprise
      | (?!GB|DB|Q/|T/)[A-Z]{2,3}(?:/T)?   # sector
    )/?\s?(?P<number>\d+(?:\.\d+)*[A-Z]?)-(?P<year>\d{4})$""",
    re.VERBOSE,
)
SC_RE = re.compile(r"^SC[12]\d{13}$")
QS_RE = re.compile(r"^QS\d{12}$")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").translate(_DASHES).strip()


def normalize_standard(text: str) -> str:
    """One standard number in its printed form: "gb／t1355—2021" -> "GB/T 1355-2021"."""
    compact = re.sub(r"\s+", " ", _ascii(text)).upper()
    compact = re.sub(r"\s*-\s*", "-", compact)
    compact = re.sub(r"\s*/\s*", "/", compact)
    match = _STANDARD.match(compact)
    if not match:
        return compact
    code = match.group("code")
    slash = "/" if compact[len(code) : len(code) + 1] == "/" else ""
    return f"{code}{slash} {match.group('number')}-{match.group('year')}"


def standard_problem(text: str, *, latest_year: int) -> str | None:
    """Why ``text`` is not a product standard number (an English key phrase), or None."""
    match = _STANDARD.match(normalize_standard(text))
    if match is None:
        return "form"
    year = int(match.group("year"))
    if not FIRST_YEAR <= year <= latest_year:
        return "year"
    return None


def split_standards(text: str) -> list[str]:
    """The standards listed in one field ("/" or empty: none)."""
    cleaned = _ascii(text)
    if cleaned in ("", "/"):
        return []
    return [part for part in _SEPARATORS.split(cleaned) if part]


def normalize_standards(text: str) -> str:
    """Every listed standard in its printed form, joined by "、"."""
    return "、".join(normalize_standard(part) for part in split_standards(text))


def normalize_licence(text: str) -> str:
    """A licence number as printed: ASCII capitals, no spaces ("sc 1011 101..." -> "SC1011...")."""
    return re.sub(r"\s+", "", _ascii(text)).upper()


def licence_problem(text: str) -> str | None:
    """ "qs" for an expired QS number, "form" for anything but SC + 14 digits, or None."""
    code = normalize_licence(text)
    if SC_RE.match(code):
        return None
    return "qs" if QS_RE.match(code) else "form"


def parse_money(text: str | None) -> Decimal | None:
    """Yuan as a Decimal with at most 2 decimals, zero or more; None when not such a number."""
    try:
        value = Decimal(_ascii(text or "").replace("¥", "").replace("￥", "").replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    if value >= Decimal("100000000"):
        return None
    return value
