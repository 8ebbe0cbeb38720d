"""Section-aware chunking with stable content-hash ids."""

from __future__ import annotations

import hashlib
import re

from copilot.schemas import Chunk, Document

MAX_CHARS = 600
_SENTENCE_END = re.compile(r"(?<=[。！？；\n])")


def chunk_id(doc_id: str, section: str, ordinal: int, text: str, revision: str | None) -> str:
    """Stable id: the same document, section, position, indexed text and revision give the
    same id (`text` is what the indexes see, so a changed title or brand re-embeds)."""
    payload = "\x1f".join([doc_id, section, str(ordinal), revision or "", text])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


def _pieces(text: str, limit: int) -> list[str]:
    if len(text) <= limit:
        return [text]
    pieces, current = [], ""
    for paragraph in text.split("\n"):
        for sentence in _SENTENCE_END.split(paragraph):
            if not sentence:
                continue
            if current and len(current) + len(sentence) + 1 > limit:
                pieces.append(current.strip())
                current = ""
            current += sentence
        current += "\n"
    if current.strip():
        pieces.append(current.strip())
    return pieces


def chunk_document(document: Document, *, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """One chunk per section; long sections split at sentence ends into numbered pieces."""
    chunks: list[Chunk] = []
    category = document.label.category if document.label else None
    brands = list(document.label.brand_names) if document.label else []
    for section in document.sections:
        for ordinal, piece in enumerate(_pieces(section.text, max_chars)):
            chunk = Chunk(
                id="pending",
                doc_id=document.doc_id,
                kind=document.kind,
                title=document.title,
                section=section.heading,
                text=piece,
                source_file=document.source_file,
                revision=document.revision,
                ordinal=ordinal,
                category=category,
                brands=brands,
            )
            chunk.id = chunk_id(
                document.doc_id, section.heading, ordinal, search_text(chunk), document.revision
            )
            chunks.append(chunk)
    return chunks


def search_text(chunk: Chunk) -> str:
    """What the BM25 and dense indexes see: the title and section give the chunk its context."""
    brands = f"（{'、'.join(chunk.brands)}）" if chunk.brands else ""
    return f"{chunk.title}{brands}｜{chunk.section}\n{chunk.text}"
