"""The customer's health record page: what the pharmacy knows about the customer's health (read
for every suggestion of any of their conversations), its last change, the change history (field
names, never values), their conversations, and the edit form for agents and pharmacists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select

from copilot.desk.common import DeskError
from copilot.desk.records import FIELD_NAMES, HealthRecord, MedicationEntry, conversations_of
from copilot.desk.tables import AuditEntry, User
from copilot.web.pages.render import back, render
from copilot.web.params import CustomerRef, FormField, FormVersion
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.replace("，", ",").replace("、", ",").split(",") if v.strip()]


def _history(text: str) -> list[MedicationEntry]:
    """One medicine per line: `药名 [起始日期] [备注]`, e.g. `华法林钠片 2025-03-01 房颤`."""
    out = []
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        since, note = None, parts[1:]
        if note:
            try:
                since = date.fromisoformat(note[0])
                note = note[1:]
            except ValueError:
                pass
        try:
            out.append(MedicationEntry(product=parts[0], since=since, note=" ".join(note)))
        except ValidationError as exc:
            raise ValueError(f"用药史第{n}行有误：{exc.errors()[0]['msg']}") from None
    return out


@router.get("/customers/{customer_ref}", response_class=HTMLResponse)
def record_page(customer_ref: CustomerRef, request: Request, user: User = Depends(page_user)):
    desk = request.app.state.desk
    view = desk.record(customer_ref, user)
    with request.app.state.db.session() as s:
        conversations = conversations_of(s, customer_ref)
        changes = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity == "customer", AuditEntry.entity_id == customer_ref)
                .order_by(AuditEntry.id.desc())
                .limit(20)
            )
        )
        users = {u.id: u for u in s.scalars(select(User))}
    return render(
        request,
        "customer.html",
        user,
        customer_ref=customer_ref,
        record=view,
        conversations=conversations,
        changes=changes,
        users=users,
        field_names=FIELD_NAMES,
    )


@router.post("/customers/{customer_ref}")
def record_save(
    customer_ref: CustomerRef,
    request: Request,
    csrf_token: FormField = "",
    version: FormVersion = 0,
    birth_year: FormField = "",
    sex: FormField = "",
    pregnant_noted_on: FormField = "",
    breastfeeding_noted_on: FormField = "",
    allergies: FormField = "",
    conditions: FormField = "",
    current_medicines: FormField = "",
    do_not_use: FormField = "",
    medication_history: FormField = "",
    next_url: Annotated[str, Form(alias="next", max_length=2000)] = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    here = next_url if next_url.startswith("/c/") else f"/customers/{customer_ref}"
    try:
        record = HealthRecord(
            birth_year=int(birth_year) if birth_year.strip() else None,
            sex=sex or None,
            pregnant_noted_on=pregnant_noted_on or None,
            breastfeeding_noted_on=breastfeeding_noted_on or None,
            allergies=_split(allergies),
            conditions=_split(conditions),
            current_medicines=_split(current_medicines),
            do_not_use=_split(do_not_use),
            medication_history=_history(medication_history),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = FIELD_NAMES.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else ""
        return back(here, request, f"档案未保存：{field}{err['msg']}，请修改后重试")
    except ValueError as exc:
        return back(here, request, f"档案未保存：{exc}（出生年份请填四位数字，如 1958）")
    try:
        request.app.state.desk.save_record(customer_ref, user, record, version=version)
    except DeskError as exc:
        if exc.status == 403:
            raise
        return back(here, request, f"档案未保存：{exc}")
    return back(here, request, "用药档案已保存，此后该顾客所有对话的建议都会核对此档案")
