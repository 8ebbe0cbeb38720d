"""The desk over real databases: SQLite always, PostgreSQL when COPILOT_TEST_POSTGRES_URL is
set (.ci/run sets it to the machine's local server)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from copilot.desk.auth import AuthError, add_user, authenticate, ensure_first_admin, user_for_token
from copilot.desk.dashboard import figures
from copilot.desk.db import Database
from copilot.desk.service import Desk, DeskError
from copilot.desk.tables import (
    AgentAction,
    AuditEntry,
    CaseStep,
    Escalation,
    Message,
    SuggestionRow,
)


@pytest.fixture
def desk(db_url, sample_copilot):
    return Desk(db=Database(db_url), copilot=sample_copilot)


@pytest.fixture
def people(desk):
    with desk.db.session() as s:
        agent, _, agent_token = add_user(
            s, username="agent", role="agent", password="agent-password"
        )
        pharmacist, _, _ = add_user(
            s, username="ph", role="pharmacist", password="pharmacist-password"
        )
    return agent, pharmacist, agent_token


def test_message_suggestion_and_accept_are_stored_and_audited(desk, people):
    agent, _, _ = people
    row, esc = desk.receive("c1", "开瑞坦一天吃几片", user=agent)
    assert esc is None and row.kind == "draft"
    desk.act(row.id, agent, "accept")
    with desk.db.session() as s:
        messages = [(m.role, m.text) for m in s.scalars(select(Message).order_by(Message.id))]
        assert messages[0] == ("customer", "开瑞坦一天吃几片")
        # the customer gets the draft without the agent's [n] source markers
        assert "[1]" in row.text
        assert messages[1][0] == "agent" and messages[1][1] == row.text.replace("[1]", "")
        assert "[" not in messages[1][1]
        assert s.get(SuggestionRow, row.id).status == "accepted"
        actions = list(s.scalars(select(AuditEntry.action)))
        assert {"conversation.opened", "suggestion.created", "suggestion.accept"} <= set(actions)


def test_edit_records_distance_and_final_text_is_reverified(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("c2", "开瑞坦一天吃几片", user=agent)
    with pytest.raises(DeskError) as blocked:
        desk.act(row.id, agent, "edit", final_text=row.text.replace("一次1片", "一次3片"))
    assert blocked.value.status == 409 and "核查未通过" in str(blocked.value)
    edited = row.text + "\n祝您早日康复！"
    action = desk.act(row.id, agent, "edit", final_text=edited)
    assert action.edit_distance == len("\n祝您早日康复！")
    with pytest.raises(DeskError, match="已处理"):
        desk.act(row.id, agent, "accept")


def test_reject_needs_a_reason(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("c3", "开瑞坦一天吃几片", user=agent)
    with pytest.raises(DeskError, match="原因"):
        desk.act(row.id, agent, "reject")
    desk.act(row.id, agent, "reject", reason="答非所问")
    with desk.db.session() as s:
        assert s.scalar(select(AgentAction.reason)) == "答非所问"


def test_escalation_lifecycle_and_roles(desk, people):
    agent, pharmacist, _ = people
    _, esc = desk.receive("c4", "我怀孕了能吃感冒灵吗", user=agent)
    assert esc.tier == "priority" and esc.status == "open"
    with pytest.raises(DeskError) as forbidden:
        desk.answer(esc.id, agent, "可以吃")
    assert forbidden.value.status == 403
    desk.claim(esc.id, pharmacist)
    desk.answer(esc.id, pharmacist, "孕期感冒请先不要自行服用感冒灵，建议……")
    with pytest.raises(DeskError):
        desk.claim(esc.id, pharmacist)
    desk.close(esc.id, pharmacist)
    with desk.db.session() as s:
        e = s.get(Escalation, esc.id)
        assert e.status == "closed" and e.assignee_id == pharmacist.id
        roles = [
            m.role
            for m in s.scalars(
                select(Message).where(Message.conversation_id == "c4").order_by(Message.id)
            )
        ]
        assert roles == ["customer", "pharmacist"]


def test_queue_orders_by_tier_then_deadline(desk, people):
    agent, _, _ = people
    desk.receive("q1", "感冒灵和泰诺林能一起吃吗", user=agent)  # priority
    desk.receive("q2", "烧了4天了还不退 吃什么好", user=agent)  # routine
    desk.receive("q3", "我爸突然胸口疼得厉害还出冷汗", user=agent)  # emergency
    with desk.db.session() as s:
        assert [e.tier for e in desk.queue(s)] == ["emergency", "priority", "routine"]


def test_queue_within_a_tier_puts_unheld_cases_first(desk, people):
    agent, pharmacist, _ = people
    _, held = desk.receive("q4", "感冒灵和泰诺林能一起吃吗", user=agent)
    _, answered = desk.receive("q5", "我怀孕了能吃布洛芬吗", user=agent)
    _, unheld = desk.receive("q6", "吃着华法林能吃芬必得吗", user=agent)
    assert {held.tier, answered.tier, unheld.tier} == {"priority"}
    desk.claim(held.id, pharmacist)
    desk.claim(answered.id, pharmacist)
    desk.answer(answered.id, pharmacist, "孕期请不要自行服用布洛芬，请咨询产科医生。")
    with desk.db.session() as s:
        order = [e.id for e in desk.queue(s)]
    assert order == [unheld.id, held.id, answered.id]


def test_failed_write_leaves_nothing_half_written(desk, people, monkeypatch):
    agent, _, _ = people

    def broken(*args, **kwargs):
        raise RuntimeError("pipeline down")

    monkeypatch.setattr(desk.copilot, "suggest", broken)
    with pytest.raises(RuntimeError):
        desk.receive("c5", "开瑞坦一天吃几片", user=agent)
    with desk.db.session() as s:
        assert s.scalars(select(Message).where(Message.conversation_id == "c5")).all() == []


def test_bad_messages_are_refused(desk, people):
    agent, _, _ = people
    for text, status in (("   ", 422), ("药" * 2001, 422)):
        with pytest.raises(DeskError) as info:
            desk.receive("c6", text, user=agent)
        assert info.value.status == status
    with pytest.raises(DeskError) as missing:
        desk.act("no-such-id", agent, "accept")
    assert missing.value.status == 404


def test_users_passwords_tokens_and_first_admin(desk):
    with desk.db.session() as s:
        created = ensure_first_admin(s)
        assert created and created[0] == "admin" and len(created[1]) >= 12
        assert ensure_first_admin(s) is None
        user, password, token = add_user(s, username="a2", role="agent")
        assert user.password_hash != password and password not in user.password_hash
        assert authenticate(s, "a2", password).id == user.id
        assert user_for_token(s, token).id == user.id
        with pytest.raises(AuthError):
            authenticate(s, "a2", "wrong-password")
        with pytest.raises(AuthError, match="role"):
            add_user(s, username="x", role="doctor")


def test_edited_holding_reply_is_checked_without_requiring_citations(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("c7", "我怀孕了能吃感冒灵吗", user=agent)
    assert row.kind == "holding"
    edited = row.text.replace("\n", "\r\n") + "\r\n请您留意药师的回复。"
    action = desk.act(row.id, agent, "edit", final_text=edited)
    assert action.final_text.endswith("请您留意药师的回复。") and "\r" not in action.final_text
    row2, _ = desk.receive("c8", "我怀孕了能吃感冒灵吗", user=agent)
    with pytest.raises(DeskError, match="核查未通过"):
        desk.act(row2.id, agent, "edit", final_text="您好，可以吃，一次2袋，保证治好。")


def test_a_slow_llm_draft_does_not_block_another_agents_write(db_url, sample_copilot, people):
    """The pipeline (LLM call included) runs outside the write transaction: while one message
    waits 3 s on the model, another agent's accept is stored at once."""
    import threading

    from fakes import FakeOpenAI

    from copilot.pipeline import Copilot

    agent, _, _ = people
    fast = Desk(db=Database(db_url, migrate=False), copilot=sample_copilot)
    row, _ = fast.receive("c-fast", "开瑞坦一天吃几片", user=agent)
    with FakeOpenAI() as server:
        server.delay = 3.0
        s = sample_copilot.settings
        llm = s.llm.model_copy(
            update={"provider": "openai", "base_url": server.base_url, "timeout_s": 10}
        )
        slow_copilot = Copilot(
            settings=s.model_copy(update={"llm": llm}),
            retriever=sample_copilot.retriever,
            gate=sample_copilot.gate,
        )
        slow = Desk(db=Database(db_url, migrate=False), copilot=slow_copilot)
        done: list = []
        worker = threading.Thread(
            target=lambda: done.append(slow.receive("c-slow", "芬必得一天吃几次", user=agent))
        )
        worker.start()
        while not server.requests:  # the slow message is now waiting on the model
            threading.Event().wait(0.01)
        fast.act(row.id, agent, "accept")
        assert worker.is_alive(), "the accept had to wait for the slow draft"
        worker.join(timeout=30)
    assert done and done[0][0].provider == "openai:qwen2.5-7b-instruct"
    with fast.db.session() as sess:
        assert sess.get(SuggestionRow, row.id).status == "accepted"


