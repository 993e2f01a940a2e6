"""Hazard classes of test items and their default weights in the risk signals.

Each test item in the catalog belongs to one hazard class (危害类别): what kind of harm an
unqualified result of it stands for.  The seven classes follow the groups the regulator's
summaries of 监督抽检 results use for the unqualified items (非法添加/禁用物质, 致病菌,
农兽药残留, 重金属/污染物, 生物毒素, 食品添加剂超范围超限量, 质量指标).  No regulation or
standard was found that assigns test items to classes: the groups are the summaries'
wording, and their lists differ.  CFDA's 2016 Q4 notice: 食品添加剂, 微生物污染, 农药兽药残留,
质量指标, 重金属等元素污染, 非食用物质, 真菌毒素 (中国医药报 2017-02-06, read at
xzyss.cn/c/2017-02-06/646115.shtml).  SAMR's 2022 annual summary: 农药残留, 微生物污染,
有机物污染, 食品添加剂, 重金属等污染, 兽药残留, 质量指标 (read at
m.cdboyue.com/cs/20230530/1069010.html).  A local monthly notice adds 生物毒素 and 非法添加物
(sqrdapp.com/news/2021/01/583796.html).  Here 微生物污染 is narrowed to 致病菌 (indicator
organisms such as 菌落总数 count as quality), pesticide and veterinary residues are one class,
and organic contaminants (e.g. 苯并[a]芘) go with the heavy metals.

The weights are a setting (``RISK_HAZARD_WEIGHTS`` overrides them), not a standard: they rank
a failure of an illegal additive above one of an acid value.  The defaults put deliberate
adulteration and acute microbiological or toxic hazards first, chronic residues and
contaminants next, additive misuse below them and quality indicators last.
"""

from __future__ import annotations

ILLEGAL_ADDITIVE = "illegal_additive"  # 非法添加/禁用物质
PATHOGEN = "pathogen"  # 致病菌
PESTICIDE_VET_RESIDUE = "pesticide_vet_residue"  # 农兽药残留
HEAVY_METAL_CONTAMINANT = "heavy_metal_contaminant"  # 重金属/污染物
BIOTOXIN = "biotoxin"  # 生物毒素
ADDITIVE_OVERUSE = "additive_overuse"  # 食品添加剂超范围超限量
QUALITY_INDICATOR = "quality_indicator"  # 质量指标

CLASSES = (
    ILLEGAL_ADDITIVE,
    PATHOGEN,
    PESTICIDE_VET_RESIDUE,
    HEAVY_METAL_CONTAMINANT,
    BIOTOXIN,
    ADDITIVE_OVERUSE,
    QUALITY_INDICATOR,
)

CHINESE = {
    ILLEGAL_ADDITIVE: "非法添加/禁用物质",
    PATHOGEN: "致病菌",
    PESTICIDE_VET_RESIDUE: "农兽药残留",
    HEAVY_METAL_CONTAMINANT: "重金属/污染物",
    BIOTOXIN: "生物毒素",
    ADDITIVE_OVERUSE: "食品添加剂超范围超限量",
    QUALITY_INDICATOR: "质量指标",
}

DEFAULT_WEIGHTS: dict[str, float] = {
    ILLEGAL_ADDITIVE: 5.0,
    PATHOGEN: 4.0,
    BIOTOXIN: 4.0,
    PESTICIDE_VET_RESIDUE: 3.0,
    HEAVY_METAL_CONTAMINANT: 3.0,
    ADDITIVE_OVERUSE: 2.0,
    QUALITY_INDICATOR: 1.0,
}

