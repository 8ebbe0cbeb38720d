"""The offline answer-first composer: a reply built only from units (sentences, clauses, table
rows) of the pharmacy's labels and policies, chosen for what *this* message asks.

    message → aspects asked (dose, interval, alcohol, storage …; answer_aspects.yaml)
            → for each aspect, the unit of the product's label that states it, for this person
              (a child's age or weight picks the table row; never an adult dose for a child)
            → cautions for this customer from their record (a condition, a medicine they take,
              pregnancy, old age) when the label speaks to it
            → policies: the governing rule first (a prohibiting heading such as 药品一经售出不予退换
              when the question is about what it prohibits), then the procedure units
            → only the counselling questions whose answers are not known yet

Nothing is written beyond the template's short leads ("用量：", "您记录中有胃溃疡：") and the
units themselves; every line cites its chunk, so the verifier can hold each number to it.
Deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from copilot.drafting.answer import Answer, Line, Request
from copilot.drafting.aspects import Aspect
from copilot.drafting.indications import unlisted_condition
from copilot.drafting.open_match import OpenMatcher, clauses
from copilot.drafting.policy_answer import policy_lines
from copilot.drafting.prompts import load_prompt
from copilot.drafting.unit_vectors import UnitVectors
from copilot.drafting.units import Unit, UnitCache
from copilot.ingest.lexicon import normalize
from copilot.schemas import Chunk, Citation

CANNOT_DRAFT = (
    "您好，您的问题我需要进一步确认，请您补充一下具体想咨询的药品名称或订单情况，我马上为您查询。"
)
FOLLOW_UP = "请问还有其他可以帮您的吗？"
ASK_WHO = "请问是给谁用呢？如果是孩子，麻烦告诉我年龄和体重，我再帮您查说明书上对应的量。"
ASK_CHILD = "麻烦告诉我孩子的年龄和体重，我再帮您查说明书上对应的量。"
ASK_OTHERS = "另外，目前是否在用其他药物、有没有药物过敏史？"
DEFAULT_ASPECTS = ("indication", "dose")
_YES_NO = re.compile(
    r"(?:能|可以|可不可以|能不能|行不行|会不会|是不是|要不要|需不需要|用不用|得不得)"
    r"|(?:吗|么|不)[？?]?$|行吗|好吗"
    # asked as "it's fine, isn't it" (喝点酒没事吧, 一起吃不要紧吧, 有影响不)
    r"|(?:没事|没关系|不要紧|要紧|碍事|有影响|有问题|影响大|行|可以|能)(?:吧|吗|么|不|没)"
)
_FORBID = re.compile(r"禁用|禁止|不得|不可|切忌|严禁|忌用")
_ADVISE_AGAINST = re.compile(r"不宜|避免|不要|勿|不能|不建议|不应")
_CAUTION = re.compile(r"慎用|咨询医师|咨询药师|医师指导|医生指导")
_DIRECT_ANSWER = {
    "alcohol",
    "driving",
    "pregnancy",
    "contraindication",
    "administration",
    "elderly",
    "child",
}
_CAUTION_SECTIONS = {
    "禁忌",
    "注意事项",
    "药物相互作用",
    "孕妇及哺乳期妇女用药",
    "儿童用药",
    "老年用药",
    "不良反应",
}
# A follow-up that asks nothing of its own (那我儿子9岁呢, 那孕妇呢, 换成小孩呢): it asks the
# previous question again, for another person or product.
_ELLIPTICAL = re.compile(r"^(那|那么|那要是|要是|如果是|换成)|呢[？?。!！\s]*$")
_MAY_USE = re.compile(r"(?:能|可以|可不可以|能不能)(?:吃|用|喝|服|涂|喷)")
# Short customer-facing names of label sections, for a line found by its words (open_match.py)
_SECTION_LEADS = {
    "适应症": "适用于",
    "功能主治": "适用于",
    "用法用量": "用法",
    "注意事项": "注意",
    "禁忌": "不能用的情况",
    "不良反应": "可能的不良反应",
    "药物相互作用": "与其他药同用",
    "孕妇及哺乳期妇女用药": "孕期及哺乳期",
    "儿童用药": "儿童",
    "老年用药": "老年人",
}
# Asking whether it is for a condition (能治, 管用吗, 湿疹能擦吗, 可以用于)
_FOR_CONDITION = re.compile(
    r"能治|可以治|治不治|治得了|管用|管不管|有用吗|有效吗|适用|用于|是治|"
    r"(?:能|可以|能不能)(?:用|擦|抹|涂|搽|喷|吃)"
)
_COMPARE = re.compile(r"区别|哪个好|哪个更|不同|还是.{1,10}好|对比|比较")
_POPULATION_WORDS = {"pregnant": "孕妇", "breastfeeding": "哺乳期", "elderly": "老年人"}


def _verdict(text: str, spots: list[int]) -> str:
    """A short direct answer from the label's own words next to the asked fact: 不得饮酒 →
    不可以; 避免 / 不宜 → 不建议; 慎用 → 需谨慎; mixed or none → nothing."""
    if not spots:
        return ""
    near = "".join(text[max(0, i - 10) : i + 8] for i in spots)
    forbid, against, caution = (
        bool(_FORBID.search(near)),
        bool(_ADVISE_AGAINST.search(near)),
        bool(_CAUTION.search(near)),
    )
    if forbid and not caution:
        return "不可以，"
    if against and not caution and not forbid:
        return "不建议，"
    if caution and not forbid and not against:
        return "需谨慎，"
    return ""


# A temperature threshold in a label line (体温超过38.5℃, 高热（体温≥39℃）, 发热超过38.5度).
_TEMP_LIMIT = re.compile(
    r"(?:体温|发热|发烧|高热)[^。；]{0,6}?(?:超过|高于|大于|≥|>|达到?)\s*(3\d(?:\.\d)?)\s*(?:℃|度)"
)


class AnswerComposer:
    def __init__(
        self,
        aspects: dict[str, Aspect],
        policy_ids: set[str],
        chunks_of: Callable[[str], list[Chunk]] = lambda doc_id: [],
        words: Callable[[str], list[str]] | None = None,
        clinical: Callable[[str], list[str]] = lambda text: [],
        conditions: set[str] | None = None,
        synonyms: dict[str, str] | None = None,
        policy_vectors: UnitVectors | None = None,
    ) -> None:
        self.aspects = aspects
        self.policy_ids = policy_ids
        self.chunks_of = chunks_of  # every chunk of a document (a policy's rule sections)
        self.units = UnitCache()
        # clauses no aspect names, matched by their own words (None: only the aspects answer)
        self.open = OpenMatcher(words, clinical) if words is not None else None
        # condition words of every label's indications, and colloquial → clinical words
        self.conditions = conditions or set()
        self.synonyms = synonyms or {}
        # the embedding model's closeness of policy units to a question (None: words only)
        self.policy_vectors = policy_vectors

    # --- the person ------------------------------------------------------------------------------
    @staticmethod
    def _person(req: Request) -> tuple[float | None, float | None, bool]:
        tri = req.triage
        child = (
            tri.child_age_years is not None
            or tri.has_population("child")
            or tri.has_population("infant")
        )
        age = tri.child_age_years if child else tri.patient_age_years
        if age is None and not child and not tri.about_other_person:
            age = req.profile.age_years
        weights = [q.value for q in tri.quantities if q.kind == "weight"]
        weight = weights[0] if weights and (child or (age is not None and age < 14)) else None
        return age, weight, child or (age is not None and age < 12)

    # --- what is asked ---------------------------------------------------------------------------
    def asked(self, message: str) -> list[Aspect]:
        text = normalize(message)
        found = [a for a in self.aspects.values() if a.asked_in(text)]
        replaced = {name for a in found for name in a.instead_of}
        return [a for a in found if a.name not in replaced]

    def _aspects_for(self, req: Request, asked: list[Aspect]) -> list[Aspect]:
        """The aspects to answer: those asked; when the question is whether someone may use it
        ("我爸68了，他能吃吗", "孕妇能用吗"), that person's group comes first and stands in for
        the generic who-may-not list."""
        aspects = list(asked)
        if not aspects and _ELLIPTICAL.search(normalize(req.message).strip()):
            # "那我儿子9岁呢" after "仙特明大人怎么吃": the same question, for another person
            before = next((t.text for t in reversed(req.history) if t.role == "customer"), "")
            aspects = self.asked(before)
        age, _weight, child = self._person(req)
        tri, profile = req.triage, req.profile
        groups = []
        if child:
            groups.append("child")
        elif (age is not None and age >= 60) or tri.has_population("elderly"):
            groups.append("elderly")
        if (
            tri.has_population("pregnant")
            or tri.has_population("breastfeeding")
            or ((profile.pregnant or profile.breastfeeding) and not tri.about_other_person)
        ):
            groups.append("pregnancy")
        names = [a.name for a in aspects]
        may_use = bool(_MAY_USE.search(normalize(req.message)))
        if groups and may_use and not set(names) - {"contraindication", *groups}:
            aspects = [self.aspects[g] for g in groups if g in self.aspects]
        if not aspects:
            aspects = [self.aspects[s] for s in self._cued_aspects(req.cues)] or [
                self.aspects[n] for n in DEFAULT_ASPECTS if n in self.aspects
            ]
        names = {a.name for a in aspects}
        if "dose" in names and "max_daily" not in names and "max_daily" in self.aspects:
            # a dose is answered with the day's most the label allows (一日不超过9片, 24小时内不超过
            # 2片), when it says one: the most a customer may take is part of how much to take
            aspects.append(self.aspects["max_daily"])
        return aspects

    def _score(self, unit: Unit, aspect: Aspect, words: set[str]) -> float:
        """How well `unit` states `aspect`: stating it in a section where it is usually written
        scores highest; stating it elsewhere counts only with the question's own words."""
        in_section = unit.section in aspect.sections
        if aspect.states:
            if not aspect.stated_in(unit.text):
                return -1.0
            score = 3.0 if in_section else 1.0
        elif in_section:
            score = 1.0
        else:
            return -1.0
        if in_section:
            score += 1.0 - 0.3 * aspect.sections.index(unit.section)
        norm = normalize(unit.text)
        score += 0.4 * sum(1 for w in words if len(w) > 1 and w in norm)
        if aspect.preferred(unit.text):
            score += 1.5  # states the fact itself (不得超过3个月), not only its topic
        return score - 0.01 * unit.position

    def _pick(
        self,
        aspect: Aspect,
        units: list[Unit],
        words: set[str],
        person: tuple[float | None, float | None, bool],
        used: set[int],
    ) -> list[Unit]:
        age, weight, child = person
        ranked = []
        for u in units:
            if id(u) in used:
                continue
            fits = u.fits(age=age, weight=weight, child=child)
            if fits is False or (fits is None and aspect.name in ("dose", "frequency")):
                continue
            s = self._score(u, aspect, words)
            if fits and not u.band.empty:
                s += 0.8  # written for exactly this person (成人：…, 6～12岁：…)
            if s > 0:
                ranked.append((s, u))
        ranked.sort(key=lambda item: -item[0])
        if not ranked or ranked[0][0] < 2.0:
            return []
        best = ranked[0][0]
        return [u for s, u in ranked[: aspect.max_units] if s >= best - 1.0]

    # --- label answers ---------------------------------------------------------------------------
    def _label_lines(self, req: Request, doc_id: str, answer: Answer, asked: list[Aspect]) -> None:
        units = [u for c in req.product_chunks.get(doc_id, []) for u in self.units.of(c)]
        if not units:
            return
        # the customer's other medicines count as the question's words (达喜跟我现在吃的药冲突吗)
        words = set(req.query_words) | {w for ws in req.medicines.values() for w in ws}
        person = self._person(req)
        age, weight, child = person
        aspects = self._aspects_for(req, asked)
        used: set[int] = set()
        if not self.aspects:
            self._section_lines(req, doc_id, words, answer)
            return
        yes_no = bool(_YES_NO.search(normalize(req.message)))
        default = [self.aspects[n] for n in DEFAULT_ASPECTS if n in self.aspects]
        if not asked and aspects == default and self.open is not None:
            # nothing the aspects name: the clause's own words first (能拿茶水送服吗); the
            # default what-it-is-for and dose only when they find nothing
            self._open_lines(req, doc_id, units, used, answer, yes_no)
            if answer.lines:
                aspects = []
        dose_asked = any(a.name in ("dose", "frequency") for a in aspects)
        for aspect in aspects:
            if aspect.states and any(
                aspect.stated_in(ln.unit.text)
                and (not aspect.prefer or aspect.preferred(ln.unit.text))
                for ln in answer.lines
            ):
                # already stated by a unit chosen for another aspect (for an aspect with its
                # own fact to prefer, only a unit that states that fact: 外用，一日2次 answers
                # how often, not how to apply)
                continue
            picked = self._pick(aspect, units, words, person, used)
            for u in picked:
                used.add(id(u))
                answer.lines.append(Line(self._lead(aspect, u, yes_no), u))
        if self.open is not None:
            self._open_lines(req, doc_id, units, used, answer, yes_no)
        self._not_indicated(req, doc_id, units, words, person, used, answer)
        if not answer.lines and aspects:
            for aspect in self._fallback_aspects(req):
                for u in self._pick(aspect, units, words, person, used):
                    used.add(id(u))
                    answer.lines.append(Line(self._lead(aspect, u, yes_no), u))
        if (
            dose_asked
            and child
            and not any(
                ln.unit.row is not None or ln.unit.band.ages or ln.unit.band.weights
                for ln in answer.lines
            )
        ):
            # a child's dose: the table row or the label's line for children, else ask
            child_aspect = self.aspects.get("child")
            picked = self._pick(child_aspect, units, words, person, used) if child_aspect else []
            for u in picked:
                used.add(id(u))
                answer.lines.append(Line(child_aspect.label + "：", u))
            if not picked and age is None and weight is None:
                answer.asks.append(ASK_CHILD)
        elif (
            dose_asked
            and age is None
            and weight is None
            and not any(ln.unit.band.ages or ln.unit.band.weights for ln in answer.lines)
            and not any(ln.unit.row or ln.unit.band.adult for ln in answer.lines)
        ):
            # no dose for an adult in this label (a children's product): ask who it is for;
            # an age band that gives no dose (40岁以上妇女禁用) is not a children's dose
            dose = self.aspects.get("dose")
            banded = [
                u
                for u in units
                if u.row is not None
                or ((u.band.ages or u.band.weights) and (dose is None or dose.stated_in(u.text)))
            ]
            if banded:
                answer.asks.append(ASK_WHO)
                answer.by_age = Line(req.product_names.get(doc_id, ""), banded[0])
        self._cautions(req, units, used, answer)

    def _open_lines(
        self,
        req: Request,
        doc_id: str,
        units: list[Unit],
        used: set[int],
        answer: Answer,
        yes_no: bool,
    ) -> None:
        """Each clause of the message gets the unit that carries its own words, when one does
        and no line says them yet (open_match.py): a clause no aspect names (能用茶水送吗), or
        one whose aspect line missed its point (能用开水冲吗 answered with 送服 in general); at
        most two such lines."""
        age, weight, child = self._person(req)
        name = req.product_names.get(doc_id, "")
        names = {n for n in re.split(r"[（）()]", name) if n} | {doc_id}
        added = 0
        for clause in clauses(req.message):
            hit = self.open.best(
                clause,
                units,
                skip=lambda u: (
                    id(u) in used or u.fits(age=age, weight=weight, child=child) is False
                ),
                not_words=names,
            )
            if hit is None or any(all(w in ln.unit.text for w in hit.words) for ln in answer.lines):
                continue  # nothing matched, or a line already says it
            used.add(id(hit.unit))
            answer.lines.append(Line(self._open_lead(hit.unit, hit.words, yes_no), hit.unit))
            added += 1
            if added == 2:
                return

    def _not_indicated(
        self,
        req: Request,
        doc_id: str,
        units: list[Unit],
        words: set[str],
        person: tuple[float | None, float | None, bool],
        used: set[int],
        answer: Answer,
    ) -> None:
        """ "湿疹能用达克宁吗": when the question is whether the product is for a condition and
        the label's indications do not list it, the reply says so first, then what the label
        says the product is for (indications.py)."""
        aspect = self.aspects.get("indication")
        text = normalize(req.message)
        if aspect is None or not self.conditions or not _FOR_CONDITION.search(text):
            return
        indication = "\n".join(u.text for u in units if u.section in aspect.sections)
        name = req.product_names.get(doc_id, "")
        names = {n for n in re.split(r"[（）()]", name) if n}
        condition = unlisted_condition(text, indication, self.conditions, self.synonyms, names)
        if condition is None or not indication:
            return
        line = next((ln for ln in answer.lines if ln.unit.section in aspect.sections), None)
        if line is None:
            picked = self._pick(aspect, units, words, person, used)
            if not picked:
                return
            used.add(id(picked[0]))
            line = Line("", picked[0])
        else:
            answer.lines.remove(line)
        line.lead = f"说明书的适应症中没有写到{condition}，不建议自行用于{condition}。本品适用于："
        answer.lines.insert(0, line)

    def _open_lead(self, unit: Unit, words: tuple[str, ...], yes_no: bool) -> str:
        """The section's short name, and for a yes/no question the label's own verdict next to
        the matched words (忌茶 → 不建议)."""
        lead = _SECTION_LEADS.get(unit.section, unit.section) + "："
        if not yes_no:
            return lead
        spots = [m.start() for w in words for m in re.finditer(re.escape(w), unit.text)]
        return lead + _verdict(unit.text, spots)

    def _section_lines(self, req: Request, doc_id: str, words: set[str], answer: Answer) -> None:
        """Without aspects: from each of the two best retrieved sections of the product, the
        sentence sharing most words with the question."""
        chunks = [r.chunk for r in req.strong if r.chunk.doc_id == doc_id][:2]
        for chunk in chunks:
            units = self.units.of(chunk)
            if units:
                best = max(
                    units,
                    key=lambda u: (
                        sum(1 for w in words if len(w) > 1 and w in u.text),
                        -u.position,
                    ),
                )
                answer.lines.append(Line("", best))

    def _fallback_aspects(self, req: Request) -> list[Aspect]:
        names = self._cued_aspects(req.cues) or list(DEFAULT_ASPECTS)
        return [self.aspects[n] for n in names if n in self.aspects]

    def _cued_aspects(self, cues: list[str]) -> list[str]:
        names = []
        for cue in cues:
            for a in self.aspects.values():
                if a.sections and a.sections[0] == cue and a.name not in names:
                    names.append(a.name)
                    break
        return names[:2]

    @staticmethod
    def _lead(aspect: Aspect, unit: Unit, yes_no: bool) -> str:
        """The aspect's label, and for a yes/no question a short direct answer when the label's
        own words next to the asked fact give one (不得饮酒 → 不可以; 慎用 → 需谨慎)."""
        lead = aspect.label + "："
        if not yes_no or aspect.name not in _DIRECT_ANSWER:
            return lead
        spots = [m.start() for p in aspect.states for m in p.finditer(unit.text)]
        return lead + _verdict(unit.text, spots)

    def _cautions(self, req: Request, units: list[Unit], used: set[int], answer: Answer) -> None:
        """What the label says about this customer's own situation, when it says anything."""
        tri, profile = req.triage, req.profile
        wants: list[tuple[str, tuple[str, ...]]] = []
        for population, word in _POPULATION_WORDS.items():
            if (
                tri.has_population(population)
                or getattr(profile, population, False)
                or (population == "elderly" and (profile.age_years or 0) >= 65)
            ):
                wants.append((f"{word}用药", (word[:2],)))
        for condition in profile.conditions:
            if re.search(r"[一-龥]", condition):
                core = condition[-2:] if len(condition) > 3 else condition
                wants.append((f"您记录中有{condition}", (condition, core)))
        for name, names in req.medicines.items():
            wants.append((f"您目前在用{name}", tuple(n for n in names if len(n) >= 2)))
        for allergy in profile.allergies:
            wants.append((f"您记录中对{allergy}过敏", (allergy,)))
        temp = tri.temperature
        if temp is not None:
            # a threshold the customer's own temperature passes (体温超过38.5℃的患者，应去医院就诊)
            for u in units:
                m = _TEMP_LIMIT.search(u.text)
                if m and id(u) not in used and temp > float(m.group(1)):
                    used.add(id(u))
                    answer.cautions.append(Line("您说的体温已超过说明书所写：", u))
                    break
        # how many days the label allows for what the customer has (用于解热连续使用不得超过3天 for
        # a fever, 用于止痛…5天 for pain), when the answer does not already say it
        purposes = []
        if tri.fever or tri.temperature is not None:
            purposes.append(r"解热|退热|发热|发烧")
        if re.search(r"疼|痛", normalize(req.message)):
            purposes.append(r"止痛|镇痛")
        for purpose in purposes:
            limit = re.compile(rf"(?:{purpose})[^。；]{{0,8}}?不(?:得|宜|应)超过\s*\d+\s*天")
            if any(limit.search(ln.unit.text) for ln in answer.lines + answer.cautions):
                continue
            for u in units:
                if id(u) not in used and limit.search(u.text):
                    used.add(id(u))
                    answer.cautions.append(Line("用药天数：", u))
                    break
        for lead, keys in wants[:4]:
            best = None
            for u in units:
                if id(u) in used or not keys:
                    continue
                if any(k in u.text for k in keys) and u.section in _CAUTION_SECTIONS:
                    best = u
                    break
            if best is not None:
                used.add(id(best))
                answer.cautions.append(Line(lead + "：", best))

    # --- the reply -------------------------------------------------------------------------------
    def compose(self, req: Request) -> tuple[str, list[Citation]]:
        text = normalize(req.message)
        policy_cued = any(c in self.policy_ids for c in req.cues)
        label_hits = [r for r in req.strong if r.chunk.kind == "label"]
        top_is_policy = (
            bool(req.strong) and max(req.strong, key=lambda r: r.score).chunk.kind == "policy"
        )
        products = req.products or [r.chunk.doc_id for r in label_hits[:1]]
        product_aspects = self.asked(req.message)
        use_policy = policy_cued or (top_is_policy and not req.products)
        use_label = bool(products) and (
            not use_policy or (bool(product_aspects) and not policy_cued)
        )
        answer = Answer(subject="", basis="")
        if use_policy:
            policy_lines(
                req,
                answer,
                self.units,
                self.chunks_of,
                self.policy_ids,
                self.open,
                self.policy_vectors,
            )
        if use_label or not answer.lines:
            targets = products[:2] if _COMPARE.search(text) else products[:1]
            for doc_id in targets:
                self._label_lines(req, doc_id, answer, product_aspects)
        if not answer.lines and answer.by_age is None:
            return "", []
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        extra = [answer.by_age] if answer.by_age is not None else []
        for line in answer.lines + answer.cautions + extra:
            chunk = line.unit.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(citations) + 1
                citations.append(Citation.from_chunk(numbers[chunk.id], chunk))
            line.n = numbers[chunk.id]
            citations[line.n - 1].quoted.append(line.unit.text)
        kinds = {ln.unit.chunk.kind for ln in answer.lines}
        answer.basis = (
            "说明书和平台规定" if len(kinds) > 1 else "说明书" if "label" in kinds else "平台规定"
        )
        if answer.lines:
            first = answer.lines[0].unit.chunk
            answer.subject = (
                req.product_names.get(first.doc_id, first.title)
                if first.kind == "label"
                else first.title
            )
        else:
            answer.subject = answer.by_age.lead
        answer.asks += self._counselling(req, answer)
        text_out = load_prompt("draft_extractive").render(answer=answer, follow_up=FOLLOW_UP)
        return text_out, citations

    def _counselling(self, req: Request, answer: Answer) -> list[str]:
        """Only what is not known yet: who it is for (dose questions), other medicines."""
        if answer.lines and not any(ln.unit.chunk.kind == "label" for ln in answer.lines):
            return []
        tri, profile = req.triage, req.profile
        asks = []
        dose = {"dose_usage", "product_choice"} & set(tri.intents)
        who_known = (
            tri.child_age_years is not None
            or tri.patient_age_years is not None
            or profile.age_years is not None
            or any(not p.negated for p in tri.populations)
            or bool(re.search(r"我(?:自己)?(?:吃|用|喝)|大人|成人|本人", normalize(req.message)))
        )
        banded = any(
            u.row is not None or u.band.ages or u.band.weights
            for ln in answer.lines
            for u in self.units.of(ln.unit.chunk)
            if ln.unit.chunk.section in ("用法用量", "儿童用药")
        )
        if dose and banded and not who_known and not {ASK_CHILD, ASK_WHO} & set(answer.asks):
            asks.append(ASK_WHO)
        answered = any(t.role == "customer" for t in req.history)
        if dose and not (
            profile.current_medicines or profile.allergies or req.medicines or answered
        ):
            asks.append(ASK_OTHERS)
        return asks
