from __future__ import annotations

import pytest

from copilot.safety.checks import CHECKS, run_checks
from copilot.safety.triage import triage
from copilot.schemas import CartItem, Profile


def alerts(gate, message="", profile=None, cart=()):
    profile = profile or Profile()
    t = triage(gate.sk, message, profile=profile)
    found, errors = run_checks(gate.sk, t, profile, [CartItem(product=c) for c in cart], message)
    assert errors == []
    return found


def kinds(found):
    return {(a.kind, a.severity) for a in found}


def test_warfarin_user_buying_ibuprofen(sample_gate):
    found = alerts(
        sample_gate,
        "想买点止疼的",
        Profile(current_medicines=["warfarin-tablet"]),
        ["ibuprofen-sr-capsule"],
    )
    assert ("interaction", "major") in kinds(found)
    assert found[0].rule_id == "warfarin-nsaid"
    assert {"warfarin", "ibuprofen"} <= set(found[0].involves)


def test_cefoperazone_user_asking_about_huoxiang_water(sample_gate):
    found = alerts(sample_gate, "在打头孢哌酮舒巴坦，能喝藿香正气水吗")
    inter = [a for a in found if a.kind == "interaction"]
    assert inter and inter[0].severity == "contraindicated"
    assert {"cefoperazone", "ethanol"} <= set(inter[0].involves)


def test_two_acetaminophen_products_sum_the_daily_dose(sample_gate):
    found = alerts(sample_gate, cart=["acetaminophen-tablet", "ganmaoling-granules"])
    dup = [a for a in found if a.kind == "duplicate_ingredient"]
    assert dup and dup[0].severity == "major"
    assert "合计可达" in dup[0].effect and "对乙酰氨基酚" in dup[0].effect


def test_penicillin_allergy_and_cross_sensitivity(sample_gate):
    profile = Profile(allergies=["青霉素"])
    assert ("allergy", "contraindicated") in kinds(alerts(sample_gate, "阿莫西林能吃吗", profile))
    cross = alerts(sample_gate, "头孢克洛能吃吗", profile)
    assert any(a.kind == "cross_allergy" for a in cross)


def test_population_contraindication_from_label(sample_gate):
    found = alerts(sample_gate, "我怀孕了 芬必得能吃吗")
    assert any(a.kind == "population" and a.severity in ("major", "contraindicated") for a in found)


def test_child_below_label_age(sample_gate):
    found = alerts(sample_gate, "孩子8岁头疼能吃芬必得吗")
    assert any(a.rule_id == "population-child-age" for a in found)


def test_do_not_use_and_never_online(sample_gate):
    found = alerts(sample_gate, "芬必得有货吗", Profile(do_not_use=["布洛芬"]))
    assert ("do_not_use", "contraindicated") in kinds(found)
    assert any(a.kind == "never_online" for a in alerts(sample_gate, "华法林有货吗 想买两盒"))
    # a drug the customer already takes is not an online sale
    assert not any(a.kind == "never_online" for a in alerts(sample_gate, "我一直在吃华法林"))


def test_overdose_against_label_maximum(sample_gate):
    found = alerts(sample_gate, "对乙酰氨基酚片今天吃了6片了 还能再吃吗")
    assert any(a.kind == "overdose" for a in found)
    assert not any(a.kind == "overdose" for a in alerts(sample_gate, "对乙酰氨基酚片今天吃了2片"))


@pytest.mark.parametrize(
    ("message", "cart"),
    [("开瑞坦和维生素C能一起吃吗", []), ("蒙脱石散怎么冲", ["oral-rehydration-salts-iii"])],
)
def test_clean_combinations_raise_nothing_serious(sample_gate, message, cart):
    found = alerts(sample_gate, message, cart=cart)
    assert not [a for a in found if a.severity in ("major", "contraindicated")]


def test_unresolvable_profile_medicine_is_reported(sample_gate):
    found = alerts(sample_gate, "感冒灵怎么喝", Profile(current_medicines=["某某不存在的药"]))
    assert any(a.rule_id == "unresolved-product" for a in found)


def test_a_check_that_raises_becomes_an_alert(sample_gate, monkeypatch):
    def broken(ci):
        raise RuntimeError("bad data")

    monkeypatch.setattr("copilot.safety.checks.CHECKS", [*CHECKS, broken])
    t = triage(sample_gate.sk, "感冒灵怎么喝")
    found, errors = run_checks(sample_gate.sk, t, Profile(), [], "感冒灵怎么喝")
    assert errors and "bad data" in errors[0]
    assert any(a.kind == "check_failed" and a.severity == "major" for a in found)


@pytest.mark.parametrize(
    ("current", "cart", "interacts"),
    [
        pytest.param("warfarin-tablet", "erythromycin-ointment", False, id="topical-macrolide"),
        pytest.param("warfarin-tablet", "azithromycin-tablet", True, id="oral-macrolide"),
        pytest.param("ibuprofen-sr-capsule", "budesonide-nasal-spray", False, id="nasal-steroid"),
        pytest.param("warfarin-tablet", "ibuprofen-sr-capsule", True, id="oral-nsaid"),
    ],
)
def test_interactions_know_the_route(sample_gate, current, cart, interacts):
    """A product that acts where it is put (ointment, nasal spray) is not a systemic drug of its
    class: routes come from the product master, rows apply to systemic routes by default."""
    found = alerts(sample_gate, "", Profile(current_medicines=[current]), [cart])
    assert any(a.kind == "interaction" for a in found) is interacts, found


