"""Ingestion events the dose numbers alone do not catch.

- **A child took a medicine not meant for their age** (孩子把外婆的降压药捡起来吃了两片, 娃把抽屉里
  的药咬开吃了): the child is the one who took it (a 把-phrase, the child's own action, a
  medicine that belongs to an adult) and the label's youngest age is above the child's, or
  the child's age is unknown and the label sets a youngest age at all. Any amount: a single
  adult tablet can harm a toddler. Rule id `child-ingestion` (emergency).
- **The same dose taken twice** (今早的降压药吃了两遍, 吃完忘了又吃了一次, 多吃了一顿; a second
  dose given too soon is a red-flag pattern): rule id `dose-repeated` (priority; emergency for
  a child, an elderly person or with acute symptoms, decided in rules/escalation.yaml).
"""

from __future__ import annotations

import re

from copilot.safety.checks.items import INTO_MOUTH, TAKE, CheckInput, Item, check, dosed_in
from copilot.safety.dose_limits import UNIT, unit_of
from copilot.safety.patient import active_populations, child_age, child_mentioned
from copilot.safety.quantities import _NUM, cn_to_number
from copilot.safety.tense import near_miss, said_to_happen
from copilot.schemas import Alert

_TOOK = re.compile(
    rf"({TAKE}|咬|舔|含|喂)(了|掉了|下去了?|进去了?)|{INTO_MOUTH}"
    # not sure whether it went down (数不清他到底吃没吃, 不知道有没有吞下去, 好像吃了): the
    # worst case is read
    r"|(吃|吞|咽)没(吃|吞|咽)|有没有(吃|吞|咽)|(吃|吞)了没有|是不是(吃|吞)了|可能(吃|吞)了|好像(吃|吞)了"
)
# The child did it: 把…吃了, their own action, an adult's medicine, a mistake for sweets.
_CHILD_DID = re.compile(
    r"把[^。]{1,24}(吃|吞|喝|嚼|咬|舔)"
    rf"|把[^。]{{1,24}}{INTO_MOUTH}"
    r"|(自己|偷偷|偷着|趁[^。]{0,6}(不注意|没看|没注意|不在)|一不留神|一转身|没看住|没看好)"
    r"|(捡|翻|拿|够|抓|摸|抠|打开|拆开|咬开|剥开)[^。]{0,6}(吃|吞|喝|嚼|舔|含)"
    # found it and took it, said apart (翻到他爸的西地那非 吃了一颗)
    r"|(翻|找|够|偷|摸)(到|出|着)[^。]{0,14}(吃|吞|喝|嚼)了"
    # found playing with a medicine's bottle or box (在玩我的二甲双胍瓶子 地上撒了几片)
    r"|玩[^。，,]{0,10}(药|瓶|盒|片)"
    r"|(当成?|以为是)[^。]{0,4}(糖|糖豆|零食|饮料|糖果)"
    # given by mistake (喂错了, 拿错药给孩子吃了): the wrong medicine all the same
    r"|(喂错|给错|拿错|吃错|弄错|搞错)"
    r"|(外婆|外公|奶奶|爷爷|姥姥|姥爷|爸爸|妈妈|老人|大人|成人|成年人|我|他爸|她爸|他妈|她妈)(的|吃的|用的)[^。]{0,6}(药|片|胶囊|丸)"
)
_BY_MISTAKE = re.compile(
    r"(喂错|给错|拿错|吃错|弄错|搞错)"
    # an adults' medicine given to the child (奶奶不懂给她喂了一粒大人吃的胶囊): wrong in kind
    r"|(大人|成人|成年人)(吃|用)?的[^。]{0,8}(药|片|胶囊|丸)"
)
_MEDICINE = re.compile(r"(药|片|粒|颗|胶囊|丸|糖浆|口服液)")
_GIVEN_BY_CARER = re.compile(r"(喂|给(他|她|孩子|娃|宝宝|宝)?(吃|喝|用)|让(他|她|孩子|娃)(吃|喝))")
_REPEATED = re.compile(
    r"(吃|服|喝|喂|用)(了)?(两|2|二|俩)(遍|回)"
    r"|(吃|服|喂)(重了|重复了|双份|两份)|重复(吃|服|喂)|(吃|服|喝|喂)了又(吃|服|喝|喂)"
    r"|(忘了|忘记|不记得|记不清)[^。]{0,8}(吃过|吃没吃|吃了没|已经吃|喂过)[^。]{0,10}(又|再)(吃|喂|服|喝)"
    r"|(多吃|多喂|多服)了[^。]{0,2}(一次|一顿|一遍|一回)"
    # taken earlier, then again thinking it was not (早上吃过了 中午忘了以为没吃又吃了一片)
    r"|(吃过|已经吃|吃了的|喂过|已经喂)[^。]{0,16}(又|再)(给[他她]?)?(吃|服|喝|喂)了"
    r"|(以为|当成|当是)(没吃|还没吃|没喂|没服)[^。，,]{0,6}(又|再|就)(吃|服|喝|喂)"
    # several takings counted within a short time (一共三次了 都在一个钟头里)
    r"|(一共|总共|前后|加起来)[^。，,]{0,3}([两2二俩三3四4五5六6]|好几)(次|回|遍)[^。]{0,8}"
    r"(一个钟头|一小时|一个小时|半小时|半个钟头|两个小时|两个钟头)(里|内|之内)?"
    # taken again, or several takings counted (又喂了一遍, 前后吃了三回, 不知道又给吃了)
    r"|(又|再)(给)?(吃|服|喝|喂)了[^。，,]{0,2}一?(遍|回|次)"
    # counted, also as a range or a guess (吃了两三回, 喂了三四遍, 吃了好几回)
    r"|(吃|服|喝|喂)了(两三|三四|四五|[两2二俩三3四4五5]|好几|几)(遍|回)"
    r"|(不知道|不晓得|不清楚)[^。，,]{0,4}(又|也)(给)?(吃|喂|服)了"
    # several takings within an hour or two (一个小时里吃了三次, 半小时内喝了两回)
    r"|(半|一|两|俩|1|2)个?(小时|钟头|钟)(里|内|之内|不到)?[^。，,]{0,4}(吃|服|喝|喂)了"
    r"[^。，,]{0,6}?(两三|三四|[两2二俩三3四4五5]|好几|几)(遍|回|次)"
)


