"""A report as the national form's fields: JSON for one, CSV for many (for entry into the
national ADR system), and the same rows for the printable page."""

from __future__ import annotations

import csv
import io

from copilot.desk.adr_form import AdrForm
from copilot.desk.adr_view import AdrView

EXPORT_COLUMNS = [
    ("报告编号", lambda v: v.id),
    ("报告类型", lambda v: v.form.report_type),
    ("报告单位类别", lambda v: v.form.reporter_type),
    ("新的/严重/一般", lambda v: _kind_cn(v.form)),
    ("患者姓名", lambda v: v.form.patient_name),
    ("性别", lambda v: v.form.sex),
    ("年龄", lambda v: _num(v.form.age_years)),
    ("体重(kg)", lambda v: _num(v.form.weight_kg)),
    ("联系方式", lambda v: v.form.patient_contact),
    ("原患疾病", lambda v: v.form.disease),
    ("既往药品不良反应", lambda v: v.form.past_adr),
    ("家族药品不良反应", lambda v: v.form.family_adr),
    ("相关重要信息", lambda v: v.form.history),
    ("怀疑药品", lambda v: _drugs(v.form, "suspected")),
    ("并用药品", lambda v: _drugs(v.form, "concomitant")),
    ("不良反应名称", lambda v: v.form.event_name),
    ("不良反应发生时间", lambda v: v.form.onset_date or ""),
    ("不良反应过程描述及处理情况", lambda v: v.form.event_course),
    ("不良反应结果", lambda v: v.form.outcome),
    ("死亡原因", lambda v: v.form.death_cause),
    ("停药或减量后反应是否消失或减轻", lambda v: v.form.dechallenge),
    ("再次使用后是否再次出现同样反应", lambda v: v.form.rechallenge),
    ("严重情形", lambda v: "、".join(v.form.serious_criteria)),
    ("关联性评价", lambda v: v.form.causality),
    ("报告时限", lambda v: v.due_label),
    ("应报日期", lambda v: v.due_at.date().isoformat()),
]


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _kind_cn(form: AdrForm) -> str:
    parts = ["新的"] if form.is_new else []
    parts.append(
        {"death": "严重（死亡）", "serious": "严重", "general": "一般"}.get(
            form.seriousness or "", "未判断"
        )
    )
    return "、".join(parts)


def _drugs(form: AdrForm, role: str) -> str:
    rows = []
    for d in form.drugs:
        if d.role != role:
            continue
        fields = [
            d.approval_no and f"批准文号 {d.approval_no}",
            d.generic_name,
            d.trade_name and f"（{d.trade_name}）",
            d.maker,
            d.batch_no and f"批号 {d.batch_no}",
            d.dose and f"用量 {d.dose}",
            d.route,
            d.frequency,
            d.start_date and f"{d.start_date}起",
            d.stop_date and f"{d.stop_date}止",
            d.reason_for_use and f"用药原因 {d.reason_for_use}",
        ]
        rows.append(" ".join(str(f) for f in fields if f))
    return "；".join(rows)


def export_json(view: AdrView) -> dict:
    return {name: (str(get(view)) if get(view) is not None else "") for name, get in EXPORT_COLUMNS}


def export_csv(views: list[AdrView]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for v in views:
        writer.writerow([export_json(v)[name] for name, _ in EXPORT_COLUMNS])
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 Chinese correctly
