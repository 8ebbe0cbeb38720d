"""The customer's health record page: what the pharmacy knows about the customer's health (read
for every suggestion of any of their conversations), its last change, the change history (field
names, never values), their conversations, and the edit form for agents and pharmacists; for
admins, deleting the customer's personal data on request (a confirmation page with the counts of
what goes and what stays by law, the customer id typed again and a reason, then the result)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select

from copilot.desk.common import DeskError, require
from copilot.desk.privacy import entity_of, erase_on_request, erasure, preview_customer
from copilot.desk.records import FIELD_NAMES, HealthRecord, MedicationEntry, conversations_of
from copilot.desk.service import RecordChanged
from copilot.desk.tables import AuditEntry, User
from copilot.web.pages.render import back, render
from copilot.web.params import CustomerRef, DoneQuery, FormField, FormShort, FormVersion
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
                .where(
                    AuditEntry.entity == "customer",
                    AuditEntry.entity_id.in_(sorted({customer_ref, entity_of(customer_ref)})),
                )
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
        can_erase=user.role == "admin" and (view is not None or bool(conversations)),
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
    except RecordChanged as exc:
        # the form comes back with the newer record; what this user changed is put back on it
        # in the browser (app.js keepRecordEdits), marked, so nothing typed is lost
        return back(
            here,
            request,
            f"档案未保存：档案已被{exc.by}修改。下面是最新档案，您改动的栏目已填回并标黄，"
            "请核对后再保存",
        )
    except DeskError as exc:
        if exc.status == 403:
            raise
        return back(here, request, f"档案未保存：{exc}")
    return back(here, request, "用药档案已保存，此后该顾客所有对话的建议都会核对此档案")


@router.get("/customers/{customer_ref}/delete", response_class=HTMLResponse)
def erase_page(
    customer_ref: CustomerRef,
    request: Request,
    done: DoneQuery = None,
    user: User = Depends(page_user),
):
    """Admins: what deleting the customer's personal data removes and what stays, and the
    form; with `done`, the result as the audit log recorded it."""
    require(user, "admin")
    with request.app.state.db.session() as s:
        if done is not None:
            entry = erasure(s, customer_ref, done)
            if entry is None:
                raise DeskError(f"找不到对顾客 {customer_ref} 的删除记录 {done}", status=404)
            by = s.get(User, entry.user_id) if entry.user_id else None
            return render(
                request,
                "customer_erase.html",
                user,
                customer_ref=customer_ref,
                done=entry,
                by=by.display_name if by else "命令行",
            )
        preview = preview_customer(s, customer_ref)
    if preview is None:
        raise DeskError(
            f"找不到顾客 {customer_ref} 的个人信息：没有对话或用药档案（可能已删除）", status=404
        )
    return render(
        request,
        "customer_erase.html",
        user,
        customer_ref=customer_ref,
        preview=preview,
        counts=preview.would_remove,
    )


@router.post("/customers/{customer_ref}/delete")
def erase(
    customer_ref: CustomerRef,
    request: Request,
    csrf_token: FormField = "",
    confirm: FormShort = "",
    reason: FormShort = "",
    user: User = Depends(page_user),
):
    check_csrf(request, csrf_token)
    here = f"/customers/{customer_ref}/delete"
    try:
        report = erase_on_request(
            request.app.state.db,
            customer_ref,
            user=user,
            confirm=confirm,
            reason=reason,
            via="page",
        )
    except DeskError as exc:
        if exc.status in (403, 404):
            raise  # the error page: not an admin, or nothing to delete
        return back(here, request, f"未删除：{exc}")
    return back(f"{here}?done={report.audit_id}", request, "已删除该顾客的个人信息")