# --- one case per conversation, stale suggestions, holding edits, races (issues 14 and 15) -----


def _escalations(desk, conversation_id):
    with desk.db.session() as s:
        return list(
            s.scalars(select(Escalation).where(Escalation.conversation_id == conversation_id))
        )


def test_follow_ups_join_the_open_case_instead_of_opening_new_ones(desk, people):
    agent, _, _ = people
    _, esc = desk.receive("f1", "哺乳期可以吃氯雷他定吗", user=agent)
    assert esc.tier == "priority"
    row, same = desk.receive("f1", "好的，那大概要等多久呀", user=agent)
    assert same.id == esc.id and row.kind == "holding" and "药师" in row.text
    row, same = desk.receive("f1", "宝宝刚才抽起来了，叫也叫不醒", user=agent)
    assert same.id == esc.id
    [case] = _escalations(desk, "f1")
    assert case.tier == "emergency"  # a more urgent follow-up raises the case
    assert {"pregnancy-lactation", "emergency-red-flag"} <= {r["id"] for r in case.reasons}
    service, _ = desk.receive("f1", "另外我上周的订单能开发票吗", user=agent)
    assert service.kind == "draft"  # a service question is still the agent's to answer


def test_a_follow_up_on_an_emergency_case_keeps_120_first(desk, people):
    agent, _, _ = people
    _, esc = desk.receive("f1e", "我老公把一整瓶安眠药吃了 现在叫不醒", user=agent)
    assert esc.tier == "emergency"
    row, same = desk.receive("f1e", "好的好的 那我现在要干嘛", user=agent)
    assert same.id == esc.id and row.kind == "holding"
    assert row.text.index("120") < row.text.index("药师"), row.text


