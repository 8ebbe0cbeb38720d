"""Masking of personal data before any text leaves the system (external LLM) or reaches a log:
names given in the text, mobile and landline numbers, ID card numbers, bank card numbers,
e-mail addresses and street addresses (个人信息保护法 Art. 28–31: minimise sensitive data)."""

from __future__ import annotations

import re

_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    (
        re.compile(r"(?<!\d)\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{2}[\dXx](?!\d)"),
        "[身份证号]",
    ),
    (re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[邮箱]"),
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


# Full-width digits and letters (１３８…, ＡＢ) read as ASCII, so they cannot slip past the rules.
_FULL_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF5B) if chr(cp).isalnum()}
# A mobile number with a separator between any digits (138 1234 5678, 1-3-8…, 138.1234.5678).
_SPACED_MOBILE = re.compile(r"(?<!\d)1[ \-.·]?[3-9](?:[ \-.·]?\d){9}(?!\d)")


def mask_pii(text: str) -> str:
    """The text with personal data replaced by placeholders."""
    text = text.translate(_FULL_WIDTH)
    text = _RULES[0][0].sub(_RULES[0][1], text)  # ID numbers before card numbers
    text = _RULES[1][0].sub(_RULES[1][1], text)
    text = _mask_cards(text)
    for pattern, replacement in _RULES[2:]:
        text = pattern.sub(replacement, text)
    return _SPACED_MOBILE.sub("[手机号]", text)
