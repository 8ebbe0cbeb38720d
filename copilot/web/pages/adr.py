"""Adverse drug reaction report pages: the list with deadlines and cluster alerts, the report
form beside the label's 不良反应 section, the printable national form."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from copilot.desk.adr_export import EXPORT_COLUMNS, export_csv, export_json
from copilot.desk.adr_form import ASK_BATCH_REPLY, CAUSALITY, OUTCOMES, AdrDrug, AdrForm
from copilot.desk.common import DeskError, require
from copilot.desk.tables import User
from copilot.web.pages.render import back, render
from copilot.web.params import EscalationId, Flag, ReportId, Step
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)
DRUG_FIELDS = [
    ("generic_name", "通用名称"),
    ("trade_name", "商品名称"),
    ("maker", "生产厂家"),
    ("approval_no", "批准文号"),
    ("batch_no", "批号"),
    ("dose", "用量"),
    ("route", "用法（途径）"),
    ("frequency", "频次"),
    ("start_date", "开始日期"),
    ("stop_date", "停止日期"),
    ("reason_for_use", "用药原因"),
]
FIELD_NAMES = {
    "sex": "性别",
    "age_years": "年龄",
    "weight_kg": "体重",
    "onset_date": "发生时间",
    "start_date": "开始日期",
    "stop_date": "停止日期",
    "follow_up_on": "回访日期",
}


MAX_DRUGS = 50


def _number(data, name: str, default: int) -> int:
    """A whole number from the form (versions, counts), bounded; anything else is a 422."""
    raw = str(data.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise DeskError(f"表单项 {name} 应为不超过9位的整数，请刷新页面后重试", status=422)
    return int(raw)


def _form_from_post(data) -> tuple[AdrForm, int, str, date | None]:
    """The report form from the page's POST; a bad value is a Chinese message naming it."""

    def val(name: str):
        v = (data.get(name) or "").strip()
        return v or None

    drugs = []
    for n in range(min(_number(data, "drug_count", 0), MAX_DRUGS) + 1):
        row = {k: val(f"drug-{n}-{k}") for k, _ in DRUG_FIELDS}
        if not any(row.values()):
            continue
        row = {k: v for k, v in row.items() if v is not None}
        drugs.append(
            AdrDrug(
                role=data.get(f"drug-{n}-role") or "suspected",
                product_id=val(f"drug-{n}-product_id"),
                **row,
            )
        )
    seriousness = val("seriousness")
    is_new = {"yes": True, "no": False}.get(data.get("is_new") or "")
    fields = {
        k: val(k)
        for k in (
            "report_type",
            "patient_name",
            "patient_contact",
            "sex",
            "age_years",
            "weight_kg",
            "disease",
            "past_adr",
            "family_adr",
            "history",
            "event_name",
            "onset_date",
            "event_course",
            "outcome",
            "death_cause",
            "dechallenge",
            "rechallenge",
            "causality",
        )
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    form = AdrForm(
        **fields,
        drugs=drugs,
        seriousness=seriousness,
        serious_criteria=data.getlist("serious_criteria"),
        is_new=is_new,
    )
    follow = val("follow_up_on")
    return (
        form,
        _number(data, "version", 0),
        (data.get("reason") or "").strip(),
        date.fromisoformat(follow) if follow else None,
    )


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(x) for x in err["loc"] if not isinstance(x, int)]
        name = FIELD_NAMES.get(loc[-1], loc[-1]) if loc else "表单"
        parts.append(f"“{name}”的值不正确（{err['msg']}）")
    return "未保存：" + "；".join(parts) + "。请改正后再保存。"


@router.get("/adr", response_class=HTMLResponse)
def adr_list(request: Request, user: User = Depends(page_user)):
    adr = request.app.state.adr
    views = adr.listing(user)
    clusters = adr.cluster_alerts(user) if user.role in ("pharmacist", "admin") else []
    return render(
        request,
        "adr_list.html",
        user,
        views=views,
        clusters=clusters,
        clusters_window=adr.rules.cluster.window_days,
    )


async def _csrf(request: Request):
    data = await request.form()
    check_csrf(request, data.get("csrf_token", ""))
    return data


