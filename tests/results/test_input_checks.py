"""Input checks of result entry: a negative result is refused (it was read as 未检出 below
the LOD), a not-detected result on an item without a detection limit warns, the rules'
messages come in the interface language only, and a typed category name that names one
detailed category is accepted."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from labsys.models import ResultStatus
from labsys.services import results as svc
from labsys.services.errors import ServiceError, one_language
from labsys.web.sampling.queries import resolve_category

from results_support import by_name


@pytest.mark.parametrize("typed", ["-0.5", "-0.001", "－0.5", "-1e-3"])
def test_a_negative_result_is_refused_not_read_as_not_detected(db, tech, flour_sample, typed):
    lead = by_name(flour_sample(), "铅")  # LOD 0.005: -0.5 is "below" it
    with pytest.raises(ServiceError) as error:
        svc.enter_result(db.session, tech, lead, measured_text=typed, expected_version=1)
    assert error.value.field == "measured_text"
    assert "不能为负数" in error.value.message
    db.session.rollback()
    assert db.session.get(type(lead), lead.id).status == ResultStatus.PENDING


def test_zero_and_not_detected_are_still_results(db, tech, flour_sample):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0", expected_version=1)
    assert lead.status == ResultStatus.ENTERED


def test_the_page_refuses_a_negative_result_in_chinese_only(
    client, login, post, tech, flour_sample
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    login(tech)
    page = f"/lab/samples/{sample.id}/enter"
    rows = {r.id: i for i, r in enumerate(sample.results)}
    data = {f"rows-{i}-result_id": r.id for r, i in ((r, rows[r.id]) for r in sample.results)} | {
        f"rows-{i}-version": 1 for i in rows.values()
    }
    data[f"rows-{rows[lead.id]}-measured"] = "-0.5"
    html = post(page, data, token_from=page).get_data(as_text=True)
    assert "检验结果不能为负数" in html
    data[f"rows-{rows[lead.id]}-measured"] = "oops"
    html = post(page, data, token_from=page).get_data(as_text=True)
    assert "无法识别的检验结果" in html
    assert "not a result" not in html  # no English tail in the Chinese interface


def test_not_detected_without_a_detection_limit_warns(
    client, login, post, db, tech, make_sample, flour, items
):
    sample = make_sample(flour, [{"test_item": items["banned"], "limit_text": "不得使用"}])
    result = sample.results[0]
    assert not result.lod
    login(tech)
    page = f"/lab/samples/{sample.id}/enter"
    html = post(
        page,
        {"rows-0-result_id": result.id, "rows-0-version": 1, "rows-0-measured": "未检出"},
        token_from=page,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "没有检出限" in html
    db.session.expire_all()
    assert svc.not_detected_without_lod(db.session.get(type(result), result.id))


def test_messages_of_the_rules_in_one_language():
    bilingual = "无法识别的检验结果：'x' (not a result: 'x')"
    assert one_language(bilingual, english=False) == "无法识别的检验结果：'x'"
    assert one_language(bilingual, english=True) == "not a result: 'x'"
    nested = "第3个样品单元 (unit 3): 菌落数不能为负数：'-1' (the count must not be negative)"
    assert one_language(nested, english=False) == "第3个样品单元: 菌落数不能为负数：'-1'"
    assert one_language(nested, english=True) == "unit 3: the count must not be negative"
    assert one_language("未检出(检出限: 0.01 g/kg)", english=False) == "未检出(检出限: 0.01 g/kg)"
    assert one_language("plain English", english=False) == "plain English"


def test_a_typed_category_name_naming_one_detailed_category_is_accepted(db, make_category):
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉类", "小麦粉")  # 小麦粉 on levels 2 and 4
    assert resolve_category(db.session, "小麦粉") == leaf
    assert resolve_category(db.session, "粮食加工品").level == 1  # the only one of that name
    make_category("其他食品", "杂类", "杂类", "小麦粉")  # a second detailed 小麦粉
    assert resolve_category(db.session, "小麦粉") is False  # ambiguous: pick from the list
    assert resolve_category(db.session, "没有这个类别") is False


def test_free_text_limits_are_stated_on_the_page(client, login, make_user):
    from labsys.models import Role

    login(make_user("sam", Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN))
    html = client.get("/enterprises/new").get_data(as_text=True)
    assert "最多 200 个字符" in html and "最多 300 个字符" in html  # name, address
    assert 'maxlength="200"' in html  # and the browser holds the field to it


class _TextInputs(HTMLParser):
    """Every free-text input of a posted form: (name, maxlength, described-by ids,
    placeholder); and the text of every element by id."""

    def __init__(self):
        super().__init__()
        self.inputs: list[tuple[str, str, list[str], str]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str] = []
        self._posted = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._posted = (a.get("method") or "get").lower() == "post"
        text_input = tag == "textarea" or (
            tag == "input" and (a.get("type") or "text") in ("text", "search", "email", "tel")
        )
        if text_input and self._posted and a.get("maxlength"):
            described = (a.get("aria-describedby") or "").split()
            self.inputs.append(
                (a.get("name"), a["maxlength"], described, a.get("placeholder") or "")
            )
        if a.get("id"):
            self._open.append(a["id"])
            self.texts[a["id"]] = ""

    def handle_data(self, data):
        for element_id in self._open:
            self.texts[element_id] += data

    def handle_endtag(self, tag):
        if self._open and tag in ("div", "small", "span"):
            self._open.pop()


def test_every_free_text_limit_is_stated_on_the_pages(app, client, login, make_user):
    """Every page without arguments, as a user of several roles: each free-text input of a
    posted form with a length limit states it (short limits too: #15 §9)."""
    from labsys.models import Role

    login(make_user("many", Role.SAMPLER, Role.SUPERVISOR, Role.ADMIN))
    checked, unstated = 0, []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or "/api/" in rule.rule:
            continue
        if rule.rule.startswith(("/static", "/logout")) or "export" in rule.rule:
            continue
        response = client.get(rule.rule)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        page = _TextInputs()
        page.feed(response.get_data(as_text=True))
        for name, limit, described, placeholder in page.inputs:
            stated = f"最多 {limit} 个字符"
            said = [page.texts.get(i, "") for i in described] + [placeholder]
            if not any(stated in text for text in said):
                unstated.append((rule.rule, name, limit))
            checked += 1
    assert unstated == [], "\n".join(sorted({f"{r} {n} {m}" for r, n, m in unstated}))
    assert checked >= 10
