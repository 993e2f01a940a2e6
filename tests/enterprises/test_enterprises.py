"""Enterprises: registering, USCC checks, search, sampling history, optimistic locking."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from labsys.core import clock
from labsys.models import AuditEntry, Enterprise, Region, RiskGrade, Role, SamplingVisit
from labsys.services import ConflictError, ServiceError, enterprises

from factories import valid_uscc

VALID = "9144030071526726XG"


@pytest.fixture
def editor(make_user, login, reference_data):
    user = make_user("sam", Role.SAMPLER)
    login(user)
    return user


def form_data(**overrides):
    data = {
        "name": "北京好味食品有限公司",
        "address": "北京市朝阳区酒仙桥路1号",
        "region_code": "110105",
        "region_name": "",
        "uscc": VALID,
        "licence_no": "SC10111010500123",
        "risk_grade": "B",  # crafted: the form has no such field (the grading service's)
        "contact": "王经理",
        "phone": "010-12345678",
    }
    data.update(overrides)
    return data


def count(db, model=Enterprise):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- creating through the form ------------------------------------------------------------


def test_sampler_registers_an_enterprise(client, post, db, editor):
    response = post(
        "/enterprises/new", form_data(uscc=" 9144030071526726xg "), token_from="/enterprises/new"
    )
    assert response.status_code == 302
    enterprise = db.session.scalar(select(Enterprise))
    assert enterprise.uscc == VALID  # normalised: stripped, upper-cased
    assert enterprise.region_code == "110105"
    assert enterprise.risk_grade is None  # a sampler does not grade: the posted grade is ignored
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "北京好味食品有限公司" in page and "朝阳区" in page
    assert "今年已抽样 0 次，近30天 0 次" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "enterprise"))
    assert entry.action == "create" and VALID in entry.new_values


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("91440300715267", "统一社会信用代码应为 18 位，此代码为 14 位"),
        ("9144030071526726XGA", "统一社会信用代码应为 18 位，此代码为 19 位"),
        ("9144030O71526726XG", "第 8 位字符“O”不允许"),
        ("9144030071526726XA", "校验码（第 18 位）应为“G”，而不是“A”"),
    ],
)
def test_uscc_problems_are_named_in_chinese(client, post, db, editor, uscc, message):
    response = post("/enterprises/new", form_data(uscc=uscc), token_from="/enterprises/new")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db) == 0


def test_duplicate_uscc_names_the_existing_enterprise(post, db, editor, make_enterprise):
    make_enterprise("老字号食品厂", uscc=VALID)
    response = post("/enterprises/new", form_data(), token_from="/enterprises/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert VALID in html and "老字号食品厂" in html and "已属于" in html
    assert count(db) == 1


def test_enterprise_without_name_is_refused(post, db, editor):
    response = post("/enterprises/new", form_data(name=""), token_from="/enterprises/new")
    assert response.status_code == 200
    assert count(db) == 0


def test_unknown_region_code_needs_a_name_then_is_added(post, db, editor):
    response = post(
        "/enterprises/new", form_data(region_code="440305"), token_from="/enterprises/new"
    )
    assert "尚未登记" in response.get_data(as_text=True)
    assert count(db) == 0
    response = post(
        "/enterprises/new",
        form_data(region_code="440305", region_name="南山区"),
        token_from="/enterprises/new",
    )
    assert response.status_code == 302
    assert db.session.get(Region, "440305").name_zh == "南山区"
    assert db.session.scalar(select(Enterprise)).region_code == "440305"


def test_region_code_must_have_six_digits(post, db, editor):
    response = post(
        "/enterprises/new",
        form_data(region_code="11010", region_name="x"),
        token_from="/enterprises/new",
    )
    assert "6 位数字" in response.get_data(as_text=True)
    assert count(db) == 0


def test_technician_can_view_but_not_create(
    client, make_user, login, make_enterprise, reference_data
):
    enterprise = make_enterprise("查看企业")
    login(make_user("tech", Role.TECHNICIAN))
    assert "查看企业" in client.get("/enterprises/").get_data(as_text=True)
    assert client.get(f"/enterprises/{enterprise.id}").status_code == 200
    assert client.get("/enterprises/new").status_code == 403
    assert client.get("/enterprises/lookup?q=x").status_code == 403


# --- editing and optimistic locking --------------------------------------------------------


def test_edit_saves_and_audits_the_change(client, post, db, editor, make_enterprise):
    enterprise = make_enterprise("旧名称", region_code="110105")
    path = f"/enterprises/{enterprise.id}/edit"
    response = post(
        path, form_data(name="新名称", uscc=enterprise.uscc, version="1"), token_from=path
    )
    assert response.status_code == 302
    db.session.rollback()
    changed = db.session.get(Enterprise, enterprise.id)
    assert changed.name == "新名称" and changed.version_id == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update"))
    assert "旧名称" in entry.old_values and "新名称" in entry.new_values


def test_stale_form_shows_current_values_and_saves_nothing(
    client, post, db, editor, make_enterprise
):
    enterprise = make_enterprise("原名", region_code="110105")
    enterprises.update_enterprise(db.session, editor, enterprise, 1, name="同事改的名")
    db.session.commit()
    path = f"/enterprises/{enterprise.id}/edit"
    response = post(
        path, form_data(name="我改的名", uscc=enterprise.uscc, version="1"), token_from=path
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已被他人修改" in html and "同事改的名" in html
    assert 'name="version" type="hidden" value="2"' in html
    db.session.rollback()
    assert db.session.get(Enterprise, enterprise.id).name == "同事改的名"


def test_update_service_raises_conflict_with_current_values(db, make_enterprise, make_user):
    enterprise, sampler = make_enterprise("甲"), make_user("sam", Role.SAMPLER)
    enterprises.update_enterprise(db.session, sampler, enterprise, 1, phone="010-1")
    with pytest.raises(ConflictError) as caught:
        enterprises.update_enterprise(db.session, sampler, enterprise, 1, name="乙")
    assert caught.value.current["phone"] == "010-1"
    assert caught.value.current["name"] == "甲"


def test_the_register_does_not_set_the_risk_grade(db, make_enterprise, make_user):
    """The grade is recomputed by the rules or set by hand with its reason by a supervisor
    (services/grading.py), never through the register's create or update."""
    enterprise, boss = make_enterprise("甲"), make_user("boss", Role.SUPERVISOR)
    with pytest.raises(TypeError, match="risk_grade"):
        enterprises.update_enterprise(db.session, boss, enterprise, 1, risk_grade="D")
    with pytest.raises(TypeError, match="risk_grade"):
        enterprises.create_enterprise(db.session, boss, name="乙", risk_grade="D")