@router.get("/adr/export.csv")
def adr_export_csv(request: Request, user: User = Depends(page_user), all: Flag = 0):
    """Submitted reports (or all with ?all=1) as CSV with the national form's columns."""
    require(user, "pharmacist")
    views = request.app.state.adr.listing(user, reveal=True)  # for the national system: audited
    views = [v for v in views if all or v.status == "submitted"]
    return Response(
        export_csv(views),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="adr_reports.csv"'},
    )


@router.get("/adr/{report_id}/export.json")
def adr_export_json(report_id: ReportId, request: Request, user: User = Depends(page_user)):
    require(user, "pharmacist")
    view = request.app.state.adr.get(report_id, user, reveal=True, purpose="导出")
    return JSONResponse(export_json(view))


@router.post("/escalations/{escalation_id}/adr")
async def adr_open(escalation_id: EscalationId, request: Request, user: User = Depends(page_user)):
    """Open the report on a case (before the escalation router's /{step})."""
    await _csrf(request)
    view = request.app.state.adr.open_for(escalation_id, user)
    return back(f"/adr/{view.id}", request, "已打开不良反应报告（已按工单预填）")


@router.get("/adr/{report_id}", response_class=HTMLResponse)
def adr_page(
    report_id: ReportId, request: Request, user: User = Depends(page_user), reveal: Flag = 0
):
    require(user, "pharmacist")
    view = request.app.state.adr.get(report_id, user, reveal=bool(reveal))
    return render(
        request,
        "adr_report.html",
        user,
        v=view,
        rules=request.app.state.adr.rules,
        drug_fields=DRUG_FIELDS,
        outcomes=OUTCOMES,
        causality=CAUSALITY,
        ask_batch=ASK_BATCH_REPLY,
    )


@router.post("/adr/{report_id}/{step}")
async def adr_step(
    report_id: ReportId, step: Step, request: Request, user: User = Depends(page_user)
):
    data = await _csrf(request)
    adr = request.app.state.adr
    try:
        if step == "save":
            try:
                form, version, reason, follow = _form_from_post(data)
            except ValidationError as exc:
                return back(f"/adr/{report_id}", request, _explain(exc))
            except ValueError as exc:  # a malformed date or number outside pydantic
                return back(f"/adr/{report_id}", request, f"未保存：{exc}。请改正后再保存。")
            adr.save(report_id, user, form, version, reason=reason or None, follow_up_on=follow)
            done = "已保存"
        elif step == "fill":
            _, filled = adr.fill_from_chat(report_id, user, _number(data, "version", 0))
            done = (
                "已从对话补充："
                + "、".join(f"{drug}的{dict(DRUG_FIELDS).get(k, k)}" for drug, k in filled)
                + "。请核对后保存或提交"
                if filled
                else "对话中没有找到可补充的批号、厂家、开始日期或用量（已填写的栏目不会被替换）"
            )
        elif step == "submit":
            adr.submit(report_id, user, _number(data, "version", 0))
            done = "已提交；如需更改请修订并填写原因"
        else:
            raise DeskError(f"未知操作 {step}", status=404)
    except DeskError as exc:
        if exc.status in (403, 404):
            raise
        if exc.status == 409 and step == "save":
            # the form comes back with the newer report; this user's changes are put back on it
            # in the browser (app.js keepEdits), marked
            return back(
                f"/adr/{report_id}",
                request,
                f"{exc}。下面是最新报告，您改动的栏目已填回并标黄，请核对后再保存",
            )
        return back(f"/adr/{report_id}", request, str(exc))
    return back(f"/adr/{report_id}", request, done)


@router.get("/adr/{report_id}/print", response_class=HTMLResponse)
def adr_print(report_id: ReportId, request: Request, user: User = Depends(page_user)):
    require(user, "pharmacist")
    view = request.app.state.adr.get(report_id, user, reveal=True, purpose="打印")
    fields = export_json(view)
    return render(
        request,
        "adr_print.html",
        user,
        v=view,
        rows=[(name, fields[name]) for name, _ in EXPORT_COLUMNS],
    )
