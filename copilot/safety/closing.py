"""A message that only closes or acknowledges (好的谢谢药师, 知道了, 那我先不吃了, 行 我去医院看看):
it asks nothing and tells nothing new, so the people and products of earlier turns are not
re-read into it (an answered case does not reopen on a thank-you) and the reply is a courteous
close, not a label passage.

The reading is whole-message: every part of the text must be an acknowledgement, a thank-you, a
goodbye or a stated next step that stops or seeks care; anything else left over (a drug, a
symptom, a number, a question, something taken) makes it an ordinary message. The message's own
red flags are read as always, so a misreading can only drop earlier turns, never the message.

A *status report* is read the same way (`is_status_report`): the customer tells where things
stand after the advice, and nothing else — care sought (已经到医院了, 在急诊 医生在看, 打了120,
洗过胃了), things better (退烧了, 好多了, 不痒了), the medicine stopped, or a detail of the pack
for the record (批号是…, 有效期到…). It asks for no new decision, so it is the answered case's
follow-up, acknowledged, not a new case. Anything else in it (a sign, a dose, a question, 还…,
又…) makes it an ordinary message.
"""

from __future__ import annotations

import re

from copilot.ingest.lexicon import normalize

_FILLER = r"[\s，,。.！!~～…、]*"
_PARTICLE = r"[啊呀哈啦吧呢哦噢嗯了的哟喔]*"
_PHRASE = (
    r"(好的?|好吧|好嘞|好滴|行吧?|成|可以了?|嗯+|哦+|噢+|喔+|ok|okay|收到|明白了?|清楚了?|知道了?|了解了?"
    r"|懂了|晓得了?|记住了|谢谢(你们?|您|药师|客服|医生|老师|亲|啦)?|谢了|多谢|感谢(你们?|您)?|辛苦(了|你们?|您)?"
    r"|麻烦(你|您)?了|不客气|没事了|没问题了?|没有了|没别的(问题)?了?|拜拜|再见|先这样|就这样吧?"
    r"|那?我(就|先|还是)?(先|再)?(不吃了?|不用了?|不买了?|停了|停药|等等|观察(一下|观察)?|考虑(一下|考虑)?"
    r"|去医院(看看|看一下)?|去看(看)?医生|问问(医生|大夫)|去?挂个?号"
    r"|去?找(医生|大夫)(换(个|一个|别的|其他的?)药|开(点|个)?(别的)?药|看看)?)(吧)?)"
)
_CLOSING = re.compile(rf"^{_FILLER}(?:{_PHRASE}{_PARTICLE}{_FILLER})+$", re.IGNORECASE)
_MAX_CHARS = 40


def is_closing(text: str) -> bool:
    """The whole message is acknowledgements, thanks, goodbyes and a step that stops or seeks
    care."""
    text = normalize(text).strip()
    return bool(text) and len(text) <= _MAX_CHARS and bool(_CLOSING.match(text))


_WHO = (
    r"(?:我们?|孩子|宝宝|小孩|娃|老人(?:家)?|他|她|病人"
    r"|我(?:家)?(?:爸|妈|爷爷|奶奶|姥姥|姥爷|外婆|外公|老公|老婆|媳妇|儿子|女儿|孩子|宝宝))?"
)
_WHEN = r"(?:已经|现在|刚刚?|刚才|目前|这会儿?|都)*"
_PLACE = r"(?:医院|急诊(?:室|科)?|诊所|社区医院|卫生院|儿童医院|门诊)"
_CARE = (
    rf"(?:(?:到|在|去|进)了?{_PLACE}(?:了|呢|啦)?(?:看过了|看了)?"
    r"|(?:看|找|问)(?:过|了)医生(?:了)?|医生(?:已经)?(?:在看|看过了?|看了|处理了|处理过了)"
    r"|医生(?:说|讲)(?:没事|没什么事|没大碍|问题不大|不要紧|没关系)(?:了)?"
    r"|洗(?:过|完|了)?胃(?:了)?|(?:在)?(?:输液|打点滴|挂水|打针|吸氧)(?:了|呢)?|(?:输|挂)(?:上|完)(?:液|水)了"
    r"|打(?:过|了)120(?:了)?|叫了救护车|救护车(?:来了|到了)|(?:在)?住院(?:了|呢)?"
    r"|(?:药)?停(?:了|掉了)|停药了|没(?:再)?(?:吃|用)了)"
)
_BETTER = (
    r"(?:(?:疹子|红疹|包|肿|烧|体温|头|肚子|嗓子|伤口|症状)?(?:也|都)?"
    r"(?:好多了|好些了|好一些了|好点了|好一点了|好了|没事了|退烧了|烧退了|不烧了|退了|降下来了"
    r"|(?:不|没那么|没有那么)(?:疼|痛|痒|难受|晕|吐|拉)了|缓解了|消了|下去了|消下去了))"
)
_PACK = (
    r"(?:(?:药盒|盒子|包装|瓶子?)(?:上)?(?:的|写的)?)?"
    r"(?:批号|生产批号|产品批号)(?:是|为|[:：])?\s*[A-Za-z0-9][A-Za-z0-9\-]{3,24}"
    r"|(?:有效期|效期)(?:是|到|至|[:：])?\s*\d{2,4}[年./\-]\d{1,2}(?:[月./\-](?:\d{1,2}[日号]?)?)?"
)
_REPORT = rf"(?:{_WHO}{_WHEN}(?:{_CARE}|{_BETTER})|{_PACK})"
_JOIN = r"(?:然后|也|而且|并且|和|跟)?"
_STATUS = re.compile(
    rf"^{_FILLER}(?:(?:{_PHRASE}|{_REPORT}){_PARTICLE}{_FILLER}{_JOIN})+$", re.IGNORECASE
)
_MAX_REPORT_CHARS = 60


def is_status_report(text: str) -> bool:
    """The whole message tells where things stand (care sought, better, stopped, a pack's batch
    number or expiry), with at most acknowledgements and thanks around it, and is not only a
    closing."""
    text = normalize(text).strip()
    if not text or len(text) > _MAX_REPORT_CHARS or is_closing(text):
        return False
    return bool(_STATUS.match(text))


# What makes a message more than news: a question, or a sign or a worsening in any words.
_ASKS = re.compile(
    r"[？?]|吗|呢|么|怎么|怎样|如何|能不能|可不可以|可以不|行不行|要不要|需不需要|用不用|是否|多少|几"
    r"|哪|什么|啥|为什么|咋|请问|帮我|麻烦"
)
_SIGN_OR_WORSE = re.compile(
    r"疼|痛|咳|喘|(?<!退)烧(?!退)|发热|拉|泻|吐|恶心|痒|疹|肿|晕|心慌|血|抽|昏|迷糊|没劲|乏力|不舒服"
    r"|难受|又|还是|还在|加重|更|严重|不好|不行|不对|药(?!师|店|房)"
)
_MAX_NEWS_CHARS = 80


def tells_only(text: str) -> bool:
    """The message only tells how things went, in any words (已经到医院了，医生在给孩子洗胃;
    孩子现在没事了，医生说观察一晚就可以回家): it asks nothing, names no sign, no worsening and
    no medicine. Whether it raises anything on its own is the caller's to check."""
    text = normalize(text).strip()
    return (
        bool(text)
        and len(text) <= _MAX_NEWS_CHARS
        and not _ASKS.search(text)
        and not _SIGN_OR_WORSE.search(text)
    )
