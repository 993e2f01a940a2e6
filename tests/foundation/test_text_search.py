"""Free-text search (labsys.models.search.contains_text) on both databases: the same rows
as the rule (labsys.core.search.contains) and as the LIKE it replaced, for Chinese and
ASCII, 1- to 3+-character and hostile queries, with and without PostgreSQL's character
path; the index kept in step with the rows; and the index actually used (EXPLAIN), the
character index only when the statistics call a character rare."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.sql import visitors

from labsys.core import search
from labsys.models import Conclusion, Enterprise, Report, Role, Sample
from labsys.models import search as text_search
from labsys.models.search import (
    SEARCHED,
    ContainsText,
    char_index_name,
    contains_text,
    decide,
    force_characters,
    trigram_index_name,
)

from factories import valid_uscc

NAMES = [
    "小麦粉",
    "特一级小麦粉",
    "牛奶",
    "纯牛奶（全脂）",
    "大米",
    "米",
    "茶叶",
    "绿茶饮料",
    "Apple Juice",
    "APPLE pie",
    "apple",
    "100%橙汁",
    "100橙汁",
    "50%_off",
    "a_b",
    "aXb",
    "C:\\path\\x",
    "back\\slash",
    'say "hi"',
    "NEAR AND OR",
    "x*y",
    "{name}",
    "^小",
]
QUERIES = [
    "米",
    "茶",
    "牛奶",
    "小麦",
    "小麦粉",
    "特一级小麦粉",
    "麦粉 ",
    "apple",
    "APPLE",
    "Juice",
    "e j",
    "p",
    "%",
    "_",
    "\\",
    "%橙",
    "0%_",
    "a_b",
    "a%b",
    "\\p",
    "h\\x",
    '"',
    '"hi"',
    "ab",
    "x*y",
    "*",
    "NEAR",
    "AND OR",
    "name}",
    "{name}",
    "^小",
    ":",
    "不存在的",
    "C:\\",
]


def _ids(db, condition) -> set[int]:
    return set(db.session.scalars(select(Enterprise.id).where(condition)))


@pytest.fixture
def enterprises(db):
    rows = [
        Enterprise(name=name, uscc=valid_uscc(900 + n), address="北京市")
        for n, name in enumerate(NAMES)
    ]
    db.session.add_all(rows)
    db.session.commit()
    return {row.id: row.name for row in rows}


@pytest.mark.parametrize("q", QUERIES)
def test_the_same_rows_as_the_rule_and_the_old_like(db, enterprises, q):
    expected = {i for i, name in enterprises.items() if search.contains(name, q)}
    assert _ids(db, contains_text(q, Enterprise.name)) == expected
    cleaned = search.clean(q)
    if cleaned.lower() == cleaned.upper() or db.engine.dialect.name == "sqlite":
        # The old condition (LIKE, autoescaped) for queries without letters of two cases:
        # there the databases agreed.  With ASCII letters SQLite's LIKE ignored case and
        # PostgreSQL's did not (the reports' ILIKE did): now both ignore it, as the rule.
        assert _ids(db, Enterprise.name.contains(cleaned, autoescape=True)) == expected


def test_a_blank_query_is_no_condition():
    assert contains_text("", Enterprise.name) is None
    assert contains_text("  ", Enterprise.name) is None
    assert contains_text(None, Enterprise.name) is None


def test_the_statement_cache_keeps_short_and_long_queries_apart(db, enterprises):
    """The same statement shape with a 3-character query, then 2 and 1 (compiled without
    the index on SQLite), then 3 again: each answers its own rows."""
    for q in ["小麦粉", "牛奶", "米", "小麦粉", "米", "pie", "pi", "p"]:
        expected = {i for i, name in enterprises.items() if search.contains(name, q)}
        assert _ids(db, contains_text(q, Enterprise.name)) == expected, q


@pytest.fixture(params=[None, True, False], ids=["statistics", "characters", "likes"])
def forced(request):
    """The character path (PostgreSQL) as the statistics decide, always, or never."""
    token = force_characters.set(request.param)
    yield request.param
    force_characters.reset(token)


def test_several_columns(db, make_sample, make_category, forced):
    category = make_category("粮食加工品", "小麦粉")
    samples = [make_sample(category, food_name=name) for name in ("富强粉", "纯牛奶", "TEST")]
    for q in [
        samples[0].sample_no,
        samples[1].sample_no[-3:],
        "牛奶",
        "富强粉",
        "TEST",
        "est",
        "t",
        "奶",
        "强粉",
        "T",
    ]:
        expected = {
            s.id
            for s in samples
            if search.contains(s.sample_no, q) or search.contains(s.food_name, q)
        }
        found = set(
            db.session.scalars(
                select(Sample.id).where(contains_text(q, Sample.sample_no, Sample.food_name))
            )
        )
        assert found == expected, q
        assert expected, q


def test_the_index_follows_inserts_updates_and_deletes(db):
    """After each change the search finds the new text and no longer the old (on SQLite
    the FTS5 table is kept by triggers; PostgreSQL's index is the table's own)."""

    def found(q):
        return _ids(db, contains_text(q, Enterprise.name))

    unit = Enterprise(name="北京某某乳业有限公司", uscc=valid_uscc(1), address="北京市")
    db.session.add(unit)
    db.session.commit()
    assert found("乳业有限") == {unit.id}
    assert found("乳") == {unit.id}

    unit.name = "北京某某粮油有限公司"
    db.session.commit()
    assert found("乳业有限") == set()
    assert found("粮油有限") == {unit.id}

    db.session.execute(
        text("UPDATE enterprises SET name = :name WHERE id = :id"),
        {"name": "天津某某茶叶店", "id": unit.id},
    )
    db.session.commit()
    assert found("粮油有限") == set()
    assert found("某某茶叶") == {unit.id}

    db.session.delete(unit)
    db.session.commit()
    assert found("某某茶叶") == set()


def test_reports_search_number_food_and_unit(db, make_sample, make_category, make_user):
    category = make_category("乳制品", "液体乳")
    sample = make_sample(category, food_name="纯牛奶")
    issuer = make_user("issuer", Role.SUPERVISOR)
    report = Report(
        report_no="BG2026-0001",
        sample_id=sample.id,
        food_name="纯牛奶（全脂）",
        sampled_unit_name="北京某某超市",
        conclusion=Conclusion.QUALIFIED,
        author_id=issuer.id,
        approver_id=issuer.id,
        issued_at=datetime(2026, 11, 20, tzinfo=UTC),
        pdf=b"%PDF",
        sha256="0" * 64,
        verify_token="t" * 43,
    )
    db.session.add(report)
    db.session.commit()
    columns = (Report.report_no, Report.food_name, Report.sampled_unit_name)

    def found(q):
        return set(db.session.scalars(select(Report.id).where(contains_text(q, *columns))))

    for q in ["bg2026", "2026-0001", "牛奶", "全脂", "某某超市", "超", "B", "%", "_"]:
        expected = (
            {report.id}
            if search.contains(
                " | ".join([report.report_no, report.food_name, report.sampled_unit_name]), q
            )
            else set()
        )
        assert found(q) == expected, q
    assert found("BG2026%0001") == set()  # % is a plain character now (it was a wildcard)


HOSTILE = st.text(st.sampled_from(list('%_\\"*:^-(){}aAbB 米麦粉牛奶')), max_size=8)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(HOSTILE, min_size=1, max_size=5), q=HOSTILE)
def test_any_text_and_query(db, names, q):
    """Random names and queries over the characters that are special somewhere."""
    rows = [
        Enterprise(name=name, uscc=valid_uscc(n), address="北京市")
        for n, name in enumerate(names, start=5000)
    ]
    db.session.add_all(rows)
    db.session.flush()
    try:
        condition = contains_text(q, Enterprise.name)
        expected = {row.id for row in rows if search.contains(row.name, q)}
        if condition is None:
            assert not expected
        else:
            assert _ids(db, condition) == expected
    finally:
        db.session.rollback()


SHORT_TEXT = list("%_\\aAbBzZ 米麦粉牛奶鹅")


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(st.text(st.sampled_from(SHORT_TEXT), max_size=8), min_size=1, max_size=6),
    q=st.text(st.sampled_from(SHORT_TEXT), min_size=1, max_size=2),
    forced=st.sampled_from([None, True, False]),
)
def test_a_short_query_with_or_without_the_character_index(db, names, q, forced):
    """1-2 characters: the rule's rows whether PostgreSQL narrows by the characters' index
    or not (on SQLite the three are the same LIKE)."""
    rows = [
        Enterprise(name=name, uscc=valid_uscc(n), address="北京市")
        for n, name in enumerate(names, start=6000)
    ]
    db.session.add_all(rows)
    db.session.flush()
    token = force_characters.set(forced)
    try:
        condition = contains_text(q, Enterprise.name)
        expected = {row.id for row in rows if search.contains(row.name, q)}
        if condition is None:
            assert not expected
        else:
            assert _ids(db, condition) == expected
    finally:
        force_characters.reset(token)
        db.session.rollback()


def _plan(db, statement) -> str:
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN" if db.engine.dialect.name == "sqlite" else "EXPLAIN"
    rows = db.session.execute(text(f"{prefix} {compiled}")).all()
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


@pytest.mark.parametrize(
    "columns",
    [
        (Sample.food_name,),
        (Sample.sample_no, Sample.food_name),
        (Report.report_no, Report.food_name, Report.sampled_unit_name),
        (Enterprise.name,),
    ],
)
@pytest.mark.parametrize("q", ["小麦粉", "Flour"])
def test_a_query_of_three_characters_uses_the_index(db, columns, q):
    """EXPLAIN: PostgreSQL plans a bitmap scan of each column's trigram index (sequential
    scans off: the test tables are nearly empty); SQLite looks the table's rows up by the
    rowids its FTS5 table finds, even for a list's newest-first page (it would rather walk
    the table in order if the condition were not a plain predicate, e.g. ``(...) = 1``)."""
    entity = columns[0].class_
    table = entity.__tablename__
    statement = select(entity.id).where(contains_text(q, *columns))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = _plan(db, statement)
        for column in columns:
            assert trigram_index_name(table, column.key) in plan, plan
    else:
        plan = _plan(db, statement.order_by(entity.id.desc()).limit(51))
        assert f"{table}_fts VIRTUAL TABLE INDEX" in plan, plan
        assert f"SEARCH {table} USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
        assert f"SCAN {table}\n" not in plan + "\n", plan
    db.session.rollback()


def test_a_short_query_does_not_use_the_fts_table(db):
    """1–2 characters: no trigram; SQLite answers by the LIKE alone (see models.search)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the FTS5 table is SQLite's")
    plan = _plan(db, select(Sample.id).where(contains_text("牛奶", Sample.food_name)))
    assert "samples_fts" not in plan, plan


