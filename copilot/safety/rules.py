"""Escalation rules as data (knowledge/rules/escalation.yaml) evaluated over the facts of one
message: triage, medication alerts, profile, cart.

Predicates are registered in PREDICATES (`@predicate("name")`); a rule naming an unknown
predicate is refused at load time, and a predicate that raises makes its rule fire.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.lexicon import normalize
from copilot.ingest.yamlfile import read_yaml
from copilot.safety.durations import PERSISTS
from copilot.safety.patient import (
    active_populations,
    child_age,
    child_mentioned,
    medicines_counted,
)
from copilot.safety.quantities import cn_to_number
from copilot.safety.tense import said_to_happen
from copilot.safety.triage import MEDICAL_INTENTS
from copilot.schemas import (
    SEVERITY_ORDER,
    TIER_ORDER,
    Alert,
    CartItem,
    FiredRule,
    Profile,
    Tier,
    Triage,
)

log = logging.getLogger(__name__)


@dataclass
class Facts:
    message: str
    triage: Triage
    alerts: list[Alert]
    profile: Profile
    cart: list[CartItem]
    profile_populations: set[str] = field(default_factory=set)
    profile_classes: set[str] = field(default_factory=set)  # classes of the record's medicines
    earlier: str = ""  # the customer's earlier turns in scope, normalised
    # the fewest days of self-treatment the labels of the products in the case allow before
    # seeing a doctor when not better (服药3天症状无缓解)
    course_limit_days: float | None = None
    # the product in question (one named in the message, else in the earlier turns) and the
    # youngest age its label writes a dose for (None: none for children)
    dosed_product: str | None = None
    child_dose_age: float | None = None
    # a usage question (早上还是晚上, 饭前饭后, 嚼碎, 隔多久) the products' labels do not answer
    usage_unanswered: str | None = None


Predicate = Callable[[Facts, object], bool]
PREDICATES: dict[str, Predicate] = {}


def predicate(name: str) -> Callable[[Predicate], Predicate]:
    def register(fn: Predicate) -> Predicate:
        PREDICATES[name] = fn
        return fn

    return register


def _active_populations(f: Facts) -> set[str]:
    return active_populations(f.triage, f.profile, f.profile_populations)


def _medical_context(f: Facts) -> bool:
    return bool(
        f.triage.drugs
        or f.triage.drug_classes
        or f.triage.red_flags
        or MEDICAL_INTENTS & set(f.triage.intents)
        or f.triage.symptom_days
    )


@predicate("red_flag_tier")
def _red_flag_tier(f: Facts, arg) -> bool:
    return any(flag.tier == arg for flag in f.triage.red_flags)


@predicate("red_flag")
def _red_flag(f: Facts, arg) -> bool:
    wanted = {arg} if isinstance(arg, str) else set(arg)
    return any(flag.id in wanted for flag in f.triage.red_flags)


@predicate("population")
def _population(f: Facts, arg) -> bool:
    wanted = {arg} if isinstance(arg, str) else set(arg)
    return bool(_active_populations(f) & wanted)


def _child_age(f: Facts) -> float | None:
    return child_age(f.triage, f.profile)


def _child_mentioned(f: Facts) -> bool:
    return child_mentioned(_active_populations(f), _child_age(f))


@predicate("child_under")
def _child_under(f: Facts, arg) -> bool:
    age = _child_age(f)
    if age is not None:
        return age < float(arg)
    # a child of unknown age in a medical question: assume young (cautious)
    return _child_mentioned(f) and _medical_context(f)


@predicate("child_under_for_classes")
def _child_under_for_classes(f: Facts, arg) -> bool:
    years, classes = float(arg["years"]), set(arg["classes"])
    age = _child_age(f)
    if age is None and not _child_mentioned(f):
        return False
    if age is not None and age >= years:
        return False
    drug_classes = {c for d in f.triage.drugs for c in d.classes}
    drug_classes |= {c for m in f.triage.drug_classes for c in m.classes}
    return bool(drug_classes & classes)


@predicate("rx_drug")
def _rx_drug(f: Facts, arg) -> bool:
    if _REVIEWED.search(normalize(f.message)):
        return False  # 处方已经审核通过了 … 啥时候发货: the pharmacist has reviewed it
    return bool(arg) and any(
        d.category == "Rx" and not (d.past or d.others) for d in f.triage.drugs
    )


_REVIEWED = re.compile(
    r"处方[^，。？?]{0,6}(审核)?(已经|已)?(审核)?通过|审核通过了|已经审核过|药师审过了"
)


@predicate("never_online")
def _never_online(f: Facts, arg) -> bool:
    return bool(arg) and (
        any(d.never_online and not (d.taking or d.past or d.others) for d in f.triage.drugs)
        or any(a.kind == "never_online" for a in f.alerts)
    )


@predicate("alert")
def _alert(f: Facts, arg) -> bool:
    kinds = set(arg.get("kinds") or [])
    rule_ids = set(arg.get("rule_ids") or [])
    floor = SEVERITY_ORDER[arg.get("min_severity", "minor")]
    return any(
        (not kinds or a.kind in kinds)
        and (not rule_ids or a.rule_id in rule_ids)
        and SEVERITY_ORDER[a.severity] >= floor
        and not a.asked_only  # 能喝酒吗 is answered from the label; 喝了酒 escalates
        for a in f.alerts
    )


@predicate("elderly_polypharmacy")
def _elderly_polypharmacy(f: Facts, arg) -> bool:
    age = f.triage.patient_age_years
    if age is None:
        age = f.profile.age_years  # whoever the patient is, an old profile errs toward review
    elderly = (
        age is not None and age >= float(arg["min_age"])
    ) or "elderly" in _active_populations(f)
    # or counted in words (每天要吃四五种药, 七八样药): the patient takes at least that many, and
    # saying so is about their medicines
    said = medicines_counted(normalize(f.message) + "\n" + f.earlier)
    count = max(
        len(f.profile.current_medicines)
        + len([d for d in f.triage.drugs if d.source in ("message", "history")])
        + len(f.triage.drug_classes),
        said,
    )
    floor = int(arg["min_medicines"])
    return elderly and count >= floor and (_medical_context(f) or said >= floor)


@predicate("symptom_over")
def _symptom_over(f: Facts, arg) -> bool:
    """The complaint has lasted longer than `days`. The complaint is named in the message or in
    the customer's earlier turns (周一开始发烧 … 今天都周五了 还是38度5), or, with `fever: true`,
    is a fever the message measures."""
    days = f.triage.symptom_days
    if days is None or days < float(arg["days"]):
        return False
    if days == float(arg["days"]) and not PERSISTS.search(normalize(f.message)):
        return False  # at the limit: only when the medicine taken so far has not helped
    if arg.get("fever") and f.triage.fever:
        return True
    text = normalize(f.message) + "\n" + f.earlier
    return any(normalize(w) in text for w in arg["words"])


@predicate("asked_in_advance")
def _asked_in_advance(f: Facts, arg) -> bool:
    """A case asked about before it happens (万一孩子误吃了药 该咋办 想提前了解) that names no
    product or medicine class to be given: what to do, not a medicine for someone."""
    return bool(
        f.triage.asked_only
        and not any(d.source == "message" for d in f.triage.drugs)
        and not any(m.source == "message" and not m.aside for m in f.triage.drug_classes)
    )


ADOLESCENT_AGE = 12.0
# A dose asked (一次吃几粒, 喝多少, 用量是多少, 怎么吃)
_DOSE_ASKED = re.compile(
    r"(吃|喝|用|服|喂|冲|喷|抹|涂)(多少|几)|几(片|粒|袋|包|克|丸|毫升|ml|滴|喷|勺|支)"
    r"|多少(克|毫升|ml|片|粒|袋)|用量|剂量|怎么(吃|喝|用|服)"
)


@predicate("child_dose_unwritten")
def _child_dose_unwritten(f: Facts, arg) -> bool:
    """A child's dose asked for a product whose label writes none for a child of that age
    (保和丸：小儿酌减; adults only; 12岁以上 for a 9-year-old): a dose question the label does not
    answer (FACTS: routine). With no age said, only when it writes none for any child."""
    if f.dosed_product is None or not _DOSE_ASKED.search(normalize(f.message)):
        return False
    age = _child_age(f)
    if age is None and not _child_mentioned(f):
        return False
    if f.child_dose_age is None:
        # (from 12 a label written for adults is read as theirs: 12岁以上儿童及成人 is usual)
        return age is None or age < ADOLESCENT_AGE
    return age is not None and age < f.child_dose_age


@predicate("usage_unanswered")
def _usage_unanswered(f: Facts, arg) -> bool:
    return f.usage_unanswered is not None


@predicate("course_over_label")
def _course_over_label(f: Facts, arg) -> bool:
    """The symptom has gone on, not better, for as long as the label of the product taken allows
    self-treatment (板蓝根喝了三天了嗓子还疼: 服药3天症状无缓解，应去医院就诊)."""
    days, limit = f.triage.symptom_days, f.course_limit_days
    return bool(
        days is not None
        and limit is not None
        and days >= limit
        and PERSISTS.search(normalize(f.message))
    )


# A use planned or asked for longer than the label allows self-treatment (我想连着吃一个月, 能不能
# 吃半年, 打算一直喷两个月): a use above the label, asked.
_PLANNED_COURSE = re.compile(
    r"(想|打算|准备|计划|要|能不能|可不可以|可以|能)[^，。？?]{0,4}(连着|连续|一直|长期)?"
    r"(吃|用|喝|喷|抹|涂|服|擦)[^，。？?\d]{0,3}?"
    r"(\d+|[一二两三四五六七八九十半]+)[多来]?\s*(天|周|个?星期|个?礼拜|个?月|年)"
)
_COURSE_UNIT = {"天": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30, "年": 365}


@predicate("course_planned_over_label")
def _course_planned_over_label(f: Facts, arg) -> bool:
    """A use planned for longer than the label of the product allows self-treatment
    (法莫替丁…我想连着吃一个月: 连续使用不得超过7天)."""
    limit = f.course_limit_days
    if limit is None:
        return False
    for m in _PLANNED_COURSE.finditer(normalize(f.message)):
        number = cn_to_number(m.group(4))
        unit = _COURSE_UNIT.get(m.group(5).lstrip("个"))
        if number and unit and number * unit > limit:
            return True
    return False


@predicate("text_matches")
def _text_matches(f: Facts, arg) -> bool:
    return re.search(str(arg), normalize(f.message)) is not None


@predicate("said_matches")
def _said_matches(f: Facts, arg) -> bool:
    """Like text_matches, on what the message says happens to the patient: without clauses that
    say a sign is absent, a story someone else told of the past (邻居说她家老人去年吃华法林便血
    住过院), or a past the message says is over. For signs, not for exclusions."""
    return re.search(str(arg), said_to_happen(normalize(f.message))) is not None


@predicate("reaction_reported")
def _reaction_reported(f: Facts, arg) -> bool:
    """A change in the body after a medicine, reported (triage's reaction reader: not asked
    about, not hearsay)."""
    return bool(arg) == (f.triage.reaction is not None)


@predicate("drug_class_taken")
def _drug_class_taken(f: Facts, arg) -> bool:
    """A drug of these classes is in the case: named in the message or earlier turns, said as
    a class word, or on the customer's record (the cart is a purchase, not a drug taken)."""
    wanted = {arg} if isinstance(arg, str) else set(arg)
    classes = {c for d in f.triage.drugs if d.source != "cart" for c in d.classes}
    classes |= {c for m in f.triage.drug_classes for c in m.classes}
    return bool((classes | f.profile_classes) & wanted)


