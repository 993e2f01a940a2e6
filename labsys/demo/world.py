"""The people and places of the demo city: users, enterprises across Beijing's districts."""

from __future__ import annotations

import random
from dataclasses import dataclass

from labsys.core.identifiers import uscc_check_char
from labsys.models import Link, RiskGrade, Role

DEMO_PASSWORD = "demo-lab-2019"

# (username, full name, roles)
DEMO_USERS = [
    *[
        (f"sampler{i}", name, [Role.SAMPLER])
        for i, name in enumerate(
            ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏"], start=1
        )
    ],
    *[
        (f"tech{i}", name, [Role.TECHNICIAN])
        for i, name in enumerate(["周检", "吴测", "郑析", "孙验"], start=1)
    ],
    ("reviewer1", "钱审", [Role.REVIEWER]),
    ("reviewer2", "冯核", [Role.REVIEWER, Role.TECHNICIAN]),
    ("supervisor1", "何主任", [Role.SUPERVISOR]),
    ("supervisor2", "马科长", [Role.SUPERVISOR, Role.REVIEWER]),
]

# --- names ----------------------------------------------------------------------------------
# Brands and trade names are two of these characters: 40 × 39 pairs, combined with a place and
# a trade word, give tens of thousands of distinct, plausible names (no numbered duplicates).
_BRAND_WORDS = "金福康禾丰京燕顺鑫华润源盛安绿田香美佳宏瑞祥泰和兴隆嘉恒信达鸿运永益德昌万通旺喜"

# A few real streets of each Beijing district, for addresses that match their district.
_DISTRICT_STREETS = {
    "东城区": ["建国门内大街", "东四北大街", "和平里东街", "崇文门外大街"],
    "西城区": ["西直门内大街", "广安门内大街", "阜成门外大街", "德胜门外大街"],
    "朝阳区": ["建国路", "朝阳北路", "望京西路", "安立路"],
    "丰台区": ["丰台路", "南三环西路", "草桥东路", "槐房路"],
    "石景山区": ["石景山路", "鲁谷路", "古城大街"],
    "海淀区": ["学院路", "中关村大街", "双清路", "西三旗路"],
    "门头沟区": ["新桥大街", "滨河路", "双峪路"],
    "房山区": ["拱辰大街", "长虹西路", "燕房路"],
    "通州区": ["新华大街", "玉桥中路", "梨园北街"],
    "顺义区": ["府前街", "新顺南大街", "仁和路"],
    "昌平区": ["府学路", "回龙观西大街", "鼓楼南街"],
    "大兴区": ["兴华大街", "黄村西大街", "金星路"],
    "怀柔区": ["青春路", "开放路", "府前街"],
    "平谷区": ["府前街", "新平北路", "林荫北街"],
    "密云区": ["鼓楼大街", "新东路", "宾阳路"],
    "延庆区": ["妫水北街", "东外大街", "高塔路"],
}
_GENERIC_STREETS = ["建设路", "人民路", "新华路", "兴业大街", "创业路", "振兴路", "工业园区"]

# Where labelled producers are: (province and city as written, county, GB/T 2260 code of the
# county, telephone area code).  Codes from GB/T 2260 *(verify)*; Beijing's are the demo's
# districts.  Registration (USCC) and licence (SC) both carry the county's code.
_PRODUCER_PLACES = [
    ("北京市", "大兴区", "110115", "010"),
    ("北京市", "顺义区", "110113", "010"),
    ("北京市", "通州区", "110112", "010"),
    ("北京市", "平谷区", "110117", "010"),
    ("天津市", "武清区", "120114", "022"),
    ("天津市", "西青区", "120111", "022"),
    ("河北省廊坊市", "安次区", "131002", "0316"),
    ("河北省保定市", "竞秀区", "130602", "0312"),
    ("山东省济南市", "历城区", "370112", "0531"),
    ("河南省郑州市", "金水区", "410105", "0371"),
    ("黑龙江省哈尔滨市", "道里区", "230102", "0451"),
    ("内蒙古自治区呼和浩特市", "赛罕区", "150105", "0471"),
]