def test_the_indexes_are_the_searched_columns(db):
    """Migrations 0039 and 0046 built what models.search.SEARCHED names."""
    if db.engine.dialect.name == "postgresql":
        inspector = inspect(db.engine)
        for table, columns in SEARCHED.items():
            indexes = {ix["name"]: ix for ix in inspector.get_indexes(table)}
            for column in columns:
                assert indexes[trigram_index_name(table, column)]["column_names"] == [column]
                expression = indexes[char_index_name(table, column)]["expressions"]
                assert expression == [f"string_to_array(lower({column}::text), NULL::text)"]
        return
    for table, columns in SEARCHED.items():
        found = db.session.execute(text(f"SELECT name FROM pragma_table_info('{table}_fts')"))
        assert tuple(found.scalars()) == columns
        sql = db.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": f"{table}_fts"}
        )
        assert "tokenize='trigram'" in sql and f"content='{table}'" in sql


def _list_statements(q: str):
    """Each list's search, built by its own code."""
    from datetime import date

    from labsys.services import enterprises
    from labsys.services.sampling import DeadlineCheck
    from labsys.web.api_v1.queries import filtered_samples
    from labsys.web.queues.queries import QueueFilters
    from labsys.web.reports.queries import report_list_query
    from labsys.web.sampling.queries import SampleFilters

    check = DeadlineCheck(today=date(2026, 11, 30), soon=date(2026, 12, 3))
    return {
        "samples": SampleFilters.from_args({"q": q}).apply(select(Sample.id)),
        "queues": select(Sample.id).where(
            *QueueFilters.from_args({"q": q}).conditions(Sample.due_report, check)
        ),
        "reports": report_list_query(q, ""),
        "enterprises": select(Enterprise.id).where(enterprises.search_condition(q)),
        "api samples": filtered_samples(select(Sample.id), {"q": q}),
    }


