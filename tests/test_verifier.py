from __future__ import annotations

import pytest

from copilot.safety.verifier import verify_draft
from copilot.schemas import Chunk


def chunk(gate, doc_id, section):
    doc = gate.sk.documents[doc_id]
    text = next(s.text for s in doc.sections if s.heading == section)
    return Chunk(
        id=f"{doc_id}#{section}",
        doc_id=doc_id,
        kind=doc.kind,
        title=doc.title,
        section=section,
        text=text,
        source_file=doc.source_file,
    )


@pytest.fixture
def usage(sample_gate):
    return {1: chunk(sample_gate, "ibuprofen-sr-capsule", "用法用量")}


def codes(result):
    return {f.code for f in result.findings}


def test_grounded_draft_passes(sample_gate, usage):
    draft = "您好，芬必得成人一次1粒，一日2次[1]。请问您还有其他用药吗？"
    result = verify_draft(sample_gate.sk, draft, usage)
    assert result.outcome == "pass", result.findings


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        pytest.param("您好，芬必得成人一次2粒，一日3次[1]。", "ungrounded_number", id="wrong-dose"),
        pytest.param(
            "您好，芬必得一日三次，一次一粒[1]。", "ungrounded_number", id="chinese-numerals"
        ),
        pytest.param("您好，芬必得成人一次1粒，一日2次。", "missing_citation", id="no-citation"),
        pytest.param("您好，芬必得一次1粒[3]。", "invented_citation", id="invented-citation"),
        pytest.param(
            "您好，芬必得一次1粒[1]，保证治好您的头痛。", "forbidden_claim", id="cure-claim"
        ),
        pytest.param("您好，建议您直接下单阿莫西林胶囊[1]。", "rx_recommendation", id="rx"),
        pytest.param(
            "您好，华法林我们有货，可以直接下单[1]。", "never_online_sale", id="never-online"
        ),
        pytest.param("您好，请提供一下您的身份证号码以便核实。", "pii_request", id="pii"),
        pytest.param("您好，您这是得了胃溃疡，芬必得一次1粒[1]。", "diagnosis", id="diagnosis"),
    ],
)
def test_unsafe_drafts_are_blocked(sample_gate, usage, draft, code):
    result = verify_draft(sample_gate.sk, draft, usage)
    assert result.outcome == "block"
    assert code in codes(result)
    assert all(f.sentence for f in result.findings)


def test_invented_citation_is_removed_from_the_cleaned_text(sample_gate, usage):
    result = verify_draft(sample_gate.sk, "您好，芬必得一次1粒[1][4]。", usage)
    assert "[4]" not in result.cleaned_text and "[1]" in result.cleaned_text


def test_privacy_reassurance_is_not_a_pii_request(sample_gate):
    policy = {1: chunk(sample_gate, "privacy", "客服沟通中的规则")}
    draft = "您好，客服不会向您索要身份证号、银行卡号或密码，请勿在聊天中发送这些信息[1]。"
    assert "pii_request" not in codes(verify_draft(sample_gate.sk, draft, policy))


def test_a_sentence_about_protecting_such_data_asks_for_nothing(sample_gate):
    policy = {1: chunk(sample_gate, "privacy", "客服沟通中的规则")}
    masking = "您好，工单中的银行卡号只保留后4位，发送给外部系统前一律脱敏[1]。"
    assert "pii_request" not in codes(verify_draft(sample_gate.sk, masking, policy))
    asking = "您好，请提供您的身份证号，我们会加密保存[1]。"
    assert "pii_request" in codes(verify_draft(sample_gate.sk, asking, policy))


def test_marker_at_paragraph_end_covers_earlier_sentences(sample_gate, usage):
    draft = "您好，芬必得成人一次1粒。一日2次[1]。"
    assert verify_draft(sample_gate.sk, draft, usage).outcome == "pass"


def test_a_dosing_table_row_quoted_with_its_header_units_is_grounded(sample_gate):
    table = {1: chunk(sample_gate, "ibuprofen-suspension", "用法用量")}
    row = "您好，美林说明书写明：1～3岁（10～15公斤）：一次4毫升[1]。"
    assert verify_draft(sample_gate.sk, row, table).outcome == "pass"
    wrong = "您好，美林说明书写明：1～3岁（10～15公斤）：一次6毫升[1]。"
    assert "ungrounded_number" in codes(verify_draft(sample_gate.sk, wrong, table))


def test_a_missing_citation_says_how_to_cite(sample_gate, usage):
    """An agent writing their own medical line is told what to add, not only what is wrong."""
    result = verify_draft(sample_gate.sk, "您好，芬必得成人一次1粒，一日2次。", usage)
    missing = next(f for f in result.findings if f.code == "missing_citation")
    assert "[1]" in missing.detail and "来源" in missing.detail


def test_an_orders_words_are_not_medical_and_a_refusal_names_its_sentence(sample_gate):
    """An agent's own reply about an order (物流5天没有更新, 为您补发氯雷他定片) needs no label
    citation; a medical sentence without one is refused naming that sentence."""
    for text in ("您好，物流5天没有更新，我们1个工作日内给您答复。", "我们会为您补发氯雷他定片。"):
        result = sample_gate.verify(text, {}, require_citations=True)
        assert not [f for f in result.findings if f.code == "missing_citation"], text
    result = sample_gate.verify("氯雷他定片一次1片，一日1次。", {}, require_citations=True)
    refused = [f for f in result.findings if f.code == "missing_citation"]
    assert refused and "“氯雷他定片一次1片，一日1次。”" in refused[0].detail
