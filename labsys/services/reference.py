"""Reference data every installation starts with: Beijing's districts, the lab itself."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import Lab, Region

BEIJING = ("110000", "北京市", "Beijing")
# GB/T 2260 codes of Beijing's 16 districts.
BEIJING_DISTRICTS = [
    ("110101", "东城区", "Dongcheng"),
    ("110102", "西城区", "Xicheng"),
    ("110105", "朝阳区", "Chaoyang"),
    ("110106", "丰台区", "Fengtai"),
    ("110107", "石景山区", "Shijingshan"),
    ("110108", "海淀区", "Haidian"),
    ("110109", "门头沟区", "Mentougou"),
    ("110111", "房山区", "Fangshan"),
    ("110112", "通州区", "Tongzhou"),
    ("110113", "顺义区", "Shunyi"),
    ("110114", "昌平区", "Changping"),
    ("110115", "大兴区", "Daxing"),
    ("110116", "怀柔区", "Huairou"),
    ("110117", "平谷区", "Pinggu"),
    ("110118", "密云区", "Miyun"),
    ("110119", "延庆区", "Yanqing"),
]


def seed_regions(session: Session) -> str | None:
    existing = set(session.scalars(select(Region.code)))
    added = 0
    for code, zh, en in [BEIJING, *BEIJING_DISTRICTS]:
        if code not in existing:
            parent = None if code == BEIJING[0] else BEIJING[0]
            session.add(Region(code=code, name_zh=zh, name_en=en, parent_code=parent))
            session.flush()
            added += 1
    return f"{added} regions added" if added else None


def seed_default_lab(session: Session) -> str | None:
    """The lab this installation belongs to (LAB_CODE / LAB_NAME settings)."""
    code = current_app.config["LAB_CODE"]
    if session.scalar(select(Lab).where(Lab.code == code)):
        return None
    session.add(Lab(code=code, name=current_app.config["LAB_NAME"]))
    session.flush()
    return f"lab {code} added"


def ensure_lab(session: Session, code: str, name: str) -> Lab:
    """The lab with ``code``, added if missing (e.g. a retest lab named in a follow-up)."""
    lab = session.scalar(select(Lab).where(Lab.code == code))
    if lab is None:
        lab = Lab(code=code, name=name)
        session.add(lab)
        session.flush()
    return lab


def default_lab(session: Session) -> Lab | None:
    return session.scalar(select(Lab).where(Lab.code == current_app.config["LAB_CODE"]))


def districts(session: Session) -> list[Region]:
    return list(
        session.scalars(select(Region).where(Region.parent_code.is_not(None)).order_by(Region.code))
    )


def labs(session: Session) -> list[Lab]:
    """Every laboratory, by code."""
    return list(session.scalars(select(Lab).order_by(Lab.code)))
