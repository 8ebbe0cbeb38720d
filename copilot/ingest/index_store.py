"""On-disk layout of knowledge-index builds and the atomic swap between them.

COPILOT_HOME/index/
    CURRENT                  the id of the build in use (replaced atomically)
    builds/<build id>/
        manifest.json        embedder, fingerprint, counts
        documents.jsonl      loaded documents (metadata and sections)
        chunks.jsonl         chunks with their BM25 tokens
        chroma/              embedded Chroma (absent when a Chroma server is used)
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from secrets import token_hex

from pydantic import BaseModel

CURRENT = "CURRENT"


class Manifest(BaseModel):
    build_id: str
    created: str
    embedder: str
    fingerprint: str
    collection: str
    chroma_url: str | None = None
    documents: int
    chunks: int
    problems: int = 0


def new_build_id() -> str:
    """A build id that sorts by time: microseconds included, so builds made within one second
    (tests, a quick rebuild) still sort in the order they were made (pruning keeps the newest)."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f") + "-" + token_hex(3)


def builds_dir(index_dir: Path) -> Path:
    return index_dir / "builds"


def current_build(index_dir: Path) -> str | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    build_id = pointer.read_text(encoding="utf-8").strip()
    if not build_id or not (builds_dir(index_dir) / build_id / "manifest.json").exists():
        return None
    return build_id


def read_manifest(index_dir: Path, build_id: str) -> Manifest:
    path = builds_dir(index_dir) / build_id / "manifest.json"
    return Manifest.model_validate_json(path.read_text(encoding="utf-8"))


def write_json_atomic(path: Path, data: dict | list) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def swap_current(index_dir: Path, build_id: str) -> None:
    """Point CURRENT at `build_id` in one atomic rename."""
    tmp = index_dir / (CURRENT + ".tmp")
    tmp.write_text(build_id + "\n", encoding="utf-8")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / CURRENT)


def prune_builds(index_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` builds; never the current one. Returns removed ids."""
    current = current_build(index_dir)
    folder = builds_dir(index_dir)
    if not folder.exists():
        return []
    ids = sorted((p.name for p in folder.iterdir() if p.is_dir()), reverse=True)
    keepers = set(ids[:keep]) | ({current} if current else set())
    removed = []
    for build_id in ids:
        if build_id not in keepers:
            shutil.rmtree(folder / build_id, ignore_errors=True)
            removed.append(build_id)
    return removed