def test_a_holding_reply_edit_may_not_add_advice(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("f2", "孩子把一整板布洛芬吃了", user=agent)
    assert row.kind == "holding"
    for unsafe in ("没关系，不用去医院，多喝水在家观察就行", "一般问题不大，先观察一下。"):
        with pytest.raises(DeskError, match="核查未通过"):
            desk.act(row.id, agent, "edit", final_text=unsafe)
        with pytest.raises(DeskError, match="核查未通过"):
            desk.act(row.id, agent, "edit", final_text=row.text + "\n" + unsafe)
    desk.act(row.id, agent, "edit", final_text="您好，非常理解您的着急。\n" + row.text)


def test_first_aid_or_delay_riding_on_the_emergency_sentence_is_refused(desk, people):
    """The walkthrough's bypass, as a family: the holding reply's own 120 sentence (or any
    care-seeking one) with what to do meanwhile added inside it, or care put off in other words."""
    agent, _, _ = people
    row, _ = desk.receive("f2d", "女儿把我一板降压药全吃了", user=agent)
    assert row.kind == "holding"
    first = row.text.split("\n")[0].rstrip("。")
    for unsafe in (
        first + "，等车的时候先让她把药吐出来，再喝点牛奶。",
        "请马上打120，路上可以给孩子灌点盐水催吐。",
        "先别急着去医院，等药师看了再说。",
        "暂时不用打120，我们药师马上联系您。",
    ):
        with pytest.raises(DeskError, match="核查未通过"):
            desk.act(row.id, agent, "edit", final_text=unsafe)
    desk.act(
        row.id, agent, "edit", final_text=row.text + "\n请立即拨打120，带上药盒去最近医院急诊。"
    )


def test_an_agent_may_always_send_the_customer_to_emergency_care(desk, people):
    """Care-seeking only adds caution: allowed on any escalated case, with no drug or dose."""
    agent, _, _ = people
    row, _ = desk.receive("f2b", "哺乳期可以吃氯雷他定吗", user=agent)
    assert row.kind == "holding"
    desk.act(
        row.id,
        agent,
        "edit",
        final_text=row.text + "\n如果出现呼吸困难，请马上拨打120或去最近医院急诊。",
    )
    row2, _ = desk.receive("f2c", "哺乳期能吃布洛芬吗", user=agent)
    with pytest.raises(DeskError, match="核查未通过"):
        desk.act(row2.id, agent, "edit", final_text=row2.text + "\n去医院前可以先吃一片布洛芬。")


def test_a_pharmacist_answer_with_a_dose_above_the_label_for_this_child_is_blocked(desk, people):
    agent, pharmacist, _ = people
    _, esc = desk.receive("f6", "孩子3岁 15公斤 发烧39度 美林怎么喂", user=agent)
    desk.claim(esc.id, pharmacist)
    for wrong in ("美林每次喂15毫升就行。", "美林每次4毫升，一天最多喂6次。"):
        with pytest.raises(DeskError, match="超过说明书"):
            desk.answer(esc.id, pharmacist, wrong)
    desk.answer(esc.id, pharmacist, "按说明书，3岁15公斤每次4毫升，24小时内不超过4次。")


def test_a_suggestion_goes_stale_once_the_pharmacist_has_answered(desk, people):
    agent, pharmacist, _ = people
    row, esc = desk.receive("f3", "我怀孕五个月了能吃感冒灵吗", user=agent)
    desk.claim(esc.id, pharmacist)
    desk.answer(esc.id, pharmacist, "孕期请先不要服用感冒灵，多休息，发热请就医。")
    with pytest.raises(DeskError, match="过期") as stale:
        desk.act(row.id, agent, "accept")
    assert stale.value.status == 409
    desk.act(row.id, agent, "dismiss")  # put away: neither sent nor judged
    with desk.db.session() as s:
        assert s.get(SuggestionRow, row.id).status == "dismissed"
        counted = figures(s, {})
    assert counted["actions"] == 0 and counted["reject_rate"] is None  # no reject counted
    with pytest.raises(DeskError, match="已处理") as twice:
        desk.act(row.id, agent, "dismiss")
    assert twice.value.status == 409


def test_only_a_suggestion_the_pharmacist_made_stale_is_dismissed(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("f3b", "布洛芬一天吃几次", user=agent)
    with pytest.raises(DeskError, match="只有已被后续回复") as refused:
        desk.act(row.id, agent, "dismiss")
    assert refused.value.status == 409


def test_a_pharmacist_answer_is_checked_and_needs_a_claim(desk, people):
    agent, pharmacist, _ = people
    _, esc = desk.receive("f4", "哺乳期能吃布洛芬吗", user=agent)
    with pytest.raises(DeskError, match="认领"):
        desk.answer(esc.id, pharmacist, "可以短期服用。")
    desk.claim(esc.id, pharmacist)
    with pytest.raises(DeskError, match="核查未通过"):
        desk.answer(esc.id, pharmacist, "放心吃，保证药到病除。")
    desk.answer(esc.id, pharmacist, "哺乳期可短期按说明书用量服用，如有不适请就医。")
    _, other = desk.receive("f5", "哺乳期能吃开瑞坦吗", user=agent)
    desk.claim(other.id, pharmacist)
    desk.answer(
        other.id, pharmacist, "不要紧，不用去医院。", override_reason="顾客已在医院就诊，医生已评估"
    )
    with desk.db.session() as s:
        override = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "escalation.answer_override")
        ).one()
        assert override.detail["findings"] == ["discourages_care"]
        assert "医生已评估" in override.detail["reason"]


