"""Families blind set 18 showed (phrasings written for these tests, not taken from any set):
bleeding and anaphylaxis said in everyday colour and breath words, speech gone muddled, the
medicines gathered with a goodbye, dosing a label writes without 一次 (每12小时1粒, 每日最多6mg),
a day's doses said by the time of day (早一片晚一片), a minor speaking of themselves; the routine
ones (which of two it is, a photo sent to be read, a lump asked what it is, a folk
self-diagnosis, years on a medicine, a course with no change, a lab figure and 要不要开始吃药); and
what is not a sign (a figure of speech, a hypothetical asked out of interest, a spray running to
the throat, an allergen said after the medicine asked about)."""

from __future__ import annotations

import pytest

from copilot.schemas import Profile


def _verdict(gate, text, profile=None):
    return gate.assess(message=text, profile=profile or Profile())


def _tier(gate, text, profile=None):
    verdict = _verdict(gate, text, profile)
    return verdict.escalation.tier if verdict.escalation else None


@pytest.mark.parametrize(
    "text",
    [
        # bleeding: a dark stool or blood in what came up, in everyday words
        "吃着布洛芬呢 这几天拉出来的东西黑漆漆的",
        "在吃阿司匹林 刚才呕出来的东西里好像有血",
        # anaphylaxis: hives or a swollen face with the breath changed, however said
        "用完药膏脸和眼皮都肿起来了 嗓子也有点不舒服 还有点喘",
        "打完针身上全是风团 呼吸有点急",
        # speech gone muddled
        "外公吃了降糖药 现在讲话糊里糊涂的",
        # the medicines gathered with a goodbye or a plan
        "所有的药都翻出来摆好了 今晚一起吞下去",
        "药全倒在桌上了 谢谢你们这么久的照顾",
        # an approximate count; two products with one ingredient taken together, said colloquially
        "头疼片今天吃了将近二十片",
        "泰诺林和感冒灵交替着吃了两天",
    ],
)
def test_emergencies_said_otherwise(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "这个是湿疹还是别的什么 好痒",
        "照片发你们了 帮我看看是不是长了什么",
        "腿上冒出一个小肉球 是什么东西",
        "最近老长口疮 是不是火气大",
        "失眠十几年了 一直靠安眠药睡觉",
        "板蓝根喝了四天了 没什么效果",
        "化验出来血脂高 需不需要马上吃药",
    ],
)
def test_routine_said_otherwise(sample_gate, text):
    assert _tier(sample_gate, text) == "routine", text


@pytest.mark.parametrize(
    "text",
    [
        "工作压得我喘不过气 想买点褪黑素",
        "要是有人对乙酰氨基酚吃多了会怎样 只是好奇",
        "鼻喷剂喷完老是流到喉咙里 是不是喷法不对",
        "到底是饭前吃还是饭后吃",
        "发的是这个规格还是别的规格",
    ],
)
def test_not_signs(sample_gate, text):
    assert _tier(sample_gate, text) is None, text


def test_a_minor_speaking_of_themselves_is_a_child(sample_gate):
    assert _tier(sample_gate, "我16岁 能买含可待因的咳嗽药吗") == "priority"
    assert _verdict(sample_gate, "我16岁 能买含可待因的咳嗽药吗").triage.child_age_years == 16
    assert _verdict(sample_gate, "我36岁 止咳水怎么喝").triage.child_age_years is None


def test_the_allergen_is_the_word_before_the_allergy(sample_gate):
    """医生开了X 我对Y过敏: Y is the allergy, X what is asked about (no allergy alert on X);
    allergens said together are all read."""
    verdict = _verdict(sample_gate, "医生给开了阿奇霉素 我对青霉素过敏")
    assert verdict.triage.allergies == ["青霉素"]
    assert not any(a.kind == "allergy" for a in verdict.alerts)
    both = _verdict(sample_gate, "我对头孢和青霉素过敏")
    assert set(both.triage.allergies) == {"头孢", "青霉素"}


@pytest.mark.parametrize(
    "text",
    ["开瑞坦早一片晚一片吃了三天", "西替利嗪中午一片睡前一片行吗"],
)
def test_a_days_doses_said_by_the_time_of_day_are_added(sample_gate, text):
    verdict = _verdict(sample_gate, text)
    assert any(a.kind == "overdose" for a in verdict.alerts), text


