"""Provinces from administrative division codes (GB/T 2260: the first two digits of a
six-digit code name the province-level division)."""

from __future__ import annotations

# GB/T 2260 province-level codes (the published list; stable since 1997 except 50 重庆 in
# 1997 and 46 海南 in 1988).
PROVINCES = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}


def province_of(region_code: str | None) -> str:
    """The province named by a region code ("110105" -> "北京市"); "" when unknown."""
    code = (region_code or "").strip()
    if len(code) < 2 or not code[:2].isdigit():
        return ""
    return PROVINCES.get(code[:2], "")