@predicate("drug_class_named")
def _drug_class_named(f: Facts, arg) -> bool:
    """The message asks for a whole class of drugs by a class word (头孢那一类的, 消炎药)."""
    wanted = {arg} if isinstance(arg, str) else set(arg)
    return any(
        m.source == "message" and not (m.aside or m.over) and set(m.classes) & wanted
        for m in f.triage.drug_classes
    )


@predicate("drug_named")
def _drug_named(f: Facts, arg) -> bool:
    """A medicine is named in the message, by product or by class (not one set aside)."""
    return any(d.source == "message" and not d.past for d in f.triage.drugs) or any(
        m.source == "message" and not (m.aside or m.over) for m in f.triage.drug_classes
    )


@predicate("intent")
def _intent(f: Facts, arg) -> bool:
    wanted = {arg} if isinstance(arg, str) else set(arg)
    return bool(set(f.triage.intents) & wanted)


class _Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    positive: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    topic: str
    tier: Tier
    when: dict
    reason: str
    template: str
    examples: _Examples = Field(default_factory=_Examples)


class TierSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sla_minutes: int
    template: str


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tiers: dict[Tier, TierSpec]
    rules: list[Rule]


def _check_condition(cond, where: str, path: Path) -> None:
    if not isinstance(cond, dict) or not cond:
        raise KnowledgeError(f"{where}: a condition must be a non-empty mapping", path=path)
    for key, value in cond.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise KnowledgeError(f"{where}: `{key}` needs a list of conditions", path=path)
            for n, sub in enumerate(value):
                _check_condition(sub, f"{where}.{key}[{n}]", path)
        elif key == "not":
            _check_condition(value, f"{where}.not", path)
        elif key not in PREDICATES:
            raise KnowledgeError(
                f"{where}: unknown predicate `{key}`",
                path=path,
                field=key,
                fix="use one of: " + ", ".join(sorted(PREDICATES)),
            )
        elif key in ("text_matches", "said_matches"):
            try:
                re.compile(str(value))
            except re.error as exc:
                raise KnowledgeError(
                    f"{where}: `{key}` is not a valid regular expression ({exc})",
                    path=path,
                    field=key,
                    fix="fix the pattern (Python re; look-behinds must be fixed-width)",
                ) from None


