"""History reads like a record: labels and values in the interface language, before → after,
who and why; no internal ids, raw action names or enum codes; saves that changed nothing
left out; a sample's creation is not called a retest row."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from labsys.models import AuditEntry, Role, SampleResult
from labsys.services import results as svc
from labsys.web.history.present import history_rows

from results_support import by_name
from support import signed

RAW = ("sample_id", "supersedes_id", "measured:", "status:", "verdict:", "receive", "accept",
       "submitted", "pending", "superseded", "retest_id", "None")  # fmt: skip


def _worked_sample(db, tech, reviewer, supervisor, flour_sample):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    entries = [
        svc.Entry(lead, "0.1", 1),
        svc.Entry(by_name(sample, "过氧化"), "未检出", 1),
        svc.Entry(by_name(sample, "菌落"), None, 1, ["1", "2", "3", "4", "5"]),
    ]
    svc.enter_results(db.session, tech, entries)
    svc.submit_results(db.session, tech, sample.results)
    svc.accept_results(db.session, reviewer, sample.results, signature=signed(reviewer))
    svc.correct_result(
        db.session,
        supervisor,
        lead,
        measured_text="0.25",
        expected_version=lead.version_id,
        reason="稀释倍数录错",
    )
    # The correction goes back to review (by someone other than its author).
    svc.accept_results(db.session, reviewer, [lead], signature=signed(reviewer))
    svc.retest(db.session, supervisor, lead, "复核超标结果")
    db.session.commit()
    return sample


@pytest.mark.browser
def test_the_history_page_reads_like_a_record(
    browser_page, browser_login, db, tech, reviewer, make_user, flour_sample, tmp_path
):
    boss = make_user("boss", Role.SUPERVISOR, full_name="主任丙")
    sample = _worked_sample(db, tech, reviewer, boss, flour_sample)
    db.session.rollback()
    page = browser_login(boss)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/lab/samples/{sample.id}/history")
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    table = page.inner_text("#history")
    for word in RAW:
        assert word not in table, word
    actions = page.eval_on_selector_all(".history-action", "els => els.map(e => e.textContent)")
    assert "更正" in actions and "审核通过" in actions or "通过" in "".join(actions)
    assert actions.count("新建复测结果") == 1  # the retest row only
    assert "订复测" in "".join(actions) or "复测" in "".join(actions)
    # The correction: the field by its label, 0.1 → 0.25, by whom and why.
    row = page.locator("#history > tbody > tr", has_text="稀释倍数录错").filter(has_text="更正")
    text = row.inner_text()
    assert "检验结果" in text and "0.1" in text and "0.25" in text and "主任丙" in text
    assert row.locator("del", has_text="0.1").count() >= 1
    # Statuses and verdicts by their titles.
    assert "合格" in table or "不合格" in table
    # English interface: the same page in English, no Chinese field labels left.
    # Wait for the English page to load: a click waits for the navigation to commit only,
    # and the table read before it is parsed to the end can miss its last rows.
    with page.expect_navigation():
        page.click("#lang-switch")
    english = page.inner_text("#history")
    assert "Result" in english and "Corrected" in english and "检验结果" not in english


def test_saves_that_changed_nothing_are_left_out_and_creation_is_named(app, db, make_user):
    user = make_user("ann", Role.SAMPLER, full_name="安")
    at = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)

    def entry(entity, action, old, new, reason=None):
        return AuditEntry(
            at=at,
            user_id=user.id,
            entity=entity,
            entity_id="1",
            action=action,
            old_values=json.dumps(old) if old is not None else None,
            new_values=json.dumps(new) if new is not None else None,
            reason=reason,
            prev_hash="0",
            row_hash="0",
        )

    rows = history_rows(
        db.session,
        [
            entry("sample", "create", None, {"food_name": "挂面", "status": "registered"}),
            entry("sample", "update", {"food_name": "挂面"}, {"food_name": "挂面"}),
            entry("sample", "update", {"food_name": "挂面"}, {"food_name": "龙须面"}),
            entry("result", "create", None, {"status": "pending", "sample_id": 1}),
            entry("sample", "mystery", {"x": 1}, {"x": 2}),
        ],
        item_names={1: "铅(以Pb计)"},
        sample_title="样品",
    )
    assert len(rows) == 4  # the unchanged save is gone
    created = rows[0]
    assert created.action == "抽样" and created.who == "安"
    assert [(c.label, c.before, c.after) for c in created.changes] == [
        ("食品名称", "", "挂面"),
        ("状态", "", "已抽样，待接收"),
    ]
    assert rows[1].changes[0].before == "挂面" and rows[1].changes[0].after == "龙须面"
    assert rows[2].action == "分配检验项目" and rows[2].subject == "铅(以Pb计)"
    assert rows[2].action != "新建复测结果"
    assert rows[3].action == "修改"  # never the raw action name


def test_the_result_history_names_the_retest_row_once(
    client, login, db, tech, reviewer, make_user, flour_sample
):
    boss = make_user("boss", Role.SUPERVISOR)
    sample = _worked_sample(db, tech, reviewer, boss, flour_sample)
    retest = db.session.scalar(select(SampleResult).where(SampleResult.supersedes_id.is_not(None)))
    assert retest is not None
    login(boss)
    html = client.get(f"/lab/samples/{sample.id}/history").get_data(as_text=True)
    assert html.count("新建复测结果") == 1
    assert "sample_id" not in html and "supersedes_id" not in html


def test_the_withdrawn_conclusion_is_named_for_what_it_is(
    client, login, db, tech, reviewer, make_user, flour_sample
):
    """The lab's correction and its retest of a row withdraw the conclusion until the rows
    are accepted again (so does an upheld objection): the history says that, with the
    entry's reason, and does not call a correction a retest."""
    boss = make_user("boss", Role.SUPERVISOR)
    sample = _worked_sample(db, tech, reviewer, boss, flour_sample)
    login(boss)
    html = client.get(f"/lab/samples/{sample.id}/history").get_data(as_text=True)
    assert html.count("检验结论已撤回，待检验结果重新审核通过后再作结论") == 2  # correction, retest
    assert "因复测撤回" not in html
    assert "稀释倍数录错" in html and "复核超标结果" in html
