"""The QA lead's dashboard."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from copilot.desk.common import require
from copilot.desk.dashboard import bar_chart, figures
from copilot.desk.tables import AgentAction, User
from copilot.web.pages.render import render
from copilot.web.session import page_user

router = APIRouter(include_in_schema=False)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: User = Depends(page_user)):
    require(user, "pharmacist", "admin")
    labels = {d.doc_id: d.title for d in request.app.state.copilot.documents()}
    with request.app.state.db.session() as s:
        f = figures(s, labels)
        f["adr_clusters"] = request.app.state.adr.clusters(s)
        recent = list(s.scalars(select(AgentAction).order_by(AgentAction.id.desc()).limit(10)))
    charts = {
        "tiers": bar_chart(f["escalations_by_tier"]),
        "rules": bar_chart(_top(f["escalations_by_rule"], 12)),
        "intents": bar_chart(f["top_intents"]),
        "drugs": bar_chart(f["top_drugs"]),
        "reasons": bar_chart(f["reject_reasons"]),
    }
    return render(request, "dashboard.html", user, f=f, charts=charts, recent=recent)


def _top(counts: list[tuple[str, int]], n: int) -> list[tuple[str, int]]:
    """The first `n` bars, and the rest summed as 其他 (every case's reasons are counted; a
    chart that silently dropped the eleventh rule did not agree with the queue)."""
    if len(counts) <= n:
        return counts
    rest = sum(c for _, c in counts[n - 1 :])
    return [*counts[: n - 1], (f"其他{len(counts) - n + 1}条规则", rest)]
