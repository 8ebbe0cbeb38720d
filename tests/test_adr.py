"""Suspected adverse drug reaction reports from a case: pre-filled, saved, submitted, amended
with a reason, never lost to a concurrent edit; deadlines and clusters from the rules file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from copilot.desk.adr import AdrDesk
from copilot.desk.adr_export import export_csv, export_json
from copilot.desk.adr_facts import read_facts
from copilot.desk.adr_form import AdrForm, missing_fields
from copilot.desk.auth import add_user
from copilot.desk.db import Database
from copilot.desk.service import Desk, DeskError
from copilot.desk.tables import AuditEntry
from copilot.errors import KnowledgeError
from copilot.safety.adr_rules import load_adr_rules

RASH = "用了达克宁霜两天，涂的地方又红又肿还起了小水泡，好痒"


@pytest.fixture
def adr(db_url, sample_copilot):
    return AdrDesk(Desk(db=Database(db_url), copilot=sample_copilot))


@pytest.fixture
def people(adr):
    with adr.db.session() as s:
        agent, _, _ = add_user(s, username="agent", role="agent", password="agent-password-1")
        ph, _, _ = add_user(s, username="ph", role="pharmacist", password="ph-password-12")
        ph2, _, _ = add_user(s, username="ph2", role="pharmacist", password="ph2-password-1")
    return agent, ph, ph2


def _case(adr, people, conversation="adr1", text=RASH):
    agent = people[0]
    _, esc = adr.desk.receive(conversation, text, user=agent)
    assert esc is not None, "a suspected reaction escalates"
    return esc


def _complete(form: AdrForm) -> AdrForm:
    return form.model_copy(
        update={
            "sex": "女",
            "event_name": "接触性皮炎",
            "onset_date": datetime.now(UTC).date(),
            "outcome": "好转",
            "seriousness": "general",
            "is_new": False,
            "causality": "很可能",
        }
    )


def test_report_is_prefilled_from_the_case_and_only_pharmacists_open_it(adr, people):
    agent, ph, _ = people
    esc = _case(adr, people)
    with pytest.raises(DeskError) as denied:
        adr.open_for(esc.id, agent)
    assert denied.value.status == 403
    view = adr.open_for(esc.id, ph)
    suspected = [d for d in view.form.drugs if d.role == "suspected"]
    assert suspected and suspected[0].product_id == "miconazole-cream"
    assert suspected[0].route == "外用"  # a topical product's reaction is still a reaction
    assert "起了小水泡" in view.form.event_course
    assert "不良反应名称" in view.missing_required
    assert "怀疑药品批号" in view.missing_recommended
    assert view.label_adverse, "the label's 不良反应 section is shown beside the report"
    assert view.status == "draft" and view.version == 1
    assert adr.open_for(esc.id, ph).id == view.id  # one report per case
    with adr.db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert actions.count("adr.opened") == 1


def test_deadline_follows_seriousness_and_novelty(adr, people):
    _, ph, _ = people
    view = adr.open_for(_case(adr, people).id, ph)
    learned = view.due_at - timedelta(days=15)  # not yet judged: the shorter limit
    assert view.due_rule == "seriousness-unjudged"
    general = view.form.model_copy(update={"seriousness": "general", "is_new": False})
    view = adr.save(view.id, ph, general, view.version)
    assert view.due_rule == "general" and view.due_at == learned + timedelta(days=30)
    new = general.model_copy(update={"is_new": True})
    view = adr.save(view.id, ph, new, view.version)
    assert view.due_rule == "new" and view.due_at == learned + timedelta(days=15)
    death = new.model_copy(update={"seriousness": "death"})
    view = adr.save(view.id, ph, death, view.version)
    assert view.immediate and view.due_at == learned and view.overdue
    assert "死亡原因" in view.missing_required


def test_deadlines_come_from_the_rules_file(tmp_path):
    path = tmp_path / "adr.yaml"
    text = Path("knowledge/rules/adr.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("days: 30", "days: 20"), encoding="utf-8")
    rules = load_adr_rules(path)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    rule, due = rules.deadline("general", False, t0)
    assert rule.id == "general" and due == t0 + timedelta(days=20)
    path.write_text(text.replace("    when: {}\n", "    when: {is_new: false}\n"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="last deadline rule must match every report"):
        load_adr_rules(path)


def test_submit_needs_the_required_fields_then_only_amend_with_a_reason(adr, people):
    agent, ph, _ = people
    view = adr.open_for(_case(adr, people).id, ph)
    with pytest.raises(DeskError, match="还缺必填项"):
        adr.submit(view.id, ph, view.version)
    view = adr.save(view.id, ph, _complete(view.form), view.version)
    assert view.missing_required == []
    with pytest.raises(DeskError) as denied:
        adr.submit(view.id, agent, view.version)
    assert denied.value.status == 403
    view = adr.submit(view.id, ph, view.version)
    assert view.status == "submitted" and view.submitted_at is not None and not view.overdue

    amended = view.form.model_copy(update={"outcome": "痊愈"})
    with pytest.raises(DeskError, match="修订原因"):
        adr.save(view.id, ph, amended, view.version)
    view = adr.save(view.id, ph, amended, view.version, reason="回访：皮疹已消退")
    assert view.status == "submitted" and view.form.outcome == "痊愈"
    with adr.db.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "adr.amended")).one()
    assert entry.detail["before"] == {"outcome": "好转"}
    assert entry.detail["after"] == {"outcome": "痊愈"}
    assert entry.detail["reason"] == "回访：皮疹已消退"


def test_a_concurrent_edit_is_refused_not_lost(adr, people):
    _, ph, ph2 = people
    view = adr.open_for(_case(adr, people).id, ph)
    first = adr.save(view.id, ph, view.form.model_copy(update={"event_name": "皮疹"}), 1)
    with pytest.raises(DeskError) as stale:
        adr.save(view.id, ph2, view.form.model_copy(update={"event_name": "红肿"}), 1)
    assert stale.value.status == 409
    assert adr.get(view.id, ph).form.event_name == "皮疹" and first.version == 2


def test_follow_up_date_is_kept_and_audited(adr, people):
    _, ph, _ = people
    view = adr.open_for(_case(adr, people).id, ph)
    day = datetime.now(UTC).date() + timedelta(days=3)
    view = adr.save(view.id, ph, view.form, view.version, follow_up_on=day)
    assert view.follow_up_on == day


def test_reports_on_one_product_raise_a_cluster_alert(adr, people):
    _, ph, _ = people
    ids = []
    for n in range(3):
        view = adr.open_for(_case(adr, people, f"cl{n}").id, ph)
        ids.append(view.id)
        if n < 2:  # two of them name the same batch
            form = view.form.model_copy(deep=True)
            form.drugs[0].batch_no = "B2026A"
            adr.save(view.id, ph, form, view.version)
    alerts = adr.cluster_alerts(ph)
    name = "硝酸咪康唑乳膏"
    assert {"product": "miconazole-cream", "name": name, "batch": None, "reports": ids} in alerts
    batch = {"product": "miconazole-cream", "name": name, "batch": "B2026A", "reports": ids[:2]}
    assert batch in alerts


def test_export_has_the_national_form_fields(adr, people):
    _, ph, _ = people
    view = adr.open_for(_case(adr, people).id, ph)
    view = adr.save(view.id, ph, _complete(view.form), view.version)
    data = export_json(view)
    for field in (
        "报告类型",
        "怀疑药品",
        "不良反应名称",
        "关联性评价",
        "应报日期",
        "新的/严重/一般",
    ):
        assert field in data
    assert "硝酸咪康唑乳膏" in data["怀疑药品"] and data["新的/严重/一般"] == "一般"
    csv_text = export_csv([view])
    assert csv_text.startswith("\ufeff报告编号,") and "接触性皮炎" in csv_text


def test_missing_fields_on_an_empty_form():
    required, recommended = missing_fields(AdrForm())
    assert "怀疑药品（至少一个，含通用名）" in required and "关联性评价" in required
    assert recommended  # age, weight, name, contact …


def test_name_and_contact_are_masked_unless_revealed_and_a_masked_save_keeps_them(adr, people):
    agent, ph, _ = people
    view = adr.open_for(_case(adr, people).id, ph)
    form = view.form.model_copy(update={"patient_name": "张小红", "patient_contact": "13812345678"})
    view = adr.save(view.id, ph, form, view.version)
    assert (view.form.patient_name, view.form.patient_contact) == ("张**", "138****5678")
    assert not view.identity_shown
    # the page sends the masked values back with another change: the stored ones stay
    view = adr.save(view.id, ph, view.form.model_copy(update={"event_name": "皮疹"}), view.version)
    shown = adr.get(view.id, ph, reveal=True, purpose="导出")
    assert (shown.form.patient_name, shown.form.patient_contact) == ("张小红", "13812345678")
    with pytest.raises(DeskError) as denied:
        adr.get(view.id, agent, reveal=True)
    assert denied.value.status == 403
    with adr.db.session() as s:
        revealed = s.scalars(select(AuditEntry).where(AuditEntry.action == "adr.revealed")).all()
    assert [e.detail["purpose"] for e in revealed] == ["导出"]


def test_cluster_thresholds_come_from_the_rules_file(tmp_path):
    from copilot.desk.adr import find_clusters
    from copilot.desk.adr_form import AdrDrug

    text = Path("knowledge/rules/adr.yaml").read_text(encoding="utf-8")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    form = AdrForm(drugs=[AdrDrug(product_id="p1", generic_name="某药片", batch_no="B1")])
    reports = [(1, now - timedelta(days=1), form), (2, now - timedelta(days=10), form)]
    path = tmp_path / "adr.yaml"
    path.write_text(text, encoding="utf-8")
    shipped = find_clusters(reports, load_adr_rules(path).cluster, now)
    assert [c["batch"] for c in shipped] == ["B1"]  # 2 on one batch; 3 needed per product
    path.write_text(
        text.replace("min_reports_same_product: 3", "min_reports_same_product: 2").replace(
            "window_days: 14", "window_days: 5"
        ),
        encoding="utf-8",
    )
    narrower = find_clusters(reports, load_adr_rules(path).cluster, now)
    assert narrower == []  # the 10-day-old report is outside a 5-day window


def test_what_the_customer_says_in_the_chat_fills_the_empty_medicine_fields(adr, people):
    """The customer answers the report page's ready question in the chat; 从对话补充 puts the
    batch number, maker, start date and dose into the suspected medicine's empty fields (dates
    from the day the message arrived), never over what the pharmacist wrote, and is audited."""
    agent, ph, _ = people
    esc = _case(adr, people, conversation="adr-fill")
    view = adr.open_for(esc.id, ph)
    # the pharmacist has written the dose themselves
    drugs = [
        d.model_copy(update={"dose": "适量"}) if d.role == "suspected" else d
        for d in view.form.drugs
    ]
    view = adr.save(view.id, ph, view.form.model_copy(update={"drugs": drugs}), view.version)
    adr.desk.receive(
        "adr-fill",
        "药盒上批号是c2405017 厂家是西安杨森制药有限公司，前天早上开始涂的，一天两次",
        user=agent,
    )
    # a fill from a version someone has since replaced is refused, not merged blindly
    with pytest.raises(DeskError) as stale:
        adr.fill_from_chat(view.id, ph, view.version - 1)
    assert stale.value.status == 409
    view, filled = adr.fill_from_chat(view.id, ph, view.version)
    drug = next(d for d in view.form.drugs if d.role == "suspected")
    assert drug.batch_no == "C2405017" and drug.maker == "西安杨森制药有限公司"
    assert drug.frequency == "一日2次"
    beijing_today = (datetime.now(UTC) + timedelta(hours=8)).date()
    assert drug.start_date == beijing_today - timedelta(days=2)
    assert drug.dose == "适量"  # the pharmacist's own entry stays
    # the maker came from the product master already; the customer's words fill the rest
    assert {k for _, k in filled} == {"batch_no", "start_date", "frequency"}
    # nothing new to fill: nothing saved, the version unchanged
    again, none = adr.fill_from_chat(view.id, ph, view.version)
    assert none == [] and again.version == view.version
    with adr.db.session() as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert actions.count("adr.filled_from_chat") == 1


def test_a_report_opened_after_the_customer_told_the_pack_is_prefilled_with_it(adr, people):
    agent = people[0]
    adr.desk.receive("adr-pre", "我是上周开始用的达克宁霜 批号是A1234567", user=agent)
    esc = _case(adr, people, conversation="adr-pre")
    drug = next(d for d in adr.open_for(esc.id, people[1]).form.drugs if d.role == "suspected")
    assert drug.batch_no == "A1234567"


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("昨天晚上开始吃的", "start_date", date(2026, 11, 30)),
        ("3天前开始用", "start_date", date(2026, 11, 28)),
        ("吃了五天了", "start_date", date(2026, 11, 27)),
        ("上周三开始吃", "start_date", date(2026, 11, 25)),
        ("11月20号开始吃的", "start_date", date(2026, 11, 20)),
        ("12月28号开始吃的", "start_date", date(2025, 12, 28)),  # not yet this year: last year's
        ("一次两粒", "dose", "2粒"),
        ("每次半片 一天三次", "frequency", "一日3次"),
        ("LOT: 23A0915", "batch_no", "23A0915"),
        ("包装上写着华北制药", "maker", "华北制药"),
        ("每次吃1粒 今天早上起了疹子就没再吃了", "dose", "1粒"),
        ("每次吃1粒 今天早上起了疹子就没再吃了", "stop_date", date(2026, 12, 1)),
        ("上周一开始吃 昨天停了", "stop_date", date(2026, 11, 30)),
        ("上周一开始吃 昨天停了", "start_date", date(2026, 11, 23)),
    ],
)
def test_chat_facts_read_dates_doses_and_packs(said, field, value):
    at = datetime(2026, 12, 1, 10, 0)  # a Tuesday
    facts = read_facts([(said, at)], [["阿莫西林"]], [0])
    assert getattr(facts.by_drug[0], field) == value


def test_chat_facts_are_tied_to_the_medicine_named_or_left_alone():
    at = datetime(2026, 12, 1, 10, 0)
    two = [["阿莫西林"], ["布洛芬"]]
    facts = read_facts([("阿莫西林吃了三天，布洛芬是昨天开始吃的", at)], two, [0, 1])
    assert facts.by_drug[0].start_date == date(2026, 11, 29)
    assert facts.by_drug[1].start_date == date(2026, 11, 30)
    # two suspected medicines and a clause naming neither: nobody's
    assert read_facts([("批号是B7654321", at)], two, [0, 1]).by_drug == {}
    # a company mentioned in passing is not a maker
    assert read_facts([("我在医药公司上班", at)], [["阿莫西林"]], [0]).by_drug == {}
