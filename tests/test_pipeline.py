from __future__ import annotations

import json

import pytest
from fakes import FakeOpenAI, StrictScriptedChatModel, agent_headers
from fastapi.testclient import TestClient

from copilot.drafting.composer import CANNOT_DRAFT
from copilot.pipeline import Copilot
from copilot.safety.quantities import extract_quantities
from copilot.schemas import Profile, Turn
from copilot.web.app import create_app

GOOD = json.dumps(
    {"reply": "您好，芬必得成人一次1粒，一日2次[1]。请问还有其他问题吗？", "citations": [1]},
    ensure_ascii=False,
)


@pytest.fixture
def make_copilot(sample_settings, sample_retriever, sample_gate):
    def build(provider="extractive", chat=None, **llm):
        settings = sample_settings.model_copy(
            update={"llm": sample_settings.llm.model_copy(update={"provider": provider, **llm})}
        )
        factory = (lambda: chat) if chat is not None else None
        return Copilot(
            settings=settings, retriever=sample_retriever, gate=sample_gate, chat_model=factory
        )

    return build


def test_extractive_dose_draft_is_cited_and_grounded(make_copilot):
    s = make_copilot().suggest(message="芬必得一天最多吃几次")
    assert s.kind == "draft" and s.provider == "extractive" and s.ai_generated
    assert s.verification.outcome == "pass"
    assert s.text.startswith("您好")
    first = s.citations[0]
    assert (first.doc_id, first.section) == ("ibuprofen-sr-capsule", "用法用量")
    cited = [q for c in s.citations for q in extract_quantities(c.text)]
    for q in extract_quantities(s.text):
        assert any(q.value == c.value and q.unit == c.unit for c in cited), q
    # the asked fact leads (how often, the adult line), with no unrelated section
    assert "一日2次" in s.text.splitlines()[1]
    assert "性状" not in {c.section for c in s.citations}
    assert set(s.timings_ms) >= {"safety", "retrieve", "draft", "verify", "total"}


def test_pregnancy_gets_holding_reply_and_pharmacist_draft(make_copilot):
    s = make_copilot().suggest(message="我怀孕了能吃感冒灵吗")
    assert s.kind == "holding" and s.verdict.escalation.tier == "priority"
    assert s.text == s.verdict.holding_reply
    assert s.draft and s.citations  # prepared for the pharmacist, not sent by the agent


def test_cannot_draft_without_strong_hits_and_without_calling_the_llm(make_copilot):
    model = StrictScriptedChatModel(replies=[])
    s = make_copilot("openai", model).suggest(message="今天天气怎么样")
    assert s.kind == "cannot_draft" and s.text == CANNOT_DRAFT and s.citations == []
    assert model.calls == []


def test_llm_draft_through_the_langchain_chain(make_copilot):
    model = StrictScriptedChatModel(replies=[GOOD])
    s = make_copilot("openai", model, model="qwen-test").suggest(
        message="芬必得一天吃几次？我电话13812345678"
    )
    assert s.kind == "draft" and s.provider == "openai:qwen-test" and s.fallback is None
    assert s.text.startswith("您好，芬必得成人一次1粒")
    assert len(model.calls) == 1
    prompt = "\n".join(m.content for m in model.calls[0])
    assert "13812345678" not in prompt and "[手机号]" in prompt  # masked before leaving
    assert "[1] 布洛芬缓释胶囊｜用法用量" in prompt


def test_every_field_that_reaches_the_llm_is_masked(make_copilot):
    """Full-width and spaced digits, the history, the record and the cart: one masking function
    for every field of the prompt (issue 15)."""
    from copilot.schemas import CartItem, Profile, Turn

    model = StrictScriptedChatModel(replies=[GOOD])
    make_copilot("openai", model, model="qwen-test").suggest(
        message="芬必得一天吃几次？电话１３９ ８７６５ ４３２１",
        history=[Turn(role="customer", text="我叫张三丰 手机 186-0000-1111")],
        profile=Profile(allergies=["青霉素"], current_medicines=["联系人：李四 13700001111"]),
        cart=[CartItem(product="收货人：王五 15011112222")],
    )
    prompt = "\n".join(m.content for m in model.calls[0])
    for leaked in ("１３９", "8765", "0000-1111", "13700001111", "15011112222", "张三丰", "王五"):
        assert leaked not in prompt, leaked


