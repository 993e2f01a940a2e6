"""The demo's national-form fields (issue #13): standards, grades, SC numbers, source,
attribute, state, packaging, storage, method, prices; and the orders of online samples.

Drawn from a random generator of their own (seeded per visit or sample), so adding them
leaves the demo's main draws, and so its published figures, exactly as they were.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from labsys.core.form_fields import SC_RE
from labsys.models import Link

ORGANISER = "北京市市场监督管理局"
# A plausible product standard per kind of food (the 2-digit key of world.MAKERS); others
# print an enterprise standard.  Editions as published *(verify before relying on them)*.
STANDARDS = {
    "01": "GB/T 1355-2021",  # 小麦粉
    "02": "GB/T 1534-2017",  # 花生油
    "03": "GB/T 18186-2000",  # 酿造酱油
    "05": "GB 19645-2010",  # 巴氏杀菌乳
    "06": "GB/T 10789-2015",  # 饮料
    "08": "GB/T 20980-2021",  # 饼干
    "25": "GB/T 22106-2008",  # 非发酵豆制品
}
LIQUID = {"02", "05", "06", "15"}
SEMI_SOLID = {"03", "16", "26"}
FROZEN = {"10", "11"}
CHILLED = {"04", "05", "25"}
ASEPTIC = {"05", "06", "10", "24", "31"}  # tested for micro-organisms: taken aseptically
GRADES = ("一级", "二级", "特级", "合格品", "")
CHECKERS = ("王丽", "李强", "张敏", "刘洋", "陈静", "赵磊")
PLATFORMS = ("京选商城", "优鲜到家", "惠购网")
SUPPLIERS = ("北京新发地农产品批发市场", "北京岳各庄批发市场", "北京八里桥农产品中心批发市场")


def sample_rng(seed: int, sample_id: int) -> random.Random:
    return random.Random(f"labsys-demo-national-{seed}-{sample_id}")


def batch_fields(
    rng: random.Random,
    *,
    maker: str | None,
    code: str,
    link: Link,
    fresh: bool,
    licence: str,
    quantity: str,
    backup: str,
    sampling_date: date,
) -> dict:
    """The national fields of one batch."""
    key = maker or code[:2]
    farm = code.startswith("33")
    price = Decimal(rng.randint(200, 8000)) / 100
    count = Decimal(quantity) + Decimal(backup or "0")
    storage = ["frozen"] if key in FROZEN else ["refrigerated"] if key in CHILLED else ["ambient"]
    if key == "02":
        storage.append("dark")
    if link == Link.PRODUCTION:
        source = "processed"
    elif fresh and not farm:
        source = "self_made"
    else:
        source = "purchased"
    fields = {
        "product_standard": "" if fresh else STANDARDS.get(key, _enterprise_standard(rng)),
        "quality_grade": "" if fresh else rng.choice(GRADES),
        "licence_no": licence if SC_RE.match(licence or "") else "",
        "sample_source": source,
        "sample_attribute": "seasonal" if rng.random() < 0.04 else "ordinary",
        "physical_state": (
            "liquid" if key in LIQUID else "semi_solid" if key in SEMI_SOLID else "solid"
        ),
        "packaging": "bulk" if fresh else "prepackaged",
        "storage_conditions": ",".join(storage),
        "sampling_method": "aseptic" if key in ASEPTIC else "non_aseptic",
        "unit_price": f"{price:.2f}",
        "purchase_cost": f"{price * count:.2f}",
        "purchase_date": None,
        "supplier": "",
        "seal_checker": rng.choice(CHECKERS),
    }
    if farm and link != Link.PRODUCTION:
        fields["purchase_date"] = sampling_date - timedelta(days=rng.randint(0, 3))
        fields["supplier"] = f"{rng.choice(SUPPLIERS)} {rng.randint(1, 300)}号摊位"
    return fields


def _enterprise_standard(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDHJKLMSTWXYZ") for _ in range(rng.randint(2, 4)))
    return f"Q/{letters} {rng.randint(1, 30):04d}S-{rng.randint(2019, 2025)}"


def visit_fields(
    rng: random.Random,
    *,
    link: Link,
    plan_name: str,
    basis: str,
    visit_id: int,
    lab_address: str,
    sampling_date: date,
    received: date | None,
    today: date,
) -> dict:
    """The header of a visit, and for an online one its order and parcel."""
    fields = {
        "sampling_basis": basis,
        "organising_authority": ORGANISER,
        "task_source": plan_name[:200],
        "online_platform": "",
        "online_shop": "",
        "online_shop_url": "",
        "online_order_no": "",
        "online_buyer_account": "",
        "online_payment_account": "",
        "online_payment_amount": None,
        "delivery_address": "",
        "parcel_arrival_date": None,
        "unboxing_record": None,
    }
    if link != Link.ONLINE:
        return fields
    platform = rng.choice(PLATFORMS)
    arrival = sampling_date + timedelta(days=rng.randint(1, 3))
    if received is not None:
        arrival = min(arrival, received)
    arrival = min(arrival, today)
    fields.update(
        online_platform=platform,
        online_shop=f"{platform}自营店{rng.randint(1, 99)}号",
        online_shop_url=f"https://shop.example.com/{visit_id}",
        online_order_no=f"{sampling_date:%Y%m%d}{rng.randint(10**9, 10**10 - 1)}",
        online_buyer_account=f"bjsj_buyer{rng.randint(1, 20):02d}",
        online_payment_account=f"单位公务卡 6222****{rng.randint(0, 9999):04d}",
        delivery_address=lab_address or "北京市检验中心收样室",
        parcel_arrival_date=arrival,
        unboxing_record="递送包装完好，样品包装无破损，储运条件符合标签要求；拆封过程已拍照。",
    )
    return fields
