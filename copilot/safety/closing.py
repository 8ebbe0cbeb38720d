"""A message that only closes or acknowledges (好的谢谢药师, 知道了, 那我先不吃了, 行 我去医院看看):
it asks nothing and tells nothing new, so the people and products of earlier turns are not
re-read into it (an answered case does not reopen on a thank-you) and the reply is a courteous
close, not a label passage.

The reading is whole-message: every part of the text must be an acknowledgement, a thank-you, a
goodbye or a stated next step that stops or seeks care; anything else left over (a drug, a
symptom, a number, a question, something taken) makes it an ordinary message. The message's own
red flags are read as always, so a misreading can only drop earlier turns, never the message.
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
    r"|去医院(看看|看一下)?|去看(看)?医生|问问(医生|大夫)|去?挂个?号)(吧)?)"
)
_CLOSING = re.compile(rf"^{_FILLER}(?:{_PHRASE}{_PARTICLE}{_FILLER})+$", re.IGNORECASE)
_MAX_CHARS = 40


def is_closing(text: str) -> bool:
    """The whole message is acknowledgements, thanks, goodbyes and a step that stops or seeks
    care."""
    text = normalize(text).strip()
    return bool(text) and len(text) <= _MAX_CHARS and bool(_CLOSING.match(text))