def test_the_product_master_is_validated(tmp_path):
    from copilot.errors import KnowledgeError
    from copilot.ingest.products import load_products

    (tmp_path / "products.yaml").write_text(
        "products:\n  - {id: x, generic_name: 某药片, dosage_form: 片剂, route: mouth,"
        " category: OTC-A}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="route") as bad:
        load_products(tmp_path, {"x"})
    assert "products.yaml" in str(bad.value)
    (tmp_path / "products.yaml").write_text(
        "products:\n  - {id: y, generic_name: 某药片, dosage_form: 片剂, route: oral,"
        " category: OTC-A}\n",
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match="has no label"):
        load_products(tmp_path, {"x"})


def test_knowledge_lint_finds_a_label_stated_interaction_without_a_rule(sample_gate, tmp_path):
    import dataclasses

    from copilot.safety.lint import find_gaps, lint

    sk = sample_gate.knowledge()
    assert "warfarin-tablet~allopurinol" not in {g.id for g in find_gaps(sk)}
    crippled = dataclasses.replace(
        sk, interactions=[p for p in sk.interactions if p.id != "warfarin-allopurinol"]
    )
    gaps = {g.id: g for g in find_gaps(crippled)}
    assert gaps["warfarin-tablet~allopurinol"].evidence == "别嘌醇"
    report = lint(crippled, tmp_path / "none.yaml")
    assert "warfarin-tablet~allopurinol" in {g.id for g in report.new}


def test_knowledge_lint_reads_a_brand_or_alias_as_the_ingredients_it_names(sample_gate):
    """瑞舒伐他汀's label says 与华法林…合用: 华法林 is the warfarin product's alias, not an
    ingredient name; the lint still reads it as warfarin."""
    import dataclasses

    from copilot.safety.lint import find_gaps

    sk = sample_gate.knowledge()
    crippled = dataclasses.replace(
        sk, interactions=[p for p in sk.interactions if p.id != "warfarin-rosuvastatin"]
    )
    gaps = {g.id: g for g in find_gaps(crippled)}
    assert gaps["rosuvastatin-tablet~warfarin"].evidence == "华法林"


def test_the_committed_knowledge_has_no_unlisted_lint_gap(sample_gate, sample_settings):
    from copilot.safety.lint import lint

    report = lint(
        sample_gate.knowledge(), sample_settings.knowledge.dir / "review" / "lint_allow.yaml"
    )
    assert report.new == [] and report.stale == []


@pytest.mark.parametrize(
    ("message", "cart", "expected"),
    [
        pytest.param("必理通一次吃两片 一天吃五回", [], ("overdose", "major"), id="daily-times"),
        pytest.param("开瑞坦早晚各吃两片", [], ("overdose", "major"), id="twice-each"),
        pytest.param("开瑞坦每隔8个小时吃一片", [], ("overdose", "major"), id="every-hours"),
        pytest.param(
            "这个一次吃三片行吗",
            ["acetaminophen-tablet"],
            ("overdose", "moderate"),
            id="cart-single",
        ),
        pytest.param("今天已经吃了9片必理通", [], ("overdose", "major"), id="taken-count"),
        pytest.param("开瑞坦吃了一整盒", [], ("overdose", "major"), id="whole-pack"),
        pytest.param("开瑞坦一天一片", [], None, id="within-label"),
        pytest.param("一盒必理通有几片", [], None, id="pack-size-question"),
    ],
)
def test_overdose_family(sample_gate, message, cart, expected):
    found = {
        (a.kind, a.severity)
        for a in alerts(sample_gate, message, cart=cart)
        if a.kind == "overdose"
    }
    assert (expected in found) if expected else not found, found


@pytest.mark.parametrize(
    ("current", "cart", "rule"),
    [
        pytest.param(
            "amlodipine-tablet",
            "contac-pseudoephedrine-chlorphenamine",
            "pseudoephedrine-ccb",
            id="decongestant-ccb",
        ),
        pytest.param(
            "allopurinol-tablet",
            "vitamin-c-tablet",
            "allopurinol-ascorbic-acid",
            id="allopurinol-vitc",
        ),
        pytest.param(
            "sertraline-tablet",
            "chlorphenamine-tablet",
            "sedating-antihistamine-ssri",
            id="ssri-sedating",
        ),
        pytest.param(
            "amlodipine-tablet", "lianhua-qingwen-capsule", "mahuang-ccb", id="mahuang-ccb"
        ),
        pytest.param("warfarin-tablet", "omeprazole-capsule", "warfarin-omeprazole", id="ppi"),
        pytest.param(
            "ambroxol-tablet", "dextromethorphan-tablet", "ambroxol-antitussive", id="dxm"
        ),
    ],
)
def test_label_stated_interactions_from_the_lint_review(sample_gate, current, cart, rule):
    """Rows added when `kb lint` showed labels stating interactions the rules did not know."""
    found = alerts(sample_gate, "", Profile(current_medicines=[current]), [cart])
    assert rule in {a.rule_id for a in found if a.kind == "interaction"}, found


def test_a_topical_product_does_not_take_a_new_systemic_row(sample_gate):
    found = alerts(
        sample_gate, "", Profile(current_medicines=["sildenafil-tablet"]), ["erythromycin-ointment"]
    )
    assert not [a for a in found if a.rule_id == "pde5-erythromycin"]


def test_the_same_interaction_for_each_product_a_name_may_mean_is_one_alert(sample_gate):
    """阿司匹林 may be the enteric or the analgesic tablet: one alert per interaction rule, naming
    both, not one per product (found in a browser walkthrough: 8 alerts for one question)."""
    from copilot.schemas import Profile

    v = sample_gate.assess(
        message="阿司匹林能吃吗 牙疼", profile=Profile(current_medicines=["华法林"])
    )
    rules = [a.rule_id for a in v.alerts if a.kind == "interaction"]
    assert rules and len(rules) == len(set(rules)), rules
