"""JSON API for the customer's health record: read it, save an edit made from the version read
(409 when someone saved in between), and, for admins, delete the customer's personal data."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from copilot.desk.common import DeskError
from copilot.desk.privacy import MAX_REASON, erase_on_request
from copilot.desk.records import HealthRecord, RecordView
from copilot.desk.tables import User
from copilot.schemas import Text
from copilot.web.params import CustomerRef
from copilot.web.session import api_user

router = APIRouter(prefix="/v1", tags=["customer records"])


class RecordEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(
        ge=0, le=2**31, strict=True, description="The version the edit starts from (0: new)."
    )
    record: HealthRecord


@router.get("/customers/{customer_ref}/record", response_model=RecordView)
def read_record(customer_ref: CustomerRef, request: Request, user: User = Depends(api_user)):
    view = request.app.state.desk.record(customer_ref, user)
    if view is None:
        raise DeskError(f"顾客 {customer_ref} 还没有用药档案", status=404)
    return view


@router.put("/customers/{customer_ref}/record", response_model=RecordView)
def save_record(
    customer_ref: CustomerRef, body: RecordEdit, request: Request, user: User = Depends(api_user)
) -> RecordView:
    return request.app.state.desk.save_record(customer_ref, user, body.record, version=body.version)


class ErasureIn(BaseModel):
    """A deletion on request: the customer id typed again, and why."""

    model_config = ConfigDict(extra="forbid")
    confirm: Text = Field(max_length=64, description="The customer id again, as confirmation.")
    reason: Text = Field(
        max_length=MAX_REASON, description="Why (e.g. the customer's request ticket)."
    )


class ErasureOut(BaseModel):
    """What was deleted (counts) and what stays by law; `audit_id` is the audit entry."""

    audit_id: int
    removed: dict[str, int]
    kept: dict[str, int]


@router.post("/customers/{customer_ref}/purge", response_model=ErasureOut)
def erase_customer(
    customer_ref: CustomerRef, body: ErasureIn, request: Request, user: User = Depends(api_user)
) -> ErasureOut:
    """Delete the customer's personal data (PIPL right to deletion). Admins only; the audit log
    and ADR reports stay."""
    report = erase_on_request(
        request.app.state.db,
        customer_ref,
        user=user,
        confirm=body.confirm,
        reason=body.reason,
        via="api",
    )
    counts = report.counts()
    kept = {"adr_reports": counts.pop("adr_reports_kept")}
    return ErasureOut(audit_id=report.audit_id, removed=counts, kept=kept)