@pytest.mark.parametrize("q", ["小麦粉", "麦粉", "Juice"])
def test_every_list_searches_through_contains_text(db, q):
    """The five lists compile to the helper's SQL: the FTS5 table on SQLite from 3
    characters, ILIKE with the escape on PostgreSQL."""
    for name, statement in _list_statements(q).items():
        sql = str(statement.compile(db.engine))
        if db.engine.dialect.name == "postgresql":
            operator = "LIKE" if search.caseless(q) else "ILIKE"  # Chinese: LIKE, faster
            assert f" {operator} " in sql and "ESCAPE '\\'" in sql, name
        else:
            assert ("_fts MATCH" in sql) == search.indexed(q), name
            assert "LIKE" in sql and "ESCAPE '\\'" in sql, name


@pytest.fixture
def analyzed(db):
    """PostgreSQL: 2,000 enterprises named 某某食品公司<n>, one 鹅业公司 (1 row in 2,001:
    rarer than ``RARE``), and their statistics."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the character index is PostgreSQL's")
    db.session.execute(
        insert(Enterprise),
        [
            {"name": f"某某食品公司{n}", "uscc": valid_uscc(7000 + n), "address": "北京市"}
            for n in range(2000)
        ],
    )
    goose = Enterprise(name="鹅业公司", uscc=valid_uscc(9999), address="北京市")
    db.session.add(goose)
    db.session.commit()
    db.session.execute(text("ANALYZE enterprises"))
    db.session.commit()
    text_search.forget_statistics()
    yield goose
    text_search.forget_statistics()


def _decided(db, q: str):
    statement = select(Enterprise.id).where(contains_text(q, Enterprise.name))
    return decide(statement, db.session.connection())


def _char_params(statement) -> list[str]:
    """The characters the statement's search asks the character index for."""
    (element,) = [e for e in visitors.iterate(statement) if isinstance(e, ContainsText)]
    return [p.value for p in element.char_params]