def _race(n, action):
    """Run `action(i)` in n threads released at once; return (successes, 409 failures)."""
    import threading

    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        barrier.wait()
        try:
            action(i)
            results[i] = "ok"
        except DeskError as exc:
            results[i] = exc.status

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results.count("ok"), results.count(409)


def test_concurrent_case_actions_have_one_winner(desk, people):
    agent, pharmacist, _ = people
    with desk.db.session() as s:
        other, _, _ = add_user(s, username="ph2", role="pharmacist", password="pharmacist-2-pw")
        agent2, _, _ = add_user(s, username="agent2", role="agent", password="agent-2-password")
    row, _ = desk.receive("r1", "开瑞坦一天吃几片", user=agent)
    agents = [agent, agent2]
    assert _race(2, lambda i: desk.act(row.id, agents[i], "accept")) == (1, 1)
    with desk.db.session() as s:
        sent = s.scalars(
            select(Message).where(Message.conversation_id == "r1", Message.role == "agent")
        ).all()
        assert len(sent) == 1  # sent once
    _, esc = desk.receive("r2", "哺乳期能吃开瑞坦吗", user=agent)
    pharmacists = [pharmacist, other]
    assert _race(2, lambda i: desk.claim(esc.id, pharmacists[i])) == (1, 1)
    with desk.db.session() as s:
        holder = s.get(Escalation, esc.id).assignee_id
    winner = pharmacist if holder == pharmacist.id else other
    loser = other if winner is pharmacist else pharmacist
    answers = [(winner, "请先咨询医生。"), (loser, "可以吃。")]
    ok, refused = _race(2, lambda i: desk.answer(esc.id, *answers[i]))
    assert (ok, refused) == (1, 1)
    with desk.db.session() as s:
        delivered = s.scalars(
            select(Message).where(Message.conversation_id == "r2", Message.role == "pharmacist")
        ).all()
        assert [m.text for m in delivered] == ["请先咨询医生。"]