def test_update_keeps_own_uscc_but_refuses_anothers(db, make_enterprise, make_user):
    first, second = make_enterprise("一"), make_enterprise("二")
    sampler = make_user("sam", Role.SAMPLER)
    enterprises.update_enterprise(db.session, sampler, first, 1, uscc=first.uscc, name="一号")
    with pytest.raises(ServiceError) as caught:
        enterprises.update_enterprise(db.session, sampler, second, 1, uscc=first.uscc)
    assert caught.value.field == "uscc" and "一号" in caught.value.message


# --- search ----------------------------------------------------------------------------------


@pytest.fixture
def three(make_enterprise):
    return [
        make_enterprise(
            "北京稻香村食品有限责任公司", uscc=valid_uscc(900001), licence_no="SC10811010800011"
        ),
        make_enterprise("稻香村超市", uscc=valid_uscc(900002), licence_no="JY11101050000022"),
        make_enterprise("物美超市", uscc=None, licence_no="JY11101080000033"),
    ]


def test_search_by_name_substring(db, three):
    names = [e.name for e in enterprises.search(db.session, "稻香村")]
    assert names == ["稻香村超市", "北京稻香村食品有限责任公司"]  # shortest name first


def test_search_by_code_prefixes(db, three):
    assert [e.name for e in enterprises.search(db.session, valid_uscc(900002))] == ["稻香村超市"]
    assert {e.name for e in enterprises.search(db.session, "9111010500090000")} == {
        "北京稻香村食品有限责任公司",
        "稻香村超市",
    }
    assert [e.name for e in enterprises.search(db.session, "jy1110108")] == ["物美超市"]
    assert enterprises.search(db.session, "  ") == []
    assert enterprises.search(db.session, "%") == []


def test_list_filters_by_search_district_and_grade(
    client, login, make_user, make_enterprise, reference_data
):
    make_enterprise("朝阳甲企业", region_code="110105", risk_grade=RiskGrade.A)
    make_enterprise("朝阳乙企业", region_code="110105", risk_grade=RiskGrade.D)
    make_enterprise("海淀企业", region_code="110108", risk_grade=RiskGrade.A)
    login(make_user("sup", Role.SUPERVISOR))
    html = client.get("/enterprises/?region=110105").get_data(as_text=True)
    assert "朝阳甲企业" in html and "朝阳乙企业" in html and "海淀企业" not in html
    html = client.get("/enterprises/?risk=A").get_data(as_text=True)
    assert "朝阳甲企业" in html and "海淀企业" in html and "朝阳乙企业" not in html
    html = client.get("/enterprises/?q=海淀").get_data(as_text=True)
    assert "海淀企业" in html and "朝阳甲企业" not in html


