"""Admin label uploads: save the file, rebuild the index incrementally in a worker thread (one
build at a time), then hand the fresh pipeline to whoever serves requests.

The event loop never waits on a build: `start` only checks, saves and starts the thread; the
page polls `status()` for progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from copilot.desk.common import DeskError, audit
from copilot.desk.db import Database
from copilot.desk.tables import User
from copilot.errors import CopilotError
from copilot.ingest.documents import SUPPORTED_SUFFIXES
from copilot.pipeline import Copilot
from copilot.schemas import BuildReport
from copilot.settings import Settings

log = logging.getLogger(__name__)
__all__ = ["SUPPORTED_SUFFIXES", "KnowledgeUpdates", "RebuildStatus"]

STAGE_NAMES = {"embedding": "计算向量", "tokenizing": "分词", "saving": "保存文件"}


@dataclass
class RebuildStatus:
    """What the knowledge page shows about the latest upload."""

    state: str = "idle"  # idle | running | done | failed
    file: str | None = None
    stage: str | None = None
    done: int = 0
    total: int = 0
    started: float | None = None
    finished: float | None = None
    report: BuildReport | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "file": self.file,
            "stage": STAGE_NAMES.get(self.stage or "", self.stage),
            "done": self.done,
            "total": self.total,
            "seconds": round((self.finished or time.time()) - self.started, 1)
            if self.started
            else None,
            "report": self.report.model_dump(mode="json") if self.report else None,
            "error": self.error,
        }


@dataclass
class KnowledgeUpdates:
    """One index rebuild at a time, off the request path."""

    settings: Settings
    db: Database
    build: Callable[..., BuildReport]  # ingest.build.build_index with the embedder bound
    reopen: Callable[[], Copilot]  # the pipeline over the new build (same embedder)
    on_swap: Callable[[Copilot], None]  # hands it to the app
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _status: RebuildStatus = field(default_factory=RebuildStatus, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def status(self) -> RebuildStatus:
        return self._status

    def start(self, name: str, data: bytes, user: User) -> None:
        """Begin a rebuild with this file; a second upload while one runs is refused (409)."""
        if not self._lock.acquire(blocking=False):
            running = self._status.file or "另一个文件"
            raise DeskError(f"知识库正在重建（{running}），请等这次重建完成后再上传。", status=409)
        self._status = RebuildStatus(
            state="running", file=name, stage="saving", started=time.time()
        )
        self._thread = threading.Thread(
            target=self._run, args=(name, data, user.id), name="kb-rebuild", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> RebuildStatus:
        """Block until the running build ends (CLI and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._status

    def _progress(self, items: Iterable, total: int, stage: str) -> Iterable:
        status = self._status
        status.stage, status.done, status.total = stage, 0, total
        for item in items:
            yield item
            status.done += 1

    def _run(self, name: str, data: bytes, user_id: int) -> None:
        status = self._status
        try:
            report, rejected = self._save_and_build(name, data)
            status.report = report
            if rejected:
                status.state, status.error = "failed", "；".join(rejected)
            else:
                status.state = "done"
            with self.db.session() as s:
                user = s.get(User, user_id)
                audit(
                    s, user, "kb.upload", "document", name, build=report.build_id, rejected=rejected
                )
        except CopilotError as exc:
            status.state, status.error = "failed", str(exc)
        except Exception as exc:  # the page must learn that it ended, whatever happened
            log.exception("knowledge rebuild failed")
            status.state, status.error = "failed", f"重建出错：{type(exc).__name__}: {exc}"
        finally:
            status.finished = time.time()
            self._lock.release()

    def _save_and_build(self, name: str, data: bytes) -> tuple[BuildReport, list[str]]:
        """Save the upload, rebuild, swap. A file the build rejects is removed again (or the
        previous version restored) so the uploads folder stays usable."""
        uploads = self.settings.uploads_dir
        uploads.mkdir(parents=True, exist_ok=True)
        target = uploads / Path(name).name
        previous = target.read_bytes() if target.exists() else None
        tmp = uploads / f".{target.name}.part"
        tmp.write_bytes(data)
        tmp.replace(target)

        def undo() -> None:
            if previous is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(previous)

        try:
            report = self.build(settings=self.settings, progress=self._progress)
        except BaseException:
            undo()
            raise
        rejected = [p.message for p in report.skipped if p.path.endswith(target.name)]
        if rejected:
            undo()
        self.on_swap(self.reopen())
        return report, rejected
