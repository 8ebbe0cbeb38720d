"""The fields of the national 药品不良反应/事件报告表 a retailer fills, as one pydantic form
shared by the desk, the API and the pages, and which of them a submitted report must have."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.schemas import ShortText, Text

OUTCOMES = ("痊愈", "好转", "未好转", "不详", "有后遗症", "死亡")
CAUSALITY = ("肯定", "很可能", "可能", "可能无关", "待评价", "无法评价")
ROUTE_CN = {
    "oral": "口服",
    "topical": "外用",
    "nasal": "鼻用",
    "inhaled": "吸入",
    "ophthalmic": "滴眼",
    "otic": "滴耳",
    "vaginal": "阴道用",
    "rectal": "直肠给药",
    "injection": "注射",
}


class AdrDrug(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["suspected", "concomitant"] = "suspected"
    product_id: ShortText | None = None
    generic_name: ShortText = ""
    trade_name: ShortText = ""
    maker: ShortText = ""
    approval_no: ShortText = ""
    batch_no: ShortText = ""
    dose: ShortText = ""
    route: ShortText = ""
    frequency: ShortText = ""
    start_date: date | None = None
    stop_date: date | None = None
    reason_for_use: ShortText = ""


class AdrForm(BaseModel):
    """The fields of the national form a retailer fills (FACTS.md: report form fields)."""

    model_config = ConfigDict(extra="forbid")
    report_type: Literal["首次报告", "跟踪报告"] = "首次报告"
    reporter_type: Literal["经营企业"] = "经营企业"
    patient_name: ShortText = ""
    patient_contact: ShortText = ""
    sex: Literal["男", "女", ""] = ""
    age_years: float | None = Field(default=None, ge=0, le=130)
    weight_kg: float | None = Field(default=None, gt=0, le=400)
    disease: ShortText = ""
    past_adr: ShortText = ""
    family_adr: ShortText = ""
    history: Text = Field(default="", max_length=1000)  # smoking, drinking, pregnancy, liver …
    drugs: list[AdrDrug] = Field(default_factory=list, max_length=20)
    event_name: ShortText = ""
    onset_date: date | None = None
    event_course: Text = Field(default="", max_length=4000)
    outcome: Literal["", *OUTCOMES] = ""
    death_cause: ShortText = ""
    dechallenge: Literal["", "是", "否", "不明", "未停药或未减量"] = ""
    rechallenge: Literal["", "是", "否", "不明", "未再使用"] = ""
    seriousness: Literal["general", "serious", "death"] | None = None
    serious_criteria: list[ShortText] = Field(default_factory=list, max_length=10)
    is_new: bool | None = None
    causality: Literal["", *CAUSALITY] = ""


# Fields a submitted report must have; the rest are listed as missing but do not block.
REQUIRED = {
    "sex": "患者性别",
    "event_name": "不良反应名称",
    "onset_date": "不良反应发生时间",
    "event_course": "不良反应过程描述",
    "outcome": "不良反应结果",
    "seriousness": "严重程度（一般/严重/死亡）",
    "is_new": "是否为新的不良反应",
    "causality": "关联性评价",
    "drugs.suspected": "怀疑药品（至少一个，含通用名）",
}
RECOMMENDED = {
    "age_years": "年龄",
    "weight_kg": "体重",
    "patient_name": "患者姓名",
    "patient_contact": "联系方式",
    "dechallenge": "停药或减量后反应是否消失或减轻",
    "rechallenge": "再次使用后是否再次出现",
    "drugs.batch_no": "怀疑药品批号",
    "drugs.approval_no": "怀疑药品批准文号",
    "drugs.maker": "怀疑药品生产厂家",
    "drugs.start_date": "怀疑药品开始用药时间",
    "drugs.dose": "怀疑药品用量",
}

ASK_BATCH_REPLY = (
    "您好，为了帮您向药品不良反应监测机构报告，麻烦您提供以下信息：药盒上的药品名称、批号（一般印在"
    "药盒侧面或底部，“批号”或“LOT”后面）和生产厂家，开始用药的日期和每次用量，现在症状是否已经缓解。"
    "方便的话拍一张药盒的照片发给我们。谢谢您！"
)


def _mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if name else ""


def _mask_contact(contact: str) -> str:
    digits = [c for c in contact if c.isdigit()]
    if len(digits) >= 7:
        return "".join(digits[:3]) + "****" + "".join(digits[-4:])
    return "***" if contact else ""


def hide_identity(form: AdrForm) -> AdrForm:
    """The form with the patient's name and contact masked (张**, 138****5678)."""
    return form.model_copy(
        update={
            "patient_name": _mask_name(form.patient_name),
            "patient_contact": _mask_contact(form.patient_contact),
        }
    )


def keep_hidden_identity(posted: AdrForm, stored: AdrForm) -> AdrForm:
    """A form saved from a masked page sends the masked values back: keep the stored ones."""
    shown = hide_identity(stored)
    update = {}
    if posted.patient_name == shown.patient_name:
        update["patient_name"] = stored.patient_name
    if posted.patient_contact == shown.patient_contact:
        update["patient_contact"] = stored.patient_contact
    return posted.model_copy(update=update) if update else posted


def missing_fields(form: AdrForm) -> tuple[list[str], list[str]]:
    """(required fields missing → cannot submit, recommended fields missing)."""
    suspected = [d for d in form.drugs if d.role == "suspected"]
    required: list[str] = []
    for key, label in REQUIRED.items():
        if key == "drugs.suspected":
            if not any(d.generic_name for d in suspected):
                required.append(label)
        elif getattr(form, key) in ("", None):
            required.append(label)
    if form.seriousness == "serious" and not form.serious_criteria:
        required.append("严重情形（第63条，至少勾选一项）")
    if form.seriousness == "death" and not form.death_cause:
        required.append("死亡原因")
    recommended: list[str] = []
    for key, label in RECOMMENDED.items():
        if key.startswith("drugs."):
            field = key.split(".", 1)[1]
            if suspected and any(not getattr(d, field) for d in suspected):
                recommended.append(label)
        elif getattr(form, key) in ("", None):
            recommended.append(label)
    return required, recommended