def test_hallucinated_dose_is_blocked_and_replaced_by_the_extractive_draft(make_copilot):
    bad = json.dumps(
        {"reply": "您好，芬必得成人一次3粒，一日4次[1]。", "citations": [1]}, ensure_ascii=False
    )
    model = StrictScriptedChatModel(replies=[bad])
    s = make_copilot("openai", model).suggest(message="芬必得一天吃几次")
    assert s.provider == "extractive" and "ungrounded_number" in s.fallback
    assert "一次3粒" not in s.text and s.verification.outcome == "pass"
    assert len(model.calls) == 1


def test_invented_citation_is_dropped_and_flagged(make_copilot):
    reply = json.dumps(
        {"reply": "您好，芬必得成人一次1粒，一日2次[1][7]。", "citations": [1, 7]},
        ensure_ascii=False,
    )
    s = make_copilot("openai", StrictScriptedChatModel(replies=[reply])).suggest(
        message="芬必得一天吃几次"
    )
    assert s.provider.startswith("openai") and "[7]" not in s.text
    assert "invented citations removed" in s.fallback


def test_malformed_llm_output_falls_back(make_copilot):
    s = make_copilot("openai", StrictScriptedChatModel(replies=["好的，我来回答"])).suggest(
        message="芬必得一天吃几次"
    )
    assert s.provider == "extractive" and "not a JSON object" in s.fallback
    assert s.kind == "draft"


def test_escalated_case_never_calls_the_llm(make_copilot):
    model = StrictScriptedChatModel(replies=[])
    s = make_copilot("openai", model).suggest(message="我怀孕了能吃感冒灵吗")
    assert s.kind == "holding" and model.calls == []


def test_drug_from_an_earlier_turn_is_carried_forward(make_copilot):
    history = [Turn(text="我想问下开瑞坦"), Turn(role="agent", text="您好，请问想了解什么？")]
    s = make_copilot().suggest(message="那一天吃几片", history=history)
    assert s.kind == "draft"
    assert s.citations[0].doc_id == "loratadine-tablet"
    pregnant = make_copilot().suggest(message="孕妇能吃吗", history=history)
    assert pregnant.kind == "holding"


def test_profile_allergy_reaches_the_verdict(make_copilot):
    s = make_copilot().suggest(message="头孢克洛怎么吃", profile=Profile(allergies=["青霉素"]))
    assert s.kind == "holding"
    assert any(a.kind == "cross_allergy" for a in s.alerts)


@pytest.mark.parametrize(
    ("content", "delay", "status", "expect"),
    [
        pytest.param(GOOD, 0, 200, "openai", id="ok"),
        pytest.param("这不是JSON", 0, 200, "not a JSON object", id="malformed"),
        pytest.param(GOOD, 2.0, 200, "LLM call failed", id="timeout"),
        pytest.param(GOOD, 0, 500, "LLM call failed", id="server-error"),
    ],
)
def test_openai_provider_against_a_local_server(make_copilot, content, delay, status, expect):
    with FakeOpenAI() as server:
        server.content, server.delay, server.status = content, delay, status
        cp = make_copilot(
            "openai", base_url=server.base_url, model="fake", timeout_s=0.5, max_retries=0
        )
        s = cp.suggest(message="芬必得一天吃几次")
    assert s.kind == "draft" and s.verification.outcome == "pass"
    if expect == "openai":
        assert s.provider == "openai:fake" and s.fallback is None
        assert server.requests[0]["temperature"] == 0
    else:
        assert s.provider == "extractive" and expect in s.fallback


def test_api_suggest_and_stream(make_copilot):
    with FakeOpenAI() as server:
        server.content = GOOD
        cp = make_copilot("openai", base_url=server.base_url, model="fake", timeout_s=2)
        app = create_app(cp.settings, cp)
        with TestClient(app) as client:
            anonymous = client.post("/v1/suggest", json={"message": "芬必得一天吃几次"})
            assert anonymous.status_code == 401  # no anonymous LLM spending
            client.headers.update(agent_headers(app))
            body = client.post("/v1/suggest", json={"message": "芬必得一天吃几次"}).json()
            assert body["kind"] == "draft" and body["provider"] == "openai:fake"
            assert body["citations"][0]["section"] == "用法用量"
            extractive = client.post(
                "/v1/suggest", json={"message": "芬必得一天吃几次", "provider": "extractive"}
            ).json()
            assert extractive["provider"] == "extractive"
            with client.stream(
                "POST", "/v1/suggest/stream", json={"message": "芬必得一天吃几次"}
            ) as resp:
                text = "".join(resp.iter_text())
            events = [block for block in text.split("\n\n") if block.strip()]
            assert events[0].startswith("event: delta")
            assert events[-1].startswith("event: suggestion")
            final = json.loads(events[-1].split("data: ", 1)[1])
            assert final["provider"] == "openai:fake"
            assert client.post("/v1/suggest", json={"message": "  "}).status_code == 422
            assert client.post("/v1/suggest", json={"message": "x" * 2001}).status_code == 422
            assert client.post("/v1/suggest", content="{not json").status_code == 422
            assert "/v1/suggest" in client.get("/openapi.json").json()["paths"]