# Words in an item's Chinese name that place it, tried in this order (the first match wins);
# an item matching none is a quality indicator.  Used for items added without a class and by
# migration 0031 for the items already stored.
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        ILLEGAL_ADDITIVE,
        tuple(
            [
                "苏丹红",
                "孔雀石绿",
                "三聚氰胺",
                "克伦特罗",
                "莱克多巴胺",
                "沙丁胺醇",
                "氯霉素",
                "呋喃",
                "罂粟",
                "吗啡",
                "可待因",
                "吊白块",
                "甲醛次硫酸氢钠",
                "硼砂",
                "硼酸",
                "碱性橙",
                "罗丹明",
                "工业明胶",
                "过氧化苯甲酰",
                "西地那非",
                "他达拉非",
                "酚酞",
                "西布曲明",
                "地西泮",
                "喹乙醇",
                "己烯雌酚",
                "甲硝唑",
                "地美硝唑",
            ]
        ),
    ),
    (
        PATHOGEN,
        tuple(
            [
                "沙门",
                "葡萄球菌",
                "李斯特",
                "克罗诺杆菌",
                "阪崎",
                "志贺",
                "大肠埃希氏菌O157",
                "副溶血",
                "蜡样芽胞",
                "铜绿假单胞菌",
                "致病",
                "肉毒梭菌",
                "产气荚膜",
            ]
        ),
    ),
    (BIOTOXIN, tuple(["黄曲霉", "赭曲霉", "玉米赤霉烯酮", "脱氧雪腐", "展青霉素", "伏马", "毒素"])),
    (
        HEAVY_METAL_CONTAMINANT,
        tuple(
            [
                "铅",
                "镉",
                "汞",
                "砷",
                "铬",
                "镍",
                "锡",
                "钡",
                "苯并",
                "亚硝酸盐",
                "硝酸盐",
                "多氯联苯",
                "氰化物",
                "溴酸盐",
                "三氯甲烷",
                "甲醇",
                "溶剂残留",
                "洗涤剂",
                "N-二甲基亚硝胺",
                "3-氯-1,2-丙二醇",
                "丙烯酰胺",
            ]
        ),
    ),
    (
        ADDITIVE_OVERUSE,
        tuple(
            [
                "苯甲酸",
                "山梨酸",
                "脱氢乙酸",
                "糖精",
                "甜蜜素",
                "环己基氨基磺酸",
                "安赛蜜",
                "二氧化硫",
                "铝的残留",
                "特丁基对苯二酚",
                "TBHQ",
                "胭脂红",
                "柠檬黄",
                "日落黄",
                "亮蓝",
                "苋菜红",
                "诱惑红",
                "亚铁氰化钾",
                "丙酸",
                "纳他霉素",
                "乳酸链球菌素",
                "没食子酸丙酯",
                "BHA",
                "BHT",
                "着色剂",
                "防腐剂",
                "甜味剂",
            ]
        ),
    ),
    (
        PESTICIDE_VET_RESIDUE,
        tuple(
            [
                "磷",
                "威",
                "菊酯",
                "乐果",
                "敌敌畏",
                "草甘膦",
                "吡虫啉",
                "啶虫脒",
                "灭蝇胺",
                "腐霉利",
                "毒死蜱",
                "多菌灵",
                "甲胺",
                "阿维菌素",
                "噻虫",
                "霉素",
                "环素",
                "沙星",
                "磺胺",
                "尼考",
                "硝唑",
                "咪唑",
                "恩诺",
                "氧氟",
            ]
        ),
    ),
)


def classify(name_zh: str) -> str:
    """The hazard class an item's Chinese name suggests; a quality indicator otherwise.

    A suggestion for items added without a class: the catalog's own value is what counts.
    """
    for hazard, words in KEYWORDS:
        if any(word in name_zh for word in words):
            return hazard
    return QUALITY_INDICATOR


def weights(overrides: dict[str, float] | None = None) -> dict[str, float]:
    """The hazard weights: the defaults with a configuration's overrides (unknown keys refused)."""
    merged = dict(DEFAULT_WEIGHTS)
    for key, value in (overrides or {}).items():
        if key not in merged:
            raise ValueError(f"unknown hazard class {key!r}")
        if float(value) <= 0:
            raise ValueError(f"the weight of {key} must be positive")
        merged[key] = float(value)
    return merged