# What a sampled unit (not a producer) is called, by link.
_UNIT_KINDS = {
    Link.RETAIL: ["超市", "便利店", "副食店", "生鲜超市", "商贸有限公司"],
    Link.CATERING: ["餐厅", "饭店", "快餐店", "餐饮管理有限公司"],
    Link.ONLINE: ["电子商务有限公司", "网络科技有限公司"],
}
_CANTEENS = ["学校食堂", "单位食堂"]  # licensed as 单位食堂 (JY 3…)
LINK_WEIGHTS = {Link.PRODUCTION: 18, Link.RETAIL: 55, Link.CATERING: 22, Link.ONLINE: 5}


# --- what producers make, and how it is packed -----------------------------------------------


@dataclass(frozen=True)
class Maker:
    """A kind of producer: its trade names and its SC food-category code (3 digits: 1 for
    food or 2 for additives, then the category's number in 《食品生产许可管理办法》 Art. 11's
    order, e.g. 101 粮食加工品, 105 乳制品 *(verify the numbering against the licence
    catalogue)*)."""

    trades: tuple[str, ...]
    sc_category: str


# By the catalog's level-1 code (the first two digits of a category code).
MAKERS = {
    "01": Maker(("粮油食品有限公司", "粮油有限公司", "粮食加工有限公司"), "101"),
    "02": Maker(("粮油有限公司", "油脂有限公司", "植物油厂"), "102"),
    "03": Maker(("调味品有限公司", "调味食品有限公司", "酿造食品有限公司"), "103"),
    "04": Maker(("肉食品有限公司", "肉类加工厂", "肉制品有限公司"), "104"),
    "05": Maker(("乳业有限公司", "乳品有限公司"), "105"),
    "06": Maker(("饮品有限公司", "饮料有限公司"), "106"),
    "07": Maker(("方便食品有限公司", "面业有限公司"), "107"),
    "08": Maker(("饼干有限公司", "焙烤食品有限公司"), "108"),
    "09": Maker(("罐头食品有限公司", "罐头厂"), "109"),
    "10": Maker(("冷食有限公司", "冷饮有限公司"), "110"),
    "11": Maker(("速冻食品有限公司", "冷冻食品有限公司"), "111"),
    "12": Maker(("休闲食品有限公司", "膨化食品有限公司"), "112"),
    "13": Maker(("糖果食品有限公司", "果冻食品有限公司"), "113"),
    "14": Maker(("茶业有限公司", "茶厂"), "114"),
    "15": Maker(("酒业有限公司", "酿酒厂"), "115"),
    "16": Maker(("酱菜有限公司", "蔬菜制品有限公司"), "116"),
    "17": Maker(("果脯食品有限公司", "蜜饯厂"), "117"),
    "18": Maker(("炒货食品有限公司", "坚果食品有限公司"), "118"),
    "19": Maker(("蛋品有限公司", "禽蛋加工厂"), "119"),
    "20": Maker(("咖啡食品有限公司",), "120"),
    "21": Maker(("糖业有限公司", "制糖有限公司"), "121"),
    "22": Maker(("水产食品有限公司",), "122"),
    "23": Maker(("淀粉制品有限公司", "粉丝厂"), "123"),
    "24": Maker(("烘焙食品有限公司", "糕点厂"), "124"),
    "25": Maker(("豆制品有限公司", "豆制品厂"), "125"),
    "26": Maker(("蜂产品有限公司", "蜂业有限公司"), "126"),
    "27": Maker(("生物科技有限公司", "保健食品有限公司"), "127"),
    "28": Maker(("营养食品有限公司",), "130"),  # 特殊膳食食品
    "29": Maker(("医用营养品有限公司",), "128"),  # 特殊医学用途配方食品
    "30": Maker(("乳业有限公司", "营养食品有限公司"), "129"),  # 婴幼儿配方食品
    "32": Maker(("食品添加剂有限公司", "生物科技有限公司"), "201"),
    "34": Maker(("盐业有限公司", "制盐有限公司"), "103"),  # 食用盐 is licensed under 调味品
    "35": Maker(("食品有限公司",), "131"),
}
# Foods with no labelled producer: self-made catering food and farm produce (散装).
SELF_MADE, FARM_PRODUCE = "31", "33"


