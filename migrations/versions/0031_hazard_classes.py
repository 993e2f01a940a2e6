"""hazard classes: each test item's 危害类别, for the risk signals (issue 17 §1)

Revision ID: 0031
Revises: 0030

``test_items.hazard_class`` says what an unqualified result of the item stands for (非法添加/
禁用物质, 致病菌, 农兽药残留, 重金属/污染物, 生物毒素, 食品添加剂超范围超限量, 质量指标).
The items already stored are placed by the reference catalog's codes, then by words in their
Chinese names (``labsys.core.hazards.KEYWORDS`` as of this revision, copied here so that the
migration keeps its meaning), the rest stay quality indicators.

Not a batch on SQLite: recreating ``test_items`` would have to drop a table others refer to;
SQLite takes a column CHECK in ADD COLUMN (as 0015 did for ``samples``).
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

CLASSES = (
    "illegal_additive",
    "pathogen",
    "pesticide_vet_residue",
    "heavy_metal_contaminant",
    "biotoxin",
    "additive_overuse",
    "quality_indicator",
)
CHECK_NAME = "ck_test_items_hazard_class"
CHECK = "hazard_class IN ({})".format(", ".join(f"'{c}'" for c in CLASSES))

# The reference catalog's items (labsys/data/catalog/reference_catalog.json, 2026.1).
BY_CODE = {
    "illegal_additive": ("MEL", "BPO", "CLEN", "RACT", "SALB", "CAP", "MG", "AOZ", "SUDAN"),
    "pathogen": ("SALM", "STAU", "LIST", "PSEU", "CRON"),
    "biotoxin": ("AFB1", "AFM1", "ZEN", "DON"),
    "heavy_metal_contaminant": (
        "PB", "CD", "HG", "IAS", "TAS", "BAP", "NO2", "BRO3", "TCM", "BA", "HCN", "METH",
        "SOLV", "ANION",
    ),
    "additive_overuse": (
        "BENZ", "SORB", "DHA", "SACC", "CYCL", "SO2", "AL", "TBHQ", "CARM", "FECN",
    ),
    "pesticide_vet_residue": (
        "PROC", "OMET", "PHOR", "CHLP", "CARB", "CYRO", "ISOC", "DDVP", "GLYP", "IMID", "BIFE",
        "FENV", "ACEP", "ENRO", "FLOR", "SULF", "DOXY",
    ),
}  # fmt: skip

# Other items, by words in the Chinese name; the first class that matches wins.
BY_NAME = (
    ("illegal_additive", ("苏丹红", "孔雀石绿", "三聚氰胺", "克伦特罗", "莱克多巴胺", "沙丁胺醇",
                          "氯霉素", "呋喃", "罂粟", "吊白块", "硼砂", "碱性橙", "罗丹明")),
    ("pathogen", ("沙门", "葡萄球菌", "李斯特", "克罗诺杆菌", "志贺", "副溶血", "致病")),
    ("biotoxin", ("黄曲霉", "赭曲霉", "玉米赤霉烯酮", "脱氧雪腐", "展青霉素", "毒素")),
    ("heavy_metal_contaminant", ("铅", "镉", "汞", "砷", "铬", "苯并", "亚硝酸盐", "氰化物")),
    ("additive_overuse", ("苯甲酸", "山梨酸", "脱氢乙酸", "糖精", "甜蜜素", "二氧化硫", "着色",
                          "胭脂红", "柠檬黄", "日落黄")),
    ("pesticide_vet_residue", ("磷", "威", "菊酯", "乐果", "敌敌畏", "多菌灵", "啶虫脒", "霉素",
                               "环素", "沙星", "磺胺")),
)  # fmt: skip


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE test_items ADD COLUMN hazard_class VARCHAR(23) "
            f"DEFAULT 'quality_indicator' NOT NULL CONSTRAINT {CHECK_NAME} CHECK ({CHECK})"
        )
    else:
        op.add_column(
            "test_items",
            sa.Column(
                "hazard_class",
                sa.String(length=23),
                server_default="quality_indicator",
                nullable=False,
            ),
        )
        op.create_check_constraint(CHECK_NAME, "test_items", CHECK)
    _assign()


def _assign():
    items = sa.table(
        "test_items", sa.column("code", sa.String), sa.column("name_zh", sa.String),
        sa.column("hazard_class", sa.String),
    )  # fmt: skip
    bind = op.get_bind()
    placed: set[str] = set()
    for hazard, codes in BY_CODE.items():
        bind.execute(items.update().where(items.c.code.in_(codes)).values(hazard_class=hazard))
        placed.update(codes)
    for code, name in bind.execute(sa.select(items.c.code, items.c.name_zh)).all():
        if code in placed:
            continue
        hazard = next((h for h, words in BY_NAME if any(w in name for w in words)), None)
        if hazard:
            bind.execute(items.update().where(items.c.code == code).values(hazard_class=hazard))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite ≥ 3.35; the CHECK belongs to the column itself, so it goes with it.
        op.execute("ALTER TABLE test_items DROP COLUMN hazard_class")
        return
    op.drop_constraint(CHECK_NAME, "test_items", type_="check")
    op.drop_column("test_items", "hazard_class")