def test_simultaneous_first_messages_open_one_conversation(desk, people):
    agent, _, _ = people
    texts = ["你好", "在吗", "氯雷他定怎么吃"]
    ok, refused = _race(3, lambda i: desk.receive("new-1", texts[i], user=agent))
    assert (ok, refused) == (3, 0)
    with desk.db.session() as s:
        stored = s.scalars(select(Message.text).where(Message.conversation_id == "new-1")).all()
        assert sorted(stored) == sorted(texts)
        opened = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "conversation.opened")
        ).all()
        assert [e.entity_id for e in opened].count("new-1") == 1


def test_a_conversation_scopes_earlier_products_and_people(desk, people):
    """Scripted conversation through the desk: an earlier product only asked about does not
    follow a message that names its own; a product taken earlier does; a service question
    carries nobody."""
    agent, _, _ = people
    desk.receive("s1", "芬必得一天最多吃几次", user=agent)
    row, _ = desk.receive("s1", "另外问下 开瑞坦一天几片", user=agent)
    drugs = row.payload["verdict"]["triage"]["drugs"]
    assert [d["doc_id"] for d in drugs] == ["loratadine-tablet"]
    desk.receive("s2", "中午已经吃了两片必理通", user=agent)
    row, _ = desk.receive("s2", "晚上再喝一包感冒灵行吗", user=agent)
    assert any(a["kind"] == "duplicate_ingredient" for a in row.payload["alerts"])
    _, case = desk.receive("s3", "三岁宝宝发烧 美林怎么喂", user=agent)
    row, same = desk.receive("s3", "我的订单发货了吗", user=agent)
    assert row.kind == "draft" and same.id == case.id  # answered; no second case
    assert not row.payload["verdict"]["escalation"]  # the child is not carried into it
    assert len(_escalations(desk, "s3")) == 1


def test_sla_compliance_counts_overdue_open_cases(desk, people):
    from datetime import UTC, datetime, timedelta

    from copilot.desk.dashboard import figures

    agent, pharmacist, _ = people
    _, late = desk.receive("d1", "哺乳期能吃开瑞坦吗", user=agent)
    _, done = desk.receive("d2", "我怀孕了能吃感冒灵吗", user=agent)
    desk.claim(done.id, pharmacist)
    desk.answer(done.id, pharmacist, "孕期请先不要服用感冒灵。")
    with desk.db.session() as s:
        s.get(Escalation, late.id).sla_deadline = datetime.now(UTC) - timedelta(minutes=1)
    with desk.db.session() as s:
        f = figures(s, {})
    assert f["overdue_open"] == 1
    assert f["sla_compliance"] == 0.5  # one answered on time, one overdue and still open


