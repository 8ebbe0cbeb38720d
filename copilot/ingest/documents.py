"""Loading knowledge files: Markdown with front matter, plain text, HTML, PDF and DOCX.

Each loader returns a `Document` or raises `KnowledgeError` naming the file, the line or field,
and what to do about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import yaml
from pydantic import ValidationError

from copilot.errors import KnowledgeError, knowledge_error_from_validation
from copilot.ingest.sections import (
    LABEL_SECTIONS,
    REQUIRED_LABEL_SECTIONS,
    canonical_section,
    split_heading_line,
)
from copilot.schemas import Document, FileProblem, LabelMeta, PolicyMeta, Section

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)
_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file; a non-UTF-8 file gets an error with the line of the bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise KnowledgeError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
            fix="save the file as UTF-8, e.g. `iconv -f GBK -t UTF-8 in.txt > out.txt`",
        ) from None


def _slug(path: Path) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-")
    if stem:
        return stem
    import hashlib

    return "doc-" + hashlib.sha1(path.name.encode()).hexdigest()[:10]


def _field_line(front_matter: str, field_name: str) -> int | None:
    for number, text in enumerate(front_matter.splitlines(), start=2):
        if re.match(rf"^\s*-?\s*{re.escape(field_name)}\s*:", text):
            return number
    return None


def _parse_front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise KnowledgeError(
            "no YAML front matter",
            path=path,
            line=1,
            fix="start the file with a `---` line, the front matter fields, and another `---`",
        )
    raw = match.group(1)
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise KnowledgeError(
            f"malformed front matter: {problem}",
            path=path,
            line=line,
            fix="fix the YAML syntax (indentation, a missing colon, an unclosed bracket or quote)",
        ) from None
    if not isinstance(data, dict):
        raise KnowledgeError(
            "front matter is not a mapping of fields",
            path=path,
            line=2,
            fix="write the front matter as `field: value` lines",
        )
    body_start_line = raw.count("\n") + 4
    return data, text[match.end() :], body_start_line


def _validation_error(path: Path, raw: str, exc: ValidationError, what: str) -> KnowledgeError:
    loc = exc.errors()[0]["loc"]
    top = str(loc[0]) if loc else ""
    return knowledge_error_from_validation(
        exc, path=path, what=what, line=_field_line(raw, top) if top else None
    )


def _markdown_sections(body: str, first_line: int) -> tuple[str | None, list[Section]]:
    """Split a Markdown body at `##` headings. Returns (title from `#`, sections)."""
    title = None
    sections: list[Section] = []
    heading, start, lines = None, first_line, []

    def flush() -> None:
        text = "\n".join(lines).strip()
        if heading is not None:
            sections.append(Section(heading=heading, text=text, line=start))

    for number, line in enumerate(body.splitlines(), start=first_line):
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1 and title is None and heading is None:
            title = match.group(2)
            continue
        if match and len(match.group(1)) == 2:
            flush()
            heading, start, lines = match.group(2).strip(), number, []
            continue
        if heading is not None:
            lines.append(line)
    flush()
    return title, sections


def load_label(path: Path, text: str) -> Document:
    data, body, body_line = _parse_front_matter(path, text)
    raw = _FRONT_MATTER.match(text).group(1)
    try:
        meta = LabelMeta.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc, "label front matter") from None
    if meta.never_online and not meta.never_online_reason:
        raise KnowledgeError(
            "never_online is true but no reason is given",
            path=path,
            line=_field_line(raw, "never_online"),
            field="never_online_reason",
            fix="add `never_online_reason:` (the prohibited-list entry or the platform policy)",
        )
    _, sections = _markdown_sections(body, body_line)
    for section in sections:
        if section.heading not in LABEL_SECTIONS:
            suggestion = canonical_section(section.heading)
            fix = (
                f"rename it to `## {suggestion}`"
                if suggestion
                else "use one of: " + "、".join(LABEL_SECTIONS)
            )
            raise KnowledgeError(
                f"unknown section heading `## {section.heading}`",
                path=path,
                line=section.line,
                fix=fix,
            )
    present = {s.heading for s in sections}
    missing = [s for s in REQUIRED_LABEL_SECTIONS if s not in present]
    if not present & {"适应症", "功能主治"}:
        missing.append("适应症 or 功能主治")
    if missing:
        raise KnowledgeError(
            "required label sections missing: " + "、".join(missing),
            path=path,
            fix="add a `## <heading>` section for each",
        )
    return Document(
        doc_id=meta.id,
        kind="label",
        title=meta.generic_name,
        source_file=str(path),
        revision=meta.revision.isoformat(),
        label=meta,
        sections=[s for s in sections if s.text],
    )


def load_policy(path: Path, text: str) -> Document:
    data, body, body_line = _parse_front_matter(path, text)
    raw = _FRONT_MATTER.match(text).group(1)
    try:
        meta = PolicyMeta.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, raw, exc, "policy front matter") from None
    _, sections = _markdown_sections(body, body_line)
    if not sections:
        raise KnowledgeError(
            "policy has no `##` sections", path=path, fix="split the policy into `## ` sections"
        )
    return Document(
        doc_id=meta.id,
        kind="policy",
        title=meta.title,
        source_file=str(path),
        revision=meta.revision.isoformat(),
        policy=meta,
        sections=[s for s in sections if s.text],
    )


def _plain_document(path: Path, lines: Iterable[str], headings: set[int] | None = None) -> Document:
    """Split unstructured label text at recognised headings (【用法用量】, 用法用量：, styled)."""
    title = None
    sections: list[Section] = []
    heading, start, buf = "正文", 1, []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        generic = re.match(r"^\s*通用名称\s*[:：]\s*(.+)$", stripped)
        if generic and title is None:
            title = generic.group(1).strip()
        found = split_heading_line(stripped)
        if found is None and headings and number in headings:
            found = (stripped.strip("#【】 "), "")
        if found:
            if buf:
                sections.append(Section(heading=heading, text="\n".join(buf), line=start))
            heading, start = found
            heading, start, buf = found[0], number, ([found[1]] if found[1] else [])
            continue
        if title is None and heading == "正文" and not buf:
            title = stripped[:40]
        buf.append(stripped)
    if buf:
        sections.append(Section(heading=heading, text="\n".join(buf), line=start))
    if not sections:
        raise KnowledgeError(
            "no text found", path=path, fix="check the file is not empty or a scanned image"
        )
    return Document(
        doc_id=_slug(path),
        kind="document",
        title=title or path.stem,
        source_file=str(path),
        sections=[s for s in sections if s.heading not in ("药品名称",) or s.text],
    )


class _HTMLText(HTMLParser):
    BLOCKS = frozenset({"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.heading_lines: set[int] = set()
        self._buf: list[str] = []
        self._skip = 0
        self._in_heading = False

    def _flush(self) -> None:
        text = "".join(self._buf).strip()
        self._buf = []
        if text:
            self.lines.append(text)
            if self._in_heading:
                self.heading_lines.add(len(self.lines))

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("h1", "h2", "h3", "h4"):
            self._flush()
            self._in_heading = True
        elif tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("h1", "h2", "h3", "h4"):
            self._flush()
            self._in_heading = False
        elif tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)


def load_html(path: Path) -> Document:
    parser = _HTMLText()
    parser.feed(read_text(path))
    parser.close()
    parser._flush()
    # h1 gives the title; h2-h4 headings that are label sections split the text.
    return _plain_document(path, parser.lines)


def load_pdf(path: Path) -> Document:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise KnowledgeError(
                "the PDF is encrypted (password protected)",
                path=path,
                fix="export an unencrypted copy of the label and ingest that",
            )
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except KnowledgeError:
        raise
    except (PdfReadError, ValueError, OSError, KeyError) as exc:
        raise KnowledgeError(
            f"unreadable PDF ({type(exc).__name__}: {exc})",
            path=path,
            fix="re-export the PDF from its source or convert the label to DOCX or text",
        ) from None
    except Exception as exc:  # pypdf raises assorted errors on damaged files
        if "decrypt" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise KnowledgeError(
                "the PDF is encrypted (password protected)",
                path=path,
                fix="export an unencrypted copy of the label and ingest that",
            ) from None
        raise KnowledgeError(
            f"unreadable PDF ({type(exc).__name__}: {exc})",
            path=path,
            fix="re-export the PDF from its source or convert the label to DOCX or text",
        ) from None
    if not text.strip():
        raise KnowledgeError(
            "the PDF has no extractable text (a scanned image?)",
            path=path,
            fix="run OCR on it or supply the label as text, DOCX or Markdown",
        )
    return _plain_document(path, text.splitlines())


def load_docx(path: Path) -> Document:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, PackageNotFoundError) as exc:
        raise KnowledgeError(
            f"unreadable DOCX ({type(exc).__name__})",
            path=path,
            fix="open and re-save it in Word or LibreOffice as .docx (not .doc)",
        ) from None
    lines: list[str] = []
    headings: set[int] = set()
    for paragraph in document.paragraphs:
        if not paragraph.text.strip():
            continue
        lines.append(paragraph.text)
        style = (paragraph.style.name or "") if paragraph.style is not None else ""
        if style.lower().startswith(("heading", "title")) or style.startswith("标题"):
            headings.add(len(lines))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" | ".join(dict.fromkeys(cells)))
    return _plain_document(path, lines, headings)


def load_markdown(path: Path) -> Document:
    text = read_text(path)
    kind = path.parent.name
    if kind == "labels" or re.search(r"^generic_name\s*:", text[:2000], re.M):
        return load_label(path, text)
    if kind == "policies" or re.search(r"^kind\s*:\s*policy", text[:2000], re.M):
        return load_policy(path, text)
    title, sections = _markdown_sections(text, 1)
    if not sections:
        return _plain_document(path, text.splitlines())
    return Document(
        doc_id=_slug(path),
        kind="document",
        title=title or path.stem,
        source_file=str(path),
        sections=[s for s in sections if s.text],
    )


def load_file(path: Path) -> Document:
    """Load one knowledge file by its suffix."""
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return load_markdown(path)
    if suffix == ".txt":
        return _plain_document(path, read_text(path).splitlines())
    if suffix in (".html", ".htm"):
        return load_html(path)
    if suffix == ".pdf":
        return load_pdf(path)
    if suffix == ".docx":
        return load_docx(path)
    raise KnowledgeError(
        f"unsupported file type `{suffix}`",
        path=path,
        fix="supply labels as " + ", ".join(SUPPORTED_SUFFIXES),
    )


@dataclass
class Corpus:
    documents: list[Document] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)


def discover(knowledge_dir: Path, extra: Iterable[Path] = ()) -> list[Path]:
    """Files to ingest: knowledge/labels, knowledge/policies, and every supported file in extras."""
    files: list[Path] = []
    for sub in ("labels", "policies"):
        folder = knowledge_dir / sub
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
    for source in extra:
        if source.is_file():
            files.append(source)
        elif source.is_dir():
            files += sorted(p for p in source.rglob("*") if p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            raise KnowledgeError(
                "source folder does not exist", path=source, fix="check the --source path"
            )
    return [p for p in files if p.name.lower() != "readme.md"]


def load_corpus(files: Iterable[Path], *, strict: bool) -> Corpus:
    """Load every file. Bad files are reported (and skipped) or, with `strict`, raised."""
    corpus = Corpus()
    seen: dict[str, str] = {}
    for path in files:
        try:
            document = load_file(path)
            if document.doc_id in seen:
                raise KnowledgeError(
                    f"duplicate document id `{document.doc_id}` (also in {seen[document.doc_id]})",
                    path=path,
                    field="id",
                    fix="give each label and policy a unique id",
                )
        except KnowledgeError as exc:
            if strict:
                raise
            corpus.problems.append(FileProblem(path=str(path), message=exc.describe()))
            continue
        seen[document.doc_id] = str(path)
        corpus.documents.append(document)
    return corpus