@dataclass(frozen=True)
class Pack:
    """How a food is sold: package sizes (net content/unit, in the unit that fits the food:
    mL/L for liquids, g/kg for solids) and printed shelf lives."""

    sizes: tuple[str, ...]
    shelf_lives: tuple[str, ...]


# By the longest matching category-code prefix.  Shelf lives are typical of labels on the
# market, not limits; 白酒 (≥10 % vol) prints none (GB 7718-2011 §4.3.1 exemption *(verify)*).
PACKS = {
    "0101": Pack(("1kg/袋", "2.5kg/袋", "5kg/袋", "10kg/袋"), ("9个月", "12个月")),
    "0102": Pack(("2.5kg/袋", "5kg/袋", "10kg/袋"), ("12个月",)),
    "01": Pack(("500g/袋", "1kg/袋"), ("12个月",)),
    "02": Pack(("900mL/瓶", "1.8L/瓶", "5L/桶"), ("18个月", "24个月")),
    "0301": Pack(("500mL/瓶", "800mL/瓶", "1.9L/桶"), ("18个月", "24个月")),
    "0302": Pack(("420mL/瓶", "500mL/瓶", "1.9L/桶"), ("24个月", "36个月")),
    "03": Pack(("200g/袋", "400g/袋", "1kg/袋"), ("24个月", "36个月")),
    "04": Pack(("200g/袋", "250g/袋", "400g/袋"), ("15天", "30天", "90天")),
    "05010101": Pack(("200mL/袋", "250mL/盒", "950mL/瓶"), ("5天", "7天", "15天")),  # 巴氏杀菌乳
    "05010104": Pack(("100g/杯", "200g/瓶", "1.1kg/桶"), ("21天", "28天")),  # 发酵乳
    "05": Pack(("200mL/盒", "250mL/盒", "1L/盒"), ("6个月", "8个月", "12个月")),
    "0601": Pack(("380mL/瓶", "550mL/瓶", "4.5L/桶"), ("12个月", "24个月")),
    "0602": Pack(("250mL/盒", "300mL/瓶", "1L/盒"), ("9个月", "12个月")),
    "06": Pack(("330mL/罐", "500mL/瓶", "2L/瓶"), ("9个月", "12个月")),
    "07": Pack(("85g/袋", "105g/袋", "120g/桶"), ("6个月",)),
    "08": Pack(("100g/盒", "200g/袋", "408g/袋"), ("9个月", "12个月")),
    "09": Pack(("256g/罐", "425g/罐"), ("24个月", "36个月")),
    "10": Pack(("65g/支", "75g/支", "1kg/盒"), ("12个月", "18个月")),
    "11": Pack(("500g/袋", "1kg/袋"), ("9个月", "12个月")),
    "12": Pack(("60g/袋", "104g/袋"), ("9个月", "12个月")),
    "13": Pack(("150g/袋", "360g/袋"), ("12个月", "18个月")),
    "14": Pack(("50g/盒", "100g/罐", "250g/袋"), ("18个月", "24个月")),
    "15": Pack(("125mL/瓶", "500mL/瓶", "2L/桶"), ("",)),
    "16": Pack(("80g/袋", "150g/袋", "500g/瓶"), ("9个月", "12个月")),
    "17": Pack(("100g/袋", "200g/袋"), ("12个月",)),
    "18": Pack(("150g/袋", "260g/袋", "500g/袋"), ("6个月", "9个月")),
    "19": Pack(("6枚/盒", "20枚/盒"), ("90天", "6个月")),
    "21": Pack(("400g/袋", "1kg/袋"), ("24个月",)),
    "23": Pack(("200g/袋", "300g/袋", "500g/袋"), ("18个月", "24个月")),
    "24": Pack(("200g/袋", "300g/盒", "500g/盒"), ("30天", "60天", "90天")),
    "25010101": Pack(("350g/盒", "400g/盒"), ("3天", "5天")),  # 豆腐
    "25": Pack(("200g/袋", "250g/袋"), ("12个月",)),
    "26": Pack(("500g/瓶", "950g/瓶"), ("24个月", "36个月")),
    "27": Pack(("60粒/瓶", "100片/瓶"), ("24个月",)),
    "28": Pack(("400g/罐",), ("24个月",)),
    "29": Pack(("400g/罐",), ("24个月",)),
    "30": Pack(("400g/罐", "800g/罐", "900g/罐"), ("18个月", "24个月")),
    "32": Pack(("1kg/袋", "25kg/袋"), ("24个月",)),
    "34": Pack(("350g/袋", "400g/袋", "500g/袋"), ("36个月",)),
}
_DEFAULT_PACK = Pack(("250g/袋", "500g/袋"), ("12个月",))