# Products named that we do not carry (real brands of other products), made-up names, names with
# a dosage form, bare references and romanised names: never answered from another product.
UNKNOWN_NAMES = [
    "西乐葆一天吃几粒",
    "易蒙停拉肚子一次吃几片",
    "优思明漏服了一天怎么办",
    "舒络宁胶囊饭前吃还是饭后吃",
    "康必达片放冰箱还是常温",
    "我买的那盒药一次吃几粒",
    "xinlekang 一天吃几次",
    "吃了那个新买的药会不会犯困",
]


@pytest.mark.parametrize("message", UNKNOWN_NAMES)
def test_an_unknown_product_is_never_answered_from_another_label(make_copilot, message):
    copilot = make_copilot()
    s = copilot.suggest(message=message)
    assert s.kind in ("clarify", "holding"), s.text
    assert [c for c in s.citations if copilot.document(c.doc_id).kind == "label"] == []
    if s.kind == "clarify":
        assert s.clarification.reason == "unknown"
        assert "药盒" in s.text and "照片" in s.text


def test_a_name_several_products_share_asks_which_and_names_them(make_copilot):
    s = make_copilot().suggest(message="布洛芬一次吃多少")
    assert s.kind == "clarify" and s.citations == []
    names = [c.name for c in s.clarification.candidates]
    assert set(c.doc_id for c in s.clarification.candidates) == {
        "ibuprofen-sr-capsule",
        "ibuprofen-suspension",
    }
    assert all(n in s.text for n in names)


def test_the_cart_decides_which_product_a_shared_name_means(make_copilot):
    from copilot.schemas import CartItem

    s = make_copilot().suggest(
        message="布洛芬一次吃多少", cart=[CartItem(product="ibuprofen-suspension")]
    )
    assert s.kind in ("draft", "holding")
    assert {c.doc_id for c in s.citations} <= {"ibuprofen-suspension"}
    assert s.citations
    # a children's suspension and nobody named: the reply asks who it is for, no dose yet
    assert "年龄和体重" in s.text


def test_a_bare_reference_uses_the_one_product_in_the_cart(make_copilot):
    from copilot.schemas import CartItem

    s = make_copilot().suggest(
        message="这个药饭前吃还是饭后吃", cart=[CartItem(product="loratadine-tablet")]
    )
    assert s.kind == "draft" and {c.doc_id for c in s.citations} == {"loratadine-tablet"}


def test_a_policy_question_about_an_unnamed_product_is_still_answered(make_copilot):
    s = make_copilot().suggest(message="这个药拆封了能退吗")
    assert s.kind == "draft"
    assert all(make_copilot().document(c.doc_id).kind == "policy" for c in s.citations)


def test_an_llm_gets_the_selected_row_and_is_held_to_it(make_copilot):
    """Issue 13 (8): the model is given the units the composer chose for this child (the row
    for 30 kg and below), not the whole dosing section, and a dose from another row is blocked
    even though the section states it; the extractive draft is sent instead."""
    wrong_row = json.dumps(
        {"reply": "您好，氯雷他定片一次1片，一日1次[1]。", "citations": [1]}, ensure_ascii=False
    )
    model = StrictScriptedChatModel(replies=[wrong_row])
    s = make_copilot("openai", model).suggest(
        message="孩子10岁，体重26公斤，氯雷他定片一天给他吃多少"
    )
    prompt = "\n".join(m.content for m in model.calls[0])
    assert "半片" in prompt and "体重大于30公斤" not in prompt  # only the selected row
    assert s.provider == "extractive" and "blocked" in (s.fallback or "")
    assert "半片" in s.text and "一次1片" not in s.text
    assert s.citations[0].quoted  # the agent's panel knows which lines the answer rests on
