"""Pydantic models shared by the core, the API, the CLI and the evals."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

Category = Literal["Rx", "OTC-A", "OTC-B", "health-product"]
PopulationAdvice = Literal["ok", "caution", "avoid", "contraindicated"]
DocKind = Literal["label", "policy", "document"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _text(value: str) -> str:
    """Text that can be stored and shown: no lone surrogates (\\ud800) or NUL characters."""
    if "\x00" in value:
        raise ValueError("text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text contains an invalid character (a lone surrogate)") from None
    return value


# Limits on what callers send (issue 15): every string and list is bounded.
Text = Annotated[str, AfterValidator(_text)]
ShortText = Annotated[str, Field(max_length=100), AfterValidator(_text)]
ShortList = Annotated[list[ShortText], Field(max_length=50)]


class Ingredient(_Strict):
    name: str = Field(description="Chinese name as printed on the label.")
    key: str = Field(pattern=r"^[a-z0-9_]+$", description="Canonical INN key (acetaminophen).")
    strength: str | None = Field(default=None, description="Per-unit strength as printed.")
    per_unit_mg: float | None = Field(default=None, ge=0)
    max_daily_mg: float | None = Field(default=None, ge=0)
    classes: list[str] = Field(default_factory=list)


class Populations(_Strict):
    pregnancy: PopulationAdvice = "caution"
    lactation: PopulationAdvice = "caution"
    child_min_age_years: float | None = None
    elderly: PopulationAdvice = "caution"
    liver_disease: PopulationAdvice = "caution"
    kidney_disease: PopulationAdvice = "caution"


def two_names(first: str, second: str | None) -> str:
    """ "first（second）", or one name alone when the other adds nothing: 布洛芬 with 布洛芬 is
    布洛芬, not 布洛芬（布洛芬）; a name that contains the other (芬必得布洛芬缓释胶囊 and
    布洛芬缓释胶囊) is shown alone, the longer one."""
    first, second = first.strip(), (second or "").strip()
    if not second or second in first:
        return first
    if not first or first in second:
        return second
    return f"{first}（{second}）"


class LabelMeta(_Strict):
    """Front matter of a drug label file (knowledge/labels/*.md)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    generic_name: str
    brand_names: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    ingredients: list[Ingredient] = Field(min_length=1)
    category: Category
    dosage_form: str
    never_online: bool = False
    never_online_reason: str | None = None
    populations: Populations = Field(default_factory=Populations)
    source: str
    revision: date
    sample: bool = False

    @property
    def display_name(self) -> str:
        """How alerts name the product: its brand with the generic name, each once."""
        return two_names(self.brand_names[0] if self.brand_names else "", self.generic_name)


class PolicyMeta(_Strict):
    """Front matter of a platform policy file (knowledge/policies/*.md)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    kind: Literal["policy"] = "policy"
    revision: date
    source: str
    sample: bool = False


class Section(_Strict):
    heading: str
    text: str
    line: int = Field(description="1-based line of the heading in the source file.")


class Document(_Strict):
    """One knowledge document after loading: a label, a policy or a plain document."""

    doc_id: str
    kind: DocKind
    title: str
    source_file: str
    revision: str | None = None
    label: LabelMeta | None = None
    policy: PolicyMeta | None = None
    sections: list[Section]

    @property
    def names(self) -> list[str]:
        """Every name the document may be called by (for entity linking)."""
        if self.label is None:
            return [self.title] if self.kind == "policy" else []
        lab = self.label
        names = [lab.generic_name, *lab.brand_names, *lab.aliases]
        names += [ing.name for ing in lab.ingredients if "tcm" not in ing.classes]
        return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


class Chunk(_Strict):
    id: str = Field(description="Stable content hash of document id, section and text.")
    doc_id: str
    kind: DocKind
    title: str
    section: str
    text: str
    source_file: str
    revision: str | None = None
    ordinal: int = 0
    category: str | None = None
    brands: list[str] = Field(default_factory=list, description="Brand names of the product.")

    def metadata(self) -> dict[str, str | int]:
        """Flat metadata for the vector store (no None values)."""
        data = {
            "doc_id": self.doc_id,
            "kind": self.kind,
            "title": self.title,
            "section": self.section,
            "source_file": self.source_file,
            "revision": self.revision or "",
            "ordinal": self.ordinal,
            "category": self.category or "",
            "brands": "、".join(self.brands),
        }
        return data


class RetrievedChunk(_Strict):
    chunk: Chunk
    score: float = Field(description="Fused reciprocal-rank score; higher is better.")
    ranks: dict[str, int] = Field(
        default_factory=dict, description="1-based rank in each retriever that found it."
    )


class SearchFilters(_Strict):
    kind: DocKind | None = None
    doc_ids: list[str] | None = None
    sections: list[str] | None = None


class FileProblem(_Strict):
    path: str
    message: str


class BuildReport(_Strict):
    build_id: str
    documents: int
    chunks: int
    added: int
    removed: int
    unchanged: int
    skipped: list[FileProblem] = Field(default_factory=list)
    seconds: float
    embed_seconds: float
    chunks_per_second: float = Field(description="New chunks embedded and stored per second.")
    embedder: str


# --- safety layer -------------------------------------------------------------------------

Tier = Literal["emergency", "priority", "routine"]
Severity = Literal["contraindicated", "major", "moderate", "minor"]

# The one ordering of each: a larger number is more urgent / more severe.
TIER_ORDER: dict[str, int] = {"routine": 0, "priority": 1, "emergency": 2}
SEVERITY_ORDER: dict[str, int] = {"minor": 0, "moderate": 1, "major": 2, "contraindicated": 3}
TIER_NAMES: dict[str, str] = {"emergency": "紧急", "priority": "优先", "routine": "常规"}
# Chinese labels for what pages show (internal codes never reach a Chinese page).
ROLE_NAMES: dict[str, str] = {
    "agent": "客服",
    "pharmacist": "执业药师",
    "admin": "管理员",
    "chat": "聊天系统（接口令牌）",
}
MESSAGE_CLASS_NAMES: dict[str, str] = {
    "consultation": "用药咨询",
    "complaint": "投诉",
    "emergency": "紧急情况",
}
INTENT_NAMES: dict[str, str] = {
    "dose_usage": "用法用量",
    "indication": "适应症",
    "contraindication": "禁忌",
    "interaction": "药物相互作用",
    "adverse_reaction": "不良反应",
    "special_population": "特殊人群",
    "storage_expiry": "贮藏与有效期",
    "product_choice": "选药",
    "prescription_purchase": "处方药购买",
    "order_delivery": "订单配送",
    "return_refund": "退换货",
    "coupon_price": "优惠与价格",
    "invoice": "发票",
    "complaint": "投诉",
    "diagnosis_request": "要求诊断",
    "other": "其他",
}
POPULATION_NAMES: dict[str, str] = {
    "pregnant": "孕妇",
    "trying_to_conceive": "备孕",
    "breastfeeding": "哺乳期",
    "child": "儿童",
    "infant": "婴儿",
    "elderly": "老年人",
    "liver_disease": "肝病",
    "kidney_disease": "肾病",
}


def response_time(minutes: int) -> str:
    """An SLA as customers and agents read it: 15 → 15分钟, 120 → 2小时, 90 → 1.5小时."""
    if minutes < 60:
        return f"{minutes}分钟"
    hours = minutes / 60
    return f"{hours:g}小时"


MessageClass = Literal["consultation", "complaint", "emergency"]
AlertKind = Literal[
    "interaction",
    "duplicate_ingredient",
    "overdose",
    "allergy",
    "cross_allergy",
    "population",
    "do_not_use",
    "never_online",
    "check_failed",
]
Intent = Literal[
    "dose_usage",
    "indication",
    "contraindication",
    "interaction",
    "adverse_reaction",
    "special_population",
    "storage_expiry",
    "product_choice",
    "prescription_purchase",
    "order_delivery",
    "return_refund",
    "coupon_price",
    "invoice",
    "complaint",
    "diagnosis_request",
    "other",
]


class Turn(_Strict):
    role: Literal["customer", "agent", "pharmacist"] = "customer"
    text: Text = Field(max_length=4000)  # agents' and pharmacists' texts may be longer


class Profile(_Strict):
    """The customer's health record as the pharmacy keeps it."""

    age_years: float | None = Field(default=None, ge=0, le=130)
    sex: Literal["female", "male"] | None = None
    pregnant: bool = False
    trying_to_conceive: bool = False
    breastfeeding: bool = False
    conditions: ShortList = Field(
        default_factory=list,
        description="Population ids from lexicon/populations.yaml (liver_disease, hypertension…)"
        " or Chinese words (肝功能不全).",
    )
    allergies: ShortList = Field(
        default_factory=list, description="Drug, ingredient or class words: 青霉素, 头孢, 阿司匹林."
    )
    current_medicines: ShortList = Field(
        default_factory=list, description="Label ids or drug names the customer takes now."
    )
    do_not_use: ShortList = Field(
        default_factory=list, description="The customer's own do-not-use list (ids or names)."
    )


class CartItem(_Strict):
    product: ShortText = Field(description="Label id or product name.")
    quantity: int = Field(default=1, ge=1, le=1000)


class DrugMention(_Strict):
    doc_id: str
    name: str
    source: Literal["message", "history", "profile", "cart"]
    category: str
    never_online: bool = False
    taking: bool = Field(default=False, description="The customer says they already take it.")
    past: bool = Field(
        default=False,
        description="Named only as something of the past (去年吃阿莫西林起过疹子, 以前吃过华法林"
        " 后来停了): not what is asked for, bought or taken now.",
    )
    others: bool = Field(
        default=False,
        description="Someone else takes it and the message is for the customer themself (我爸在吃"
        "华法林 … 买盒芬必得给我自己).",
    )
    said_oral: bool = Field(
        default=False,
        description="Named after a word of swallowing (在吃红霉素): a form taken by mouth, whatever"
        " the route of the product it links to (红霉素软膏): checked as systemic.",
    )
    ingredients: list[str] = Field(default_factory=list, description="Ingredient keys.")
    classes: list[str] = Field(default_factory=list)


class ClassMention(_Strict):
    word: str
    classes: list[str]
    source: Literal["message", "history", "profile", "cart"] = "message"
    aside: bool = Field(
        default=False,
        description="Named as an allergy or a past event (对青霉素过敏, 去年吃头孢起过疹子), not"
        " asked for: still checked against, never a request.",
    )
    pointed: bool = Field(
        default=False,
        description="Pointed at (这个退烧药, 购物车里的止痛药): a product in play named by its"
        " class, not another medicine.",
    )
    over: bool = Field(
        default=False,
        description="A past use the message says is over and far back (上个月吃头孢的时候…"
        " 早好了 现在啥药都没吃): not in play now, not even for a window after stopping.",
    )


class Quantity(_Strict):
    text: str
    value: float
    unit: str
    kind: Literal["dose", "frequency", "duration", "age", "temperature", "weight", "money"]


class PopulationFinding(_Strict):
    population: str
    evidence: str
    negated: bool = False
    about_other_person: bool = False


class RedFlag(_Strict):
    id: str
    tier: Tier
    evidence: str
    advice: str = ""


class Triage(_Strict):
    message_class: MessageClass
    intents: list[Intent]
    drugs: list[DrugMention]
    drug_classes: list[ClassMention] = Field(default_factory=list)
    quantities: list[Quantity] = Field(default_factory=list)
    populations: list[PopulationFinding] = Field(default_factory=list)
    child_age_years: float | None = None
    patient_age_years: float | None = None
    red_flags: list[RedFlag] = Field(default_factory=list)
    reaction: str | None = Field(
        default=None,
        description="A reported suspected adverse drug reaction (a use event, then a change in "
        "the body); kept when the gate drops a red flag the label calls harmless.",
    )
    asked_only: bool = Field(
        default=False,
        description="Nothing is reported as happening: the customer has not taken the medicine "
        "yet, or tells what they heard (an emergency from the semantic net becomes priority).",
    )
    symptom_days: float | None = Field(default=None, description="Longest duration mentioned.")
    fever: bool = Field(
        default=False, description="A fever is said (发烧, 38.5度…) in this message."
    )
    temperature: float | None = Field(
        default=None, description="The highest body temperature said in this message (℃)."
    )
    alcohol: bool = Field(default=False, description="Alcohol use mentioned (not negated).")
    alcohol_asked: bool = Field(
        default=False,
        description="Alcohol comes up only as a question whether one may drink (能喝酒吗).",
    )
    allergies: ShortList = Field(
        default_factory=list, description="Drug or class words the customer says they react to."
    )
    about_other_person: bool = False
    compared: bool = Field(
        default=False,
        description="The message compares the products it names (区别, 哪个好): alternatives,"
        " not taken together.",
    )

    def has_population(self, population: str) -> bool:
        return any(p.population == population and not p.negated for p in self.populations)


class Alert(_Strict):
    kind: AlertKind
    severity: Severity
    drugs: list[str] = Field(description="Names of the products or ingredients involved.")
    involves: list[str] = Field(
        default_factory=list, description="Label ids and ingredient keys involved (for evals)."
    )
    effect: str
    advice: str
    source: str = Field(description="Where the rule comes from (label, interactions.yaml id).")
    rule_id: str | None = None
    asked_only: bool = Field(
        default=False,
        description="About something the customer asks whether they may do (吃这个能喝酒吗), "
        "nothing done: shown to the agent and answered from the label; it does not escalate "
        "on its own.",
    )


class FiredRule(_Strict):
    id: str
    tier: Tier
    topic: str
    reason: str
    template: str


class Escalation(_Strict):
    tier: Tier
    sla_minutes: int
    reasons: list[FiredRule]
    customer_advice: str | None = Field(
        default=None, description="Emergency advice to send at once (call 120 / emergency dept)."
    )


class VerifierFinding(_Strict):
    level: Literal["warn", "block"]
    code: str
    sentence: str
    detail: str


class VerifierResult(_Strict):
    outcome: Literal["pass", "warn", "block"]
    findings: list[VerifierFinding] = Field(default_factory=list)
    cleaned_text: str = Field(
        description="The draft with citation ids that were not retrieved removed."
    )


class Verdict(_Strict):
    decision: Literal["allow", "allow_with_alerts", "escalate"]
    triage: Triage
    alerts: list[Alert]
    escalation: Escalation | None = None
    holding_reply: str | None = Field(
        default=None, description="What the agent sends instead of a free draft on escalate."
    )
    errors: list[str] = Field(default_factory=list, description="Checks that raised (→ escalate).")


# --- suggestions ----------------------------------------------------------------------------


class Citation(_Strict):
    n: int = Field(description="The [n] marker used in the draft.")
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str
    source_file: str
    revision: str | None = None
    quoted: list[str] = Field(
        default_factory=list,
        description="The units of this source the draft answers from (the composer's choice; an"
        " LLM writing the draft sees only these).",
    )

    def selected(self) -> Citation:
        """This source cut down to the units the answer rests on (itself when none were
        chosen): what an LLM is given and held to."""
        if not self.quoted:
            return self
        return self.model_copy(update={"text": "\n".join(self.quoted)})

    @classmethod
    def from_chunk(cls, n: int, chunk: Chunk) -> Citation:
        """The [n] citation of a retrieved chunk."""
        return cls(
            n=n,
            chunk_id=chunk.id,
            doc_id=chunk.doc_id,
            title=chunk.title,
            section=chunk.section,
            text=chunk.text,
            source_file=chunk.source_file,
            revision=chunk.revision,
        )

    def as_chunk(self) -> Chunk:
        """The cited chunk, for re-verifying text against it."""
        return Chunk(
            id=self.chunk_id,
            doc_id=self.doc_id,
            kind="label",
            title=self.title,
            section=self.section,
            text=self.text,
            source_file=self.source_file,
            revision=self.revision,
        )


class SuggestRequest(_Strict):
    message: Text = Field(min_length=1, max_length=2000, description="The customer's message.")
    history: list[Turn] = Field(default_factory=list, max_length=50)
    profile: Profile = Field(default_factory=Profile)
    cart: list[CartItem] = Field(default_factory=list, max_length=100)
    provider: Literal["extractive", "openai"] | None = Field(
        default=None, description="Override the configured LLM provider for this request."
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message is blank: send the customer's text")
        return value


class RetrievedRef(_Strict):
    chunk_id: str
    doc_id: str
    section: str
    score: float
    strong: bool


class ProductChoice(_Strict):
    doc_id: str
    name: str = Field(description="Generic name (通用名) with the dosage form, as on the label.")


class Clarification(_Strict):
    """Why the reply asks the customer which product they mean, shown to the agent."""

    reason: Literal["unknown", "ambiguous"]
    mention: str | None = Field(default=None, description="The customer's words for it.")
    candidates: list[ProductChoice] = Field(default_factory=list)


class Suggestion(_Strict):
    """What the agent sees for one customer message."""

    id: str
    kind: Literal["draft", "holding", "cannot_draft", "clarify"]
    clarification: Clarification | None = Field(
        default=None,
        description="kind=clarify: the product named is unknown here, or several of ours fit.",
    )
    text: str = Field(description="The reply the agent edits and sends.")
    grounded: bool = Field(
        default=True,
        description="The text states facts from its numbered sources. False: a courteous close "
        "to a message that only thanks or acknowledges (states no fact, cites nothing).",
    )
    draft: str | None = Field(
        default=None,
        description="On escalation: the cited draft prepared for the pharmacist (never sent "
        "to the customer by the agent).",
    )
    citations: list[Citation] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    verdict: Verdict
    verification: VerifierResult | None = None
    provider: str
    fallback: str | None = Field(
        default=None, description="Why the LLM draft was replaced by the extractive one."
    )
    timings_ms: dict[str, float] = Field(default_factory=dict)
    retrieved: list[RetrievedRef] = Field(
        default_factory=list, description="What retrieval returned, best first (for review)."
    )
    ai_generated: bool = Field(default=True, description="Drafts are labelled as AI-generated.")
