"""How a limit is printed with its unit, in one place for pages, the command line and PDFs.

A unit after 不得检出 / 不得使用 says nothing ("不得使用 g/kg"), and a presence/absence plan
already carries its unit in m ("n=5,c=0,m=0/25g"): printing the unit again gives
"m=0/25g /25g".  Both read as errors to a producer checking a report.
"""

from __future__ import annotations

# Limits that are not quantities: never followed by a unit.
UNITLESS = ("不得检出", "不得使用", "/", "")


def limit_with_unit(limit: str | None, unit: str | None) -> str:
    """``limit`` followed by ``unit`` when the unit adds something (see module doc)."""
    limit, unit = (limit or "").strip(), (unit or "").strip()
    if not unit or limit in UNITLESS or limit.startswith(("不得检出", "不得使用")):
        return limit
    if limit.endswith(unit) or (unit.startswith("/") and unit in limit):
        return limit
    return f"{limit} {unit}"
