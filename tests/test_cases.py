"""The steps of a case through the desk API (receive → register → analyse → resolve → follow
up → archive, each with who and when) and a case the customer reopens after the answer."""

from __future__ import annotations

from test_web import bearer, login, web  # noqa: F401  (the fixture)

from copilot.desk.cases import CASE_STEPS


def _say(client, conv, text):
    r = client.post(
        f"/v1/conversations/{conv}/messages", headers=bearer(client, "agent"), json={"text": text}
    )
    assert r.status_code == 200, r.text
    return r.json()


def _steps(client, esc_id):
    with client.app.state.db.session() as s:
        return [(st.step, st.user_id is not None) for st in client.app.state.desk.steps(s, esc_id)]


def test_a_case_walks_its_steps_and_a_later_medical_message_opens_a_linked_case(web):  # noqa: F811
    first = _say(web, "k1", "我怀孕五个月了 能吃感冒灵吗")["escalation"]
    assert first is not None
    ph = bearer(web, "ph")
    assert web.post(f"/v1/escalations/{first['id']}/claim", headers=ph).status_code == 200
    answered = web.post(
        f"/v1/escalations/{first['id']}/answer",
        headers=ph,
        json={"text": "孕期请勿自行服用感冒灵颗粒，建议咨询产科医生。"},
    )
    assert answered.status_code == 200, answered.text
    # a thank-you after the answer is the case's follow-up, not a new ticket
    assert _say(web, "k1", "好的谢谢药师")["escalation"] is None
    # a new medical question after the answer opens a case linked to the first
    second = _say(web, "k1", "那我现在发烧38度5 能吃布洛芬吗")["escalation"]
    assert second is not None and second["id"] != first["id"]
    assert second["follows_id"] == first["id"]
    assert web.post(f"/v1/escalations/{first['id']}/close", headers=ph).status_code == 200
    steps = _steps(web, first["id"])
    assert [name for name, _ in steps] == [
        "receive",
        "register",
        "analyse",
        "resolve",
        "follow_up",
        "follow_up",
        "archive",
    ]
    assert dict(steps)["analyse"] is True  # claimed by a person
    assert set(n for n, _ in steps) == set(CASE_STEPS)


def test_pharmacist_records_a_follow_up_and_the_page_shows_the_steps(web):  # noqa: F811
    esc = _say(web, "k2", "我怀孕了能吃感冒灵吗")["escalation"]
    token = login(web, "ph")
    early = web.post(
        f"/escalations/{esc['id']}/follow_up",
        data={"csrf_token": token, "text": "电话回访"},
        follow_redirects=True,
    )
    assert "答复后才能记录随访" in early.text
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{esc['id']}/claim", headers=ph)
    web.post(f"/v1/escalations/{esc['id']}/answer", headers=ph, json={"text": "请先咨询产科医生。"})
    done = web.post(
        f"/escalations/{esc['id']}/follow_up",
        data={"csrf_token": token, "text": "电话回访，已就诊"},
        follow_redirects=True,
    )
    assert "随访已记录" in done.text
    page = web.get(f"/escalations/{esc['id']}").text
    for name in ("接收", "登记", "分析", "解决", "随访", "电话回访，已就诊"):
        assert name in page
    login(web, "agent")
    refused = web.post(
        f"/escalations/{esc['id']}/follow_up",
        data={"csrf_token": login(web, "agent"), "text": "x"},
    )
    assert refused.status_code == 403


def test_a_thank_you_after_the_answer_opens_no_case_for_the_reasons_answered(web):  # noqa: F811
    """The cart still holds amoxicillin and the record a penicillin allergy: the pharmacist
    answered that case, so 好的，谢谢药师 gets the courteous close (the alert still shown), not a
    new case and a holding reply; a new reason after it still opens one."""
    context = {"profile": {"allergies": ["青霉素"]}, "cart": [{"product": "amoxicillin-capsule"}]}

    def say(text):
        r = web.post(
            "/v1/conversations/k9/messages",
            headers=bearer(web, "agent"),
            json={"text": text, **context},
        )
        assert r.status_code == 200, r.text
        return r.json()

    first = say("阿莫西林一天吃几次")["escalation"]
    assert first is not None
    ph = bearer(web, "ph")
    assert web.post(f"/v1/escalations/{first['id']}/claim", headers=ph).status_code == 200
    answered = web.post(
        f"/v1/escalations/{first['id']}/answer",
        headers=ph,
        json={"text": "您对青霉素过敏，请不要服用阿莫西林，请咨询医生换用其他药物。"},
    )
    assert answered.status_code == 200, answered.text
    thanks = say("好的，谢谢药师")
    assert thanks["escalation"] is None
    assert thanks["suggestion"]["kind"] == "draft" and "转交" not in thanks["suggestion"]["text"]
    assert any(a["kind"] == "allergy" for a in thanks["suggestion"]["verdict"]["alerts"])
    assert _steps(web, first["id"])[-1][0] == "follow_up"
    worse = say("谢谢，不过我刚才已经吃了一粒，现在身上起疹子了")["escalation"]
    assert worse is not None and worse["follows_id"] == first["id"]