def maker_key(category_code: str) -> str | None:
    """The kind of producer that makes a food (None: no labelled producer)."""
    key = category_code[:2]
    if key in (SELF_MADE, FARM_PRODUCE):
        return None
    return key if key in MAKERS else "35"


def pack_for(category_code: str) -> Pack:
    for length in (8, 6, 4, 2):
        if (pack := PACKS.get(category_code[:length])) is not None:
            return pack
    return _DEFAULT_PACK


def packed_product(rng: random.Random, category_code: str) -> dict:
    """Specification, sampling unit and printed shelf life of one packaged food."""
    pack = pack_for(category_code)
    size = rng.choice(pack.sizes)
    return {
        "specification": size,
        "quantity_unit": size.rsplit("/", 1)[1],
        "shelf_life": rng.choice(pack.shelf_lives),
    }


# --- identifiers -------------------------------------------------------------------------------


def brand(rng: random.Random) -> str:
    return "".join(rng.sample(_BRAND_WORDS, 2))


def organisation_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and its check character (weights
    3 7 9 10 5 8 4 2, C = 11 − Σ mod 11; 10 → X, 11 → 0) *(verify)*.  It is characters
    9–17 of a unified social credit code."""
    body = [rng.randrange(10) for _ in range(8)]
    check = 11 - sum(w * d for w, d in zip((3, 7, 9, 10, 5, 8, 4, 2), body, strict=True)) % 11
    return "".join(map(str, body)) + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: random.Random, region_code: str) -> str:
    """A unified social credit code (GB 32100-2015) of an enterprise (9 1: registered by
    market regulation, a company) registered in the county ``region_code``, with its check
    character."""
    first17 = "91" + region_code + organisation_code(rng)
    return first17 + uscc_check_char(first17)


def production_licence(rng: random.Random, sc_category: str, region_code: str) -> str:
    """SC + 14 digits: 3 food category, 6 province/city/county (the producer's), 4 serial,
    1 check digit (《食品生产许可管理办法》 Art. 29; the check algorithm is not published, so
    the demo's is a random digit *(verify)*)."""
    return f"SC{sc_category}{region_code}{rng.randint(1, 9999):04d}{rng.randrange(10)}"


# The 主体业态 digit of the JY number (《食品经营许可管理办法》 2015 Art. 24; kept by the 2023
# 《食品经营许可和备案管理办法》 Art. 27; see labsys.core.grades): 1 食品销售经营者,
# 2 餐饮服务经营者, 3 单位食堂 — which digit is which is from memory *(verify)*.
TRADE_LICENCE_KIND = {Link.RETAIL: "1", Link.ONLINE: "1", Link.CATERING: "2"}
CANTEEN_LICENCE_KIND = "3"


def trade_licence(rng: random.Random, kind: str, region_code: str) -> str:
    """JY + 14 digits: 1 主体业态, 6 province/city/county, 6 serial, 1 check digit (random:
    the algorithm is not published *(verify)*)."""
    return f"JY{kind}{region_code}{rng.randint(1, 999_999):06d}{rng.randrange(10)}"


# --- enterprises -----------------------------------------------------------------------------


def _unique(rng: random.Random, taken: set[str], make, branch_streets: list[str]) -> str:
    """A name not yet used: a few fresh draws, then a branch (分店) of the last one."""
    for _attempt in range(12):
        name = make()
        if name not in taken:
            break
    else:
        for street in rng.sample(branch_streets, len(branch_streets)):
            if (branched := f"{name}（{street}店）") not in taken:
                name = branched
                break
        else:
            name = f"{name}（{rng.choice(branch_streets)}{rng.randint(2, 99)}号店）"
    taken.add(name)
    return name


def streets(district_name: str) -> list[str]:
    return _DISTRICT_STREETS.get(district_name, _GENERIC_STREETS)


def sampled_unit(
    rng: random.Random, taken: set[str], district: tuple[str, str], link: Link
) -> dict:
    """A shop, restaurant, canteen or online seller in ``district`` (code, name)."""
    code, name = district
    short = name.removesuffix("区")
    canteen = link == Link.CATERING and rng.random() < 0.2
    kind = rng.choice(_CANTEENS if canteen else _UNIT_KINDS[link])
    if canteen:
        unit_name = _unique(rng, taken, lambda: f"北京市{name}{brand(rng)}{kind}", streets(name))
    else:
        unit_name = _unique(rng, taken, lambda: f"北京{short}{brand(rng)}{kind}", streets(name))
    licence_kind = CANTEEN_LICENCE_KIND if canteen else TRADE_LICENCE_KIND[link]
    return {
        "name": unit_name,
        "address": f"北京市{name}{rng.choice(streets(name))}{rng.randint(1, 300)}号",
        "region_code": code,
        "uscc": uscc(rng, code),
        "licence_no": trade_licence(rng, licence_kind, code),
        "risk_grade": rng.choices(list(RiskGrade), [30, 45, 20, 5])[0],
        "phone": f"010-{rng.randint(6000_0000, 8999_9999)}",
    }


def producer(
    rng: random.Random, taken: set[str], key: str, *, local: bool, districts: dict[str, str]
) -> dict:
    """A producer of the foods of level-1 category ``key``; ``local``: in Beijing (it can
    then be sampled at its own plant, the production link).  ``districts``: code → name of
    the Beijing districts the database holds (a region must exist to be linked)."""
    maker = MAKERS[key]
    places = [p for p in _PRODUCER_PLACES if (p[0] == "北京市") == local]
    city, county, code, area = rng.choice(places)
    city_short = city.removesuffix("市").split("省")[-1].split("自治区")[-1]
    trade = rng.choice(maker.trades)
    name = _unique(
        rng, taken, lambda: f"{city_short}{brand(rng)}{trade}", [*_GENERIC_STREETS, county]
    )
    return {
        "name": name,
        "address": f"{city}{county}{rng.choice(_GENERIC_STREETS)}{rng.randint(1, 500)}号",
        "region_code": code if code in districts else None,
        "uscc": uscc(rng, code),
        "licence_no": production_licence(rng, maker.sc_category, code),
        "risk_grade": rng.choices(list(RiskGrade), [40, 40, 15, 5])[0],
        "phone": f"{area}-{rng.randint(6000_0000, 8999_9999)}",
    }
