"""JSON API of suspected adverse drug reaction reports: open on a case, save, submit, amend,
export, list with deadlines, cluster alerts. Pharmacists (and admins) change reports; agents
see only the status of the report on their case."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from copilot.desk.adr_export import export_csv, export_json
from copilot.desk.adr_form import AdrForm
from copilot.desk.adr_view import AdrView
from copilot.desk.common import DeskError
from copilot.desk.tables import User
from copilot.schemas import Text
from copilot.web.params import EscalationId, ReportId, UtcTime
from copilot.web.session import api_user

router = APIRouter(prefix="/v1", tags=["adverse reactions"])


class AdrSaveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    form: AdrForm
    version: int = Field(
        ge=1, le=2**31, strict=True, description="The version you read; a newer one → 409."
    )
    reason: Text | None = Field(default=None, max_length=500, description="Required to amend.")
    follow_up_on: date | None = Field(default=None, description="回访 date for the case.")


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, le=2**31, strict=True)


class AdrStatus(BaseModel):
    """What an agent sees: that a report exists and where it stands."""

    id: int
    escalation_id: int
    status: str
    due_at: UtcTime
    overdue: bool


def _adr(request: Request):
    return request.app.state.adr


def _for(user: User, view: AdrView) -> AdrView | AdrStatus:
    if user.role in ("pharmacist", "admin"):
        return view
    return AdrStatus(
        id=view.id,
        escalation_id=view.escalation_id,
        status=view.status,
        due_at=view.due_at,
        overdue=view.overdue,
    )


@router.post("/escalations/{escalation_id}/adr", response_model=AdrView)
def open_report(
    escalation_id: EscalationId, request: Request, user: User = Depends(api_user)
) -> AdrView:
    """Open the report on this case, pre-filled from it (or return the one already open)."""
    return _adr(request).open_for(escalation_id, user)


@router.get("/adr", response_model=list[AdrView | AdrStatus])
def list_reports(request: Request, user: User = Depends(api_user)):
    return [_for(user, v) for v in _adr(request).listing(user)]


@router.get("/adr/clusters")
def clusters(request: Request, user: User = Depends(api_user)) -> list[dict]:
    return _adr(request).cluster_alerts(user)


@router.get("/adr/export.csv")
def export_all(
    request: Request,
    user: User = Depends(api_user),
    status: str = Query("submitted", pattern="^(submitted|all)$"),
) -> Response:
    if user.role not in ("pharmacist", "admin"):
        raise DeskError("需要执业药师权限", status=403)
    views = _adr(request).listing(user, reveal=True)  # for the national system: audited
    views = [v for v in views if status == "all" or v.status == status]
    return Response(
        export_csv(views),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="adr_reports.csv"'},
    )


@router.get("/adr/{report_id}", response_model=AdrView | AdrStatus)
def get_report(
    report_id: ReportId,
    request: Request,
    user: User = Depends(api_user),
    reveal: bool = Query(False, description="Unmask the patient's name and contact (audited)."),
):
    return _for(user, _adr(request).get(report_id, user, reveal=reveal))


@router.get("/adr/{report_id}/export")
def export_one(report_id: ReportId, request: Request, user: User = Depends(api_user)) -> dict:
    """The national form's fields of one report (JSON), for entry into the national system."""
    if user.role not in ("pharmacist", "admin"):
        raise DeskError("需要执业药师权限", status=403)
    return export_json(_adr(request).get(report_id, user, reveal=True, purpose="导出"))


@router.put("/adr/{report_id}", response_model=AdrView)
def save_report(
    report_id: ReportId, body: AdrSaveIn, request: Request, user: User = Depends(api_user)
) -> AdrView:
    """Save a draft; on a submitted report, amend it (a reason is required)."""
    return _adr(request).save(
        report_id,
        user,
        body.form,
        body.version,
        reason=body.reason,
        follow_up_on=body.follow_up_on,
    )


@router.post("/adr/{report_id}/submit", response_model=AdrView)
def submit_report(
    report_id: ReportId, body: VersionIn, request: Request, user: User = Depends(api_user)
) -> AdrView:
    return _adr(request).submit(report_id, user, body.version)
