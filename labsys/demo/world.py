"""The people and places of the demo city: users, enterprises across Beijing's districts."""

from __future__ import annotations

import random

from labsys.core.identifiers import USCC_CHARSET, uscc_check_char
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

_BRAND_WORDS = [
    "金",
    "福",
    "康",
    "禾",
    "丰",
    "京",
    "燕",
    "顺",
    "鑫",
    "华",
    "润",
    "源",
    "盛",
    "安",
    "绿",
    "田",
    "香",
    "美",
    "佳",
    "宏",
]
_STREETS = [
    "建国路",
    "朝阳北路",
    "学院路",
    "中关村大街",
    "西直门外大街",
    "广安门内大街",
    "京顺路",
    "通惠河北路",
    "长椿街",
    "丰台路",
    "石景山路",
    "阜成路",
    "双清路",
]
# What a sampled unit is called, by link.
_UNIT_KINDS = {
    Link.PRODUCTION: ["食品有限公司", "粮油加工厂", "乳业有限公司", "调味品有限公司", "肉类加工厂"],
    Link.RETAIL: ["超市", "农贸市场", "便利店", "副食店", "生鲜超市"],
    Link.CATERING: ["餐厅", "学校食堂", "饭店", "快餐店", "单位食堂"],
    Link.ONLINE: ["电子商务有限公司", "网店"],
}
LINK_WEIGHTS = {Link.PRODUCTION: 18, Link.RETAIL: 55, Link.CATERING: 22, Link.ONLINE: 5}
_PRODUCERS = [
    "食品有限公司",
    "粮油有限公司",
    "乳业股份有限公司",
    "酿造有限公司",
    "肉食品有限公司",
    "饮品有限公司",
    "食品厂",
]
_CITIES = ["北京市", "河北省廊坊市", "天津市", "山东省济南市", "河南省郑州市", "黑龙江省哈尔滨市"]


def brand(rng: random.Random) -> str:
    return "".join(rng.sample(_BRAND_WORDS, 2))


def uscc(rng: random.Random, region_code: str) -> str:
    first17 = "91" + region_code + "".join(rng.choice(USCC_CHARSET[:10]) for _ in range(9))
    return first17 + uscc_check_char(first17)


def sampled_unit(rng: random.Random, n: int, district: tuple[str, str], link: Link) -> dict:
    code, name = district
    kind = rng.choice(_UNIT_KINDS[link])
    short = name.removesuffix("区")
    return {
        "name": f"北京{short}{brand(rng)}{kind}（{n}）",
        "address": f"北京市{name}{rng.choice(_STREETS)}{rng.randint(1, 300)}号",
        "region_code": code,
        "uscc": uscc(rng, code),
        "licence_no": f"JY1{code}{rng.randint(10**7, 10**8 - 1)}",
        "risk_grade": rng.choices(list(RiskGrade), [30, 45, 20, 5])[0],
        "phone": f"010-{rng.randint(6000_0000, 8999_9999)}",
    }


def producer(rng: random.Random, n: int) -> dict:
    city = rng.choice(_CITIES)
    region = "110000" if city == "北京市" else None
    return {
        "name": f"{city.removesuffix('市')}{brand(rng)}{rng.choice(_PRODUCERS)}（{n}）",
        "address": f"{city}{rng.choice(_STREETS)}{rng.randint(1, 500)}号",
        "region_code": region,
        "uscc": uscc(rng, "110105" if region else "130100"),
        "licence_no": f"SC1{rng.randint(10**12, 10**13 - 1)}",
        "risk_grade": rng.choices(list(RiskGrade), [40, 40, 15, 5])[0],
        "phone": f"0{rng.randint(10, 99)}-{rng.randint(6000_0000, 8999_9999)}",
    }