def test_label_doses_written_without_yi_ci_are_read(sample_gate):
    """Limits from 每12小时服1粒 / 24小时内不超过2粒, and from a label that doses in mg a day
    only (the front matter's maximum): taking more raises the overdose alert."""
    limits = sample_gate.sk.dose_limits
    assert limits["contac-pseudoephedrine-chlorphenamine"].per_dose == 1
    assert limits["contac-pseudoephedrine-chlorphenamine"].per_day == 2
    assert limits["glimepiride-tablet"].per_day == 3
    # 日用片2片加夜用片1片: the two together
    assert limits["paracetamol-pseudoephedrine-dextromethorphan-tablet"].per_day == 3
    verdict = _verdict(sample_gate, "格列美脲今天一共吃了5片")
    assert any(a.kind == "overdose" for a in verdict.alerts)


def test_two_products_with_one_ingredient_asked_together_stay_priority(sample_gate):
    assert _tier(sample_gate, "泰诺林和感冒灵能一块吃吗") == "priority"


def test_a_class_said_as_not_taken_is_not_in_play(sample_gate):
    verdict = _verdict(sample_gate, "孩子没吃过任何止痛药 美林一次喂几毫升")
    assert not any(a.kind == "interaction" for a in verdict.alerts)
    assert not verdict.triage.drug_classes


@pytest.mark.parametrize(
    "text", ["孩子一天拉七八次水样便 蒙脱石散怎么冲", "一天吐了四五回 能喝补液盐吗"]
)
def test_a_symptom_counted_per_day_is_not_a_dose(sample_gate, text):
    verdict = _verdict(sample_gate, text)
    assert not any(a.kind == "overdose" for a in verdict.alerts), text


# --- from blind set 19 (phrasings written for these tests) -------------------------------------
@pytest.fixture
def copilot_check(sample_copilot):
    """The tier as the whole pipeline decides it (service questions scoped as in suggest)."""

    def tier(text):
        verdict = sample_copilot.assess(message=text)
        return verdict.escalation.tier if verdict.escalation else None

    return tier


@pytest.mark.parametrize(
    "text",
    [
        # a past event told as over, with a service question or thanks
        "大前天孩子误吞了一片药 已经去医院处理好了 医生讲不要紧 想问下快递到哪了",
        "上个月我妈心口疼住了院 早就出院了 今天来问问发票",
        # someone else's medicine, never taken by the customer, in a story heard
        "听同事说吃阿司匹林的人不能吃布洛芬 我根本不吃阿司匹林 芬必得一天几粒",
    ],
)
def test_past_or_heard_of_stays_with_the_agent(copilot_check, text):
    assert copilot_check(text) is None, text


def test_a_child_in_a_story_that_is_over_does_not_make_a_service_question_a_case(copilot_check):
    assert copilot_check("前阵子宝宝发烧看过医生了 已经好了 体温计能开发票吗") is None
    # a red flag in a service question still escalates
    assert copilot_check("孩子现在抽搐了 体温计什么时候到") == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        # hives or a swollen lip with faintness coming; the breath heard as a sound
        "擦了药膏以后身上起风团 嘴唇肿了 感觉快晕了",
        "孩子吃完药起疹子 喉咙里呼噜呼噜的",
        # a farewell with thanks for the care; no longer here after a day named; relief planned
        "感谢你们一直以来的照顾 以后不会再来了 和大家说句再见",
        "不用回了 过两天我就不在了",
        "安眠药存够了 吃完就再也不用受罪了",
        # a caregiver's squeeze or a child's gulp counted
        "外婆给宝宝一下挤了七八粒伊可新 孩子一岁",
        "两岁的娃一口气干了四袋小儿氨酚黄那敏",
        # an infant's age in 多天 and a temperature's tenth after 度
        "宝宝四十多天 体温37度9 刚刚又量是38度2",
    ],
)
def test_emergencies_from_blind_19_families(sample_gate, text):
    assert _tier(sample_gate, text) == "emergency", text


@pytest.mark.parametrize(
    "text",
    [
        "物流慢得我都要吐血了 什么时候发货",
        "谢谢你们这段时间的照顾 我搬到外地了 以后不会再来这家店了",
        "吃了止痛药就不用再受罪了 芬必得一天几粒",
    ],
)
def test_not_emergencies_from_blind_19_families(sample_gate, text):
    assert _tier(sample_gate, text) != "emergency", text


def test_a_fever_question_that_reads_like_a_return_stays_a_childs_case(copilot_check):
    """能退 is the fever going down here, not a refund: the child is not dropped as in a service
    question whose medical part is over."""
    assert copilot_check("强生那个宝宝退烧的 吃完多久能退") is not None


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("药店给错药了 我老公已经喝了一袋", True),
        ("用了一天才知道是配错的药", True),
        ("寄错药了 还没打开 怎么换", False),
    ],
)
def test_a_wrong_medicine_taken_is_a_mistaken_dose(sample_gate, text, taken):
    """A wrong medicine delivered and already taken is taken by mistake (as 吃错药了); one not
    taken is after-sales."""
    assert (_tier(sample_gate, text) == "emergency") is taken, text