def test_an_agent_refers_a_case_the_layer_let_through(desk, people):
    agent, _, _ = people
    row, esc = desk.receive("r1", "开瑞坦一天吃几片", user=agent)
    assert esc is None and row.kind == "draft"
    drafted = row.text
    for tier, note, status in (("urgent", "顾客说孩子吃了", 422), ("priority", "  ", 422)):
        with pytest.raises(DeskError) as bad:
            desk.refer(row.id, agent, tier, note)
        assert bad.value.status == status
    case = desk.refer(row.id, agent, "priority", "顾客说在吃华法林，系统没有识别")
    assert case.tier == "priority" and case.status == "open"
    assert any("华法林" in r["reason"] for r in case.reasons)
    with desk.db.session() as s:
        stored = s.get(SuggestionRow, row.id)
        sug = stored.payload
        assert stored.kind == "holding" and stored.decision == "escalate"
        assert sug["draft"] == drafted and "药师" in stored.text and "紧急处理" not in stored.text
        assert [e.id for e in desk.queue(s)] == [case.id]
        actions = [a.action for a in s.scalars(select(AuditEntry))]
        assert "escalation.referred" in actions and "escalation.opened" in actions
    desk.act(row.id, agent, "accept")  # the holding reply goes to the customer
    with desk.db.session() as s:
        sent = s.scalars(select(Message).where(Message.role == "agent")).one()
        assert "药师" in sent.text and sent.text != drafted
    raised = desk.refer(row.id, agent, "emergency", "发完才想起顾客说过胸痛")
    assert raised.id == case.id and raised.tier == "emergency"  # the sent reply raises the case
    with desk.db.session() as s:
        assert [m.text for m in s.scalars(select(Message).where(Message.role == "agent"))] == [
            sent.text
        ]  # what the customer was told stays as it is


def test_a_referral_raises_an_open_case_never_lowers_it(desk, people):
    agent, _, _ = people
    _, case = desk.receive("r2", "我怀孕了能吃感冒灵吗", user=agent)
    assert case.tier == "priority"
    row, _ = desk.receive("r2", "那她平时能喝点蜂蜜水吗", user=agent)
    raised = desk.refer(row.id, agent, "emergency", "孕妇说头痛得厉害、看东西模糊")
    assert raised.id == case.id and raised.tier == "emergency"
    with desk.db.session() as s:
        assert "紧急处理" in s.get(SuggestionRow, row.id).text
    later, _ = desk.receive("r2", "那她能吃点水果吗", user=agent)
    kept = desk.refer(later.id, agent, "routine", "顾客还想问饮食")
    assert kept.id == case.id and kept.tier == "emergency"  # never lowered
    with desk.db.session() as s:
        assert "拨打120" in s.get(SuggestionRow, later.id).text  # the emergency case's reply stays
    assert any("饮食" in r["reason"] for r in kept.reasons)  # the note still reaches the case


def test_a_referral_after_the_draft_was_sent_opens_the_case(desk, people):
    agent, _, _ = people
    row, _ = desk.receive("r3", "开瑞坦一天吃几片", user=agent)
    desk.act(row.id, agent, "accept")
    case = desk.refer(row.id, agent, "priority", "发完才发现顾客在怀孕")
    assert case.tier == "priority" and case.status == "open"
    with desk.db.session() as s:
        assert s.get(SuggestionRow, row.id).kind == "draft"  # the sent draft is not rewritten
        notes = [
            st.note for st in s.scalars(select(CaseStep).where(CaseStep.escalation_id == case.id))
        ]
        assert any("客服转药师" in (n or "") for n in notes)
    with pytest.raises(DeskError) as unknown:
        desk.refer("no-such-id", agent, "priority", "测试")
    assert unknown.value.status == 404
