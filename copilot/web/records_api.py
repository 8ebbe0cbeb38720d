"""JSON API for the customer's health record: read it, and save an edit made from the version
read (409 when someone saved in between)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from copilot.desk.common import DeskError
from copilot.desk.records import HealthRecord, RecordView
from copilot.desk.tables import User
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
