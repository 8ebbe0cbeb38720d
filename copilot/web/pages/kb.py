"""Knowledge pages: search, one document, and the admin upload (rebuilt in the background)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from copilot.desk.common import DeskError, require
from copilot.desk.knowledge_updates import SUPPORTED_SUFFIXES
from copilot.desk.tables import User
from copilot.web.pages.render import render
from copilot.web.params import DocId, SearchText
from copilot.web.session import check_csrf, page_user

router = APIRouter(include_in_schema=False)


def _kb_page(request: Request, user: User, *, q: str = "", status_code: int = 200):
    copilot = request.app.state.copilot
    results, trace = copilot.search(q[:500], 8) if q.strip() else ([], None)
    return render(
        request,
        "kb.html",
        user,
        docs=sorted(copilot.documents(), key=lambda d: (d.kind, d.title)),
        doc_titles={d.doc_id: d.title for d in copilot.documents()},
        q=q,
        results=results,
        trace=trace,
        manifest=copilot.manifest(),
        rebuild=request.app.state.kb_updates.status().as_dict(),
        status_code=status_code,
    )


@router.get("/kb", response_class=HTMLResponse)
def kb(request: Request, q: SearchText = "", user: User = Depends(page_user)):
    return _kb_page(request, user, q=q)


@router.get("/kb/rebuild")
def kb_rebuild_status(request: Request, user: User = Depends(page_user)) -> dict:
    """Progress of the latest upload's rebuild (polled by the knowledge page)."""
    return request.app.state.kb_updates.status().as_dict()


@router.get("/kb/{doc_id}", response_class=HTMLResponse)
def kb_doc(doc_id: DocId, request: Request, user: User = Depends(page_user)):
    doc = request.app.state.copilot.document(doc_id)
    if doc is None:
        raise DeskError(f"找不到文档 {doc_id}", status=404)
    # the file's name, never where it lies on the server
    return render(request, "kb_doc.html", user, doc=doc, source_name=Path(doc.source_file).name)


@router.post("/kb/upload", response_class=HTMLResponse)
async def kb_upload(
    request: Request, file: UploadFile, csrf_token: str = Form(""), user: User = Depends(page_user)
):
    """Checks the file and starts the rebuild in a worker thread; answers at once (202) with the
    page, which shows the progress. A second upload while one builds gets 409."""
    check_csrf(request, csrf_token)
    require(user, "admin")
    settings = request.app.state.settings
    name = Path(file.filename or "").name
    if not name or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DeskError(
            f"不支持的文件类型：{name or '（无文件名）'}；支持 " + "、".join(SUPPORTED_SUFFIXES),
            status=415,
        )
    limit = int(settings.server.max_upload_mb * 1024 * 1024)
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise DeskError(f"文件超过 {settings.server.max_upload_mb:g} MB 上限", status=413)
    request.app.state.kb_updates.start(name, data, user)
    return _kb_page(request, user, status_code=202)
