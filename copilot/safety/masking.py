"""Masking of personal data before any text leaves the process (the LLM prompt, log lines,
error bodies): names given in the text, mobile and landline numbers, ID card numbers, bank
card numbers, e-mail addresses and street addresses (个人信息保护法 Art. 28–31: minimise
sensitive data). `mask_pii` is the one function; `mask_value` applies it inside JSON-like
values and `mask_url` to a request line (percent-encoded or not). Doses, dates, ages and
temperatures are left alone (tests/test_privacy.py)."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    (
        re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{2}[\dXx](?!\d)"),
        "[身份证号]",
    ),
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"[A-Za-z0-9._%+-]+ ?@ ?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[邮箱]"),
    (
        re.compile(
            r"[\u4e00-\u9fff]{2,8}(?:省|自治区)?[\u4e00-\u9fff]{0,8}(?:市|州|盟)[\u4e00-\u9fff]{0,10}"
            r"(?:区|县|旗)[\u4e00-\u9fff\d]{0,20}(?:路|街|道|巷|村|镇|弄|小区|大厦)[\u4e00-\u9fff\d\-号楼栋单元室]*"
        ),
        "[地址]",
    ),
    (
        re.compile(r"[\u4e00-\u9fff\d]{2,20}(?:路|街|巷|弄)\d+号(?:[\d\-]+(?:栋|号楼|单元|室))*"),
        "[地址]",
    ),
    (
        re.compile(
            r"(我叫|我的名字是|姓名[:：]?|收货人[:：]?|联系人[:：]?)\s*[\u4e00-\u9fff]{2,4}"
        ),
        r"\1[姓名]",
    ),
]


_CARD = re.compile(r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)")
_CARD_CONTEXT = re.compile(r"(卡号|银行卡|信用卡|储蓄卡|账号)[^\d]{0,6}$")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_cards(text: str) -> str:
    def repl(m: re.Match) -> str:
        digits = re.sub(r"\D", "", m.group(0))
        context = _CARD_CONTEXT.search(text[max(0, m.start() - 10) : m.start()])
        return "[银行卡号]" if context or _luhn(digits) else m.group(0)

    return _CARD.sub(repl, text)


# Full-width digits, letters and the signs numbers and addresses are written with (１３８…, ＡＢ,
# ＠, －, the ideographic space) read as ASCII, so they cannot slip past the rules.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B) if chr(cp).isalnum()}
_FULL_WIDTH |= {ord(c): ord(a) for c, a in zip("＠．－＋　", "@.-+ ", strict=True)}
# A mobile number with a space or dash between any digits (138 1234 5678, 1-3-8…), or dotted
# in its usual groups (138.1234.5678); a run of decimals (13.5 12.0 11.2) is not one.
_SPACED_MOBILE = re.compile(
    r"(?<![\d.])(?:1[ \-]?[3-9](?:[ \-]?\d){9}|1[3-9]\d[.·]\d{4}[.·]\d{4})(?![\d.]\d)"
)
# An ID number written in groups (110101 19900307 123X, 110101-1990-0307-123X).
_SPACED_ID = re.compile(
    r"(?<!\d)\d{6}[ \-]?(?:19|20)\d{2}(?:[ \-]?\d){4}(?:[ \-]?\d){3}[ \-]?[\dXx](?![\dXx])"
)


def mask_pii(text: str) -> str:
    """The text with personal data replaced by placeholders (unchanged when there is none)."""
    original, text = text, text.translate(_FULL_WIDTH)
    plain = text
    text = _RULES[0][0].sub(_RULES[0][1], text)  # ID numbers before card numbers
    text = _RULES[1][0].sub(_RULES[1][1], text)
    text = _SPACED_ID.sub("[身份证号]", text)
    text = _mask_cards(text)
    for pattern, replacement in _RULES[2:]:
        text = pattern.sub(replacement, text)
    text = _SPACED_MOBILE.sub("[手机号]", text)
    return original if text == plain else text


def mask_value(value):
    """`mask_pii` applied to every string inside a JSON-like value (dicts, lists, tuples)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(mask_value(v) for v in value)
    return value


def mask_url(url: str) -> str:
    """A path and query string with personal data masked; percent-encoding (a phone number as
    %EF%BC%91… or 138+1234+5678) is decoded first, so it cannot hide a number. Unchanged when
    there is nothing to mask."""
    decoded = unquote_plus(url, errors="replace")
    masked = mask_pii(decoded)
    return url if masked == decoded else masked