def test_list_pages_with_keyset(client, app, login, make_user, make_enterprise, reference_data):
    for n in range(5):
        make_enterprise(f"分页企业{n}")
    login(make_user("sup", Role.SUPERVISOR))
    app.config["PAGE_SIZE"] = 3
    try:
        first = client.get("/enterprises/").get_data(as_text=True)
        assert "分页企业4" in first and "分页企业1" not in first and 'rel="next"' in first
        after = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
        second = client.get(after).get_data(as_text=True)
        assert "分页企业1" in second and "分页企业0" in second and "分页企业4" not in second
    finally:
        app.config["PAGE_SIZE"] = 50


# --- sampling history ------------------------------------------------------------------------


@pytest.fixture
def sampled_at(db, make_category, make_sample):
    """sampled_at(enterprise, day): one sample taken at the enterprise on ``day``."""
    category = make_category("粮食加工品", "小麦粉")

    def make(enterprise, day: date):
        sample = make_sample(category, received=False, sampling_date=day)
        db.session.get(SamplingVisit, sample.visit_id).sampled_unit_id = enterprise.id
        db.session.commit()
        return sample

    return make


def test_sampling_history_counts_this_year_and_last_30_days(db, make_enterprise, sampled_at):
    today = date(2026, 11, 28)
    shop, other, never = make_enterprise("店"), make_enterprise("另一家"), make_enterprise("无")
    for day in [
        today,
        today - timedelta(days=29),  # both in the last 30 days
        today - timedelta(days=30),
        date(2026, 1, 1),  # this year only
        date(2025, 12, 31),
        today + timedelta(days=1),
    ]:  # neither
        sampled_at(shop, day)
    sampled_at(other, date(2026, 3, 1))
    history = enterprises.sampling_history(db.session, [shop.id, other.id, never.id], today)
    assert history == {shop.id: (4, 2), other.id: (1, 0), never.id: (0, 0)}


def test_sampling_history_in_january_counts_december(db, make_enterprise, sampled_at):
    shop = make_enterprise("店")
    sampled_at(shop, date(2026, 12, 20))
    history = enterprises.sampling_history(db.session, [shop.id], date(2027, 1, 5))
    assert history[shop.id] == (0, 1)


def test_sampling_history_is_one_query(db, make_enterprise, sampled_at):
    units = [make_enterprise() for _ in range(5)]
    for unit in units:
        sampled_at(unit, date(2026, 11, 1))
    ids = [unit.id for unit in units]
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        history = enterprises.sampling_history(db.session, ids, date(2026, 11, 28))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1
    assert set(history.values()) == {(1, 1)}


def test_lookup_returns_history_for_the_sampling_form(
    client, db, login, make_user, make_enterprise, sampled_at, reference_data
):
    shop = make_enterprise("京客隆超市", region_code="110105", licence_no="JY1110105")
    sampled_at(shop, clock.today())
    login(make_user("sam", Role.SAMPLER))
    found = client.get("/enterprises/lookup?q=京客隆").get_json()
    assert found == [
        {
            "id": shop.id,
            "name": "京客隆超市",
            "address": shop.address,
            "uscc": shop.uscc,
            "region_code": "110105",
            "region_name": "朝阳区",
            "licence_no": "JY1110105",
            "risk_grade": None,
            "history": {"year": 1, "last_30_days": 1},
        }
    ]
    assert client.get("/enterprises/lookup?q=").get_json() == []


def test_list_and_detail_show_history(
    client, login, make_user, make_enterprise, sampled_at, reference_data
):
    shop = make_enterprise("华联超市")
    sampled_at(shop, clock.today())
    sampled_at(shop, clock.today() - timedelta(days=40))
    login(make_user("rev", Role.REVIEWER))
    expected = "今年已抽样 2 次，近30天 1 次" if clock.today().month > 2 else None
    detail = client.get(f"/enterprises/{shop.id}").get_data(as_text=True)
    listing = client.get("/enterprises/").get_data(as_text=True)
    if expected:
        assert expected in detail and expected in listing
    assert "TEST" in detail  # the recent samples table


def test_code_prefix_bounds_stay_within_digits_and_capitals():
    from labsys.services.enterprises import _successor

    assert _successor("SC1") == "SC2"
    assert _successor("SC9") == "SCA"
    assert _successor("JYZZ") == "JZ"
    assert _successor("ZZ") is None


def test_search_by_prefix_ending_in_9_and_z(db, make_enterprise):
    make_enterprise("九号", uscc=None, licence_no="SC19000")
    make_enterprise("Z号", uscc=None, licence_no="JYZ100")
    assert [e.name for e in enterprises.search(db.session, "SC19")] == ["九号"]
    assert [e.name for e in enterprises.search(db.session, "JYZ")] == ["Z号"]