def load_rules(path: Path) -> RuleSet:
    data = read_yaml(path)
    try:
        ruleset = RuleSet.model_validate(data)
    except ValidationError as exc:
        raise knowledge_error_from_validation(
            exc, path=path, what="escalation rules", fix="see the header of the file for the format"
        ) from None
    ids = [r.id for r in ruleset.rules]
    if len(ids) != len(set(ids)):
        raise KnowledgeError("duplicate rule ids", path=path, field="id")
    for rule in ruleset.rules:
        _check_condition(rule.when, f"rule {rule.id}", path)
    return ruleset


def evaluate(cond: dict, facts: Facts) -> bool:
    """True when every entry of the mapping holds. Raises on a broken predicate."""
    for key, value in cond.items():
        if key == "all":
            ok = all(evaluate(sub, facts) for sub in value)
        elif key == "any":
            ok = any(evaluate(sub, facts) for sub in value)
        elif key == "not":
            ok = not evaluate(value, facts)
        else:
            ok = PREDICATES[key](facts, value)
        if not ok:
            return False
    return True


def fire_rules(ruleset: RuleSet, facts: Facts) -> tuple[list[FiredRule], list[str]]:
    """Rules that fire, most urgent first, and the errors of rules that could not be evaluated
    (those fire too)."""
    fired, errors = [], []
    for rule in ruleset.rules:
        try:
            hit = evaluate(rule.when, facts)
        except Exception as exc:
            log.exception("escalation rule %s could not be evaluated", rule.id)
            errors.append(f"rule {rule.id}: {type(exc).__name__}: {exc}")
            hit = True
        if hit:
            fired.append(
                FiredRule(
                    id=rule.id,
                    tier=rule.tier,
                    topic=rule.topic,
                    reason=rule.reason,
                    template=rule.template,
                )
            )
    fired.sort(key=lambda r: -TIER_ORDER[r.tier])
    return fired, errors