def test_a_status_report_after_the_answer_is_the_case_s_follow_up_not_a_new_case(web):  # noqa: F811
    """After the pharmacist's answer, 已经到医院了 / 批号是… tell where things stand: they are
    recorded on the answered case in the customer's words (masked) and acknowledged; a sign in
    a later message still opens a linked case."""
    first = _say(web, "k5", "孩子把一整板布洛芬都吃了 现在有点想睡")["escalation"]
    assert first is not None and first["tier"] == "emergency"
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{first['id']}/claim", headers=ph)
    answered = web.post(
        f"/v1/escalations/{first['id']}/answer",
        headers=ph,
        json={"text": "请立即拨打120或带孩子去最近医院急诊，带上药盒。"},
    )
    assert answered.status_code == 200, answered.text
    for text in ("好的 已经到医院了", "药盒上批号是B2308112"):
        said = _say(web, "k5", text)
        assert said["escalation"] is None, text
        assert "转告药师" in said["suggestion"]["text"]
    with web.app.state.db.session() as s:
        notes = [st.note for st in web.app.state.desk.steps(s, first["id"])]
    assert any(n and n.endswith("：好的 已经到医院了") for n in notes)
    assert any(n and n.endswith("：药盒上批号是B2308112") for n in notes)
    worse = _say(web, "k5", "到医院了 孩子又吐了两次 怎么办")["escalation"]
    assert worse is not None and worse["follows_id"] == first["id"]


def test_news_after_the_answer_in_any_words_is_the_case_s_follow_up(web):  # noqa: F811
    """A whole-day walkthrough's follow-ups: news told in the customer's own words after the
    pharmacist's answer (到医院了，医生在洗胃…; 孩子没事了…观察一晚) and a next step with thanks
    (我去找医生换别的药，谢谢) are the answered case's follow-up; a sign, a worsening or a question
    still opens a linked case."""
    first = _say(web, "k6", "孩子3岁 刚才把一整盒布洛芬都吞了")["escalation"]
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{first['id']}/claim", headers=ph)
    web.post(
        f"/v1/escalations/{first['id']}/answer",
        headers=ph,
        json={"text": "请立即拨打120或去最近医院急诊，带上药盒。"},
    )
    for text in (
        "我们到医院了，医生正在给孩子处理，说送来得很及时",
        "谢谢药师，孩子现在没事了，医生说留院观察一晚就能回家",
    ):
        said = _say(web, "k6", text)
        assert said["escalation"] is None, text
        assert said["suggestion"]["kind"] == "draft", text
    last = first
    for text in ("孩子回家以后又吐了两次", "医生开的药孩子能和布洛芬一起吃吗"):
        again = _say(web, "k6", text)["escalation"]
        assert again is not None and again["follows_id"] == last["id"], text  # a linked case
        web.post(f"/v1/escalations/{again['id']}/claim", headers=ph)
        web.post(f"/v1/escalations/{again['id']}/answer", headers=ph, json={"text": "请遵医嘱。"})
        last = again


def test_a_next_step_with_thanks_after_an_allergy_answer_opens_no_case(web):  # noqa: F811
    context = {"profile": {"allergies": ["青霉素"]}, "cart": [{"product": "amoxicillin-capsule"}]}

    def say(text):
        r = web.post(
            "/v1/conversations/k7/messages",
            headers=bearer(web, "agent"),
            json={"text": text, **context},
        )
        assert r.status_code == 200, r.text
        return r.json()

    first = say("医生开了阿莫西林 我能吃吗")["escalation"]
    ph = bearer(web, "ph")
    web.post(f"/v1/escalations/{first['id']}/claim", headers=ph)
    web.post(
        f"/v1/escalations/{first['id']}/answer",
        headers=ph,
        json={"text": "您对青霉素过敏，请不要服用阿莫西林，请医生换药。"},
    )
    assert say("好的，我去找医生换别的药，谢谢药师")["escalation"] is None