# Takings counted with the amount of each (一个钟头里吃了三回 每回两片): the total is compared
# with the label's daily maximum.
_TAKINGS = re.compile(rf"({TAKE}|喂|用)了\s*({_NUM})\s*(遍|回|次)")
_PER_TAKE = re.compile(rf"(每回|每次|每遍|一回|一次)[^，。,\d]{{0,3}}?({_NUM})\s*{UNIT}")


def _subject(
    ci: CheckInput, sources: tuple[str, ...] = ("message", "history"), unit: str | None = None
) -> Item | None:
    """The product a number belongs to; with a unit, the one dosed in that unit (扑热息痛…每回
    两片 → the tablet, not the drops)."""
    for source in sources:
        pool = dosed_in(ci, [i for i in ci.items if i.is_product and i.source == source], unit)
        if pool:
            return pool[0]
    return None


@check
def ingestion(ci: CheckInput) -> list[Alert]:
    item = _subject(ci)
    # what is said to happen now: not a past told as over (上回孩子误吃过 结果啥事没有)
    text = said_to_happen(ci.message)
    return _child_took(ci, text, item) + _repeated(ci, text, item)


def _child_took(ci: CheckInput, text: str, item: Item | None) -> list[Alert]:
    pops = active_populations(ci.triage, ci.profile, set())
    age = child_age(ci.triage, ci.profile)
    took = _TOOK.search(text)
    if ci.triage.asked_only or (took is not None and near_miss(text, took.start())):
        # 万一以后孩子误吃了药…: asked in advance; 差点吃了 被我抢下来 一片没少: nothing taken
        return []
    if not (
        child_mentioned(pops, age)
        and _TOOK.search(text)
        and _CHILD_DID.search(text)
        and (not _GIVEN_BY_CARER.search(text) or _BY_MISTAKE.search(text))
    ):
        return []
    if item is None:
        # a medicine we do not carry (奶奶的硝苯地平): it cannot be checked, so the cautious
        # reading holds
        if not _MEDICINE.search(text):
            return []
        return [
            _alert(
                Item(key="class:unknown", name="所服药品", source="message"),
                "孩子自行服下了无法核对的药品",
                "child-ingestion",
                "儿童误服药品，请立即就医或拨打120，并带上药盒。",
            )
        ]
    min_age = ci.sk.documents[item.key].label.populations.child_min_age_years
    not_for_child = min_age is not None and (age is None or age < min_age)
    if not (not_for_child or item.category == "Rx"):
        return []  # a child's own medicine: the amount decides (the overdose check)
    who = f"{age:g}岁孩子" if age is not None else "孩子"
    return [
        _alert(
            item,
            f"{who}自行服下了不适合其年龄的药品",
            "child-ingestion",
            "儿童误服成人药品，即使量少、目前无症状也可能危险，请立即就医或拨打120，并带上药盒。",
        )
    ]