def _char_plan(db, statement) -> str:
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    return _plan(db, statement)


@pytest.mark.parametrize("q", ["鹅", "鹅业", "鹅公", "z"])
def test_a_rare_character_is_found_by_the_character_index(db, analyzed, q):
    """EXPLAIN: the rows holding the rare character come from ix_enterprises_name_chars,
    looked up by id; only the rare characters are asked for (鹅公: 鹅, not the frequent 公);
    the statement the session runs is the decided one (the engine's event)."""
    statement = _decided(db, q)
    assert char_index_name("enterprises", "name") in _char_plan(db, statement)
    assert _char_params(statement) == [q.replace("公", "")]
    executed = []

    def record(_conn, _cursor, sql, *_args):
        executed.append(sql)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        found = _ids(db, contains_text(q, Enterprise.name))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert found == ({analyzed.id} if search.contains(analyzed.name, q) else set())
    assert "string_to_array" in executed[-1]
    db.session.rollback()


@pytest.mark.parametrize("q", ["食品", "公", "某某"])
def test_frequent_characters_keep_the_likes(db, analyzed, q):
    statement = _decided(db, q)
    assert not _char_params(statement)
    assert char_index_name("enterprises", "name") not in _char_plan(db, statement)
    db.session.rollback()


def test_no_statistics_keep_the_likes(db, analyzed, monkeypatch):
    """An index not analyzed yet (as right after creating it on a table without
    statistics) is "unknown": the condition stays the LIKEs."""
    key = (db.engine.url.render_as_string(), char_index_name("enterprises", "name"))
    monkeypatch.setitem(text_search._statistics, key, (time.monotonic(), None))
    statement = _decided(db, "鹅")
    assert not _char_params(statement)
    assert char_index_name("enterprises", "name") not in _char_plan(db, statement)
    db.session.rollback()


def test_other_cased_scripts_keep_the_likes(db, analyzed):
    """Greek, Cyrillic, accented Latin: Python's and PostgreSQL's lower case may differ
    (final sigma), so the characters are not asked for."""
    token = force_characters.set(True)
    try:
        assert not _char_params(_decided(db, "Σ"))
        assert _char_params(_decided(db, "鹅")) == ["鹅"]
    finally:
        force_characters.reset(token)
