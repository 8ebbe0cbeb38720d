"""Label section vocabulary: the headings a label may have and their common variants."""

from __future__ import annotations

import re

# Headings a Markdown label (knowledge/labels/*.md) may use, in label order.
LABEL_SECTIONS: tuple[str, ...] = (
    "警示语",
    "成分",
    "性状",
    "适应症",
    "功能主治",
    "规格",
    "用法用量",
    "不良反应",
    "禁忌",
    "注意事项",
    "孕妇及哺乳期妇女用药",
    "儿童用药",
    "老年用药",
    "药物相互作用",
    "药物过量",
    "药理毒理",
    "药代动力学",
    "贮藏",
    "有效期",
    "包装",
    "批准文号",
)

REQUIRED_LABEL_SECTIONS: tuple[str, ...] = (
    "成分",
    "用法用量",
    "不良反应",
    "禁忌",
    "注意事项",
    "贮藏",
)

# Variants seen in real 说明书 files (PDF, DOCX, text) mapped to the canonical heading.
SECTION_ALIASES: dict[str, str] = {
    "适应证": "适应症",
    "功能与主治": "功能主治",
    "主治": "功能主治",
    "用法与用量": "用法用量",
    "用量用法": "用法用量",
    "孕妇及哺乳期妇女": "孕妇及哺乳期妇女用药",
    "孕妇及哺乳期用药": "孕妇及哺乳期妇女用药",
    "妊娠及哺乳期用药": "孕妇及哺乳期妇女用药",
    "孕妇用药": "孕妇及哺乳期妇女用药",
    "儿童": "儿童用药",
    "老人用药": "老年用药",
    "老年患者用药": "老年用药",
    "相互作用": "药物相互作用",
    "贮存": "贮藏",
    "储藏": "贮藏",
    "储存": "贮藏",
    "警告": "警示语",
    "药理作用": "药理毒理",
    "药代动力学特征": "药代动力学",
}

# Headings that structure an unstructured 说明书 but carry no answerable content of their own.
DOCUMENT_ONLY_SECTIONS: tuple[str, ...] = (
    "药品名称",
    "生产企业",
    "核准日期",
    "修改日期",
    "上市许可持有人",
)

_BRACKETED = re.compile(r"^\s*[【\[]\s*([^】\]]{1,20})\s*[】\]]\s*[:：]?\s*(.*)$")
_PLAIN = re.compile(r"^\s*([\u4e00-\u9fff]{2,12})\s*[:：]?\s*$")


def canonical_section(heading: str) -> str | None:
    """The canonical label heading for `heading`, or None when it is not a label section."""
    name = heading.strip().strip("#").strip().strip("【】[]:： ")
    if name in LABEL_SECTIONS or name in DOCUMENT_ONLY_SECTIONS:
        return name
    return SECTION_ALIASES.get(name)


def split_heading_line(line: str) -> tuple[str, str] | None:
    """Recognise a heading line of an unstructured label: `【用法用量】口服…` or `用法用量：`.

    Returns (canonical heading, rest of the line) or None.
    """
    match = _BRACKETED.match(line)
    if match:
        canonical = canonical_section(match.group(1))
        if canonical:
            return canonical, match.group(2).strip()
        return None
    match = _PLAIN.match(line)
    if match:
        canonical = canonical_section(match.group(1))
        if canonical:
            return canonical, ""
    return None