def _repeated(ci: CheckInput, text: str, item: Item | None) -> list[Alert]:
    """The same dose taken twice: over the daily maximum when two doses exceed it."""
    alerts: list[Alert] = []
    repeated = _REPEATED.search(text)
    if repeated and (item is not None or ci.triage.drug_classes or "药" in text):
        each = _PER_TAKE.search(text)
        unit = unit_of(each.group(3)) if each else None
        target = _subject(ci, ("message", "history", "profile"), unit) or Item(
            key="class:medicine", name="所服药品", source="message"
        )
        limit = ci.sk.dose_limits.get(target.key)
        over = bool(
            limit and limit.per_dose and limit.per_day and 2 * limit.per_dose > limit.per_day
        )
        counts = [cn_to_number(m.group(2)) for m in _TAKINGS.finditer(text)]
        times = max((c for c in counts if c), default=2)
        amount = cn_to_number(each.group(2)) if each else None
        said = ""
        if (
            limit
            and not amount
            and limit.per_dose
            and limit.per_day
            and times * limit.per_dose > limit.per_day
        ):
            # takings counted, each a dose (感康一个钟头里吃了三回): more than a day allows
            over = True
            said = f"，{times:g}次即使每次按说明书单次量也超过每日最大量"
        if limit and amount and unit == limit.unit:
            # the takings told with the amount of each: their total against the daily maximum
            total_over = bool(
                (limit.per_day and times * amount > limit.per_day)
                or (limit.per_dose and amount > limit.per_dose)
            )
            if total_over:
                said = f"，{times:g}次每次{amount:g}{limit.shown or unit}，合计已超过说明书最大量"
            over = over or total_over
        alerts.append(
            _alert(
                target,
                f"同一剂量重复服用（“{repeated.group(0)}”）"
                + (said or ("，两次的量已超过说明书每日最大量" if over else "")),
                "overdose-taken" if over else "dose-repeated",
                "重复服药可能超过说明书用量，请由药师评估是否需要就医。",
                severity="major" if over else "moderate",
            )
        )
    return alerts


def _alert(item: Item, effect: str, rule_id: str, advice: str, severity: str = "major") -> Alert:
    return Alert(
        kind="overdose",
        severity=severity,
        drugs=[item.name],
        involves=[item.key, *item.ingredients],
        effect=effect,
        advice=advice,
        source="说明书【用法用量】【儿童用药】",
        rule_id=rule_id,
    )
