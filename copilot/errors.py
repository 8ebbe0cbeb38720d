"""One root exception. Messages say what was wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path


class CopilotError(Exception):
    """Root of every error the copilot raises on purpose."""


class ConfigError(CopilotError):
    """A setting is missing, malformed or unsafe."""


class KnowledgeError(CopilotError):
    """A knowledge file cannot be used. Carries the file, the line or field, and the fix."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self.describe())

    def describe(self) -> str:
        where = self.path or "<unknown file>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" (field `{self.field}`)"
        text = f"{where}: {self.problem}"
        if self.fix:
            text += f" — {self.fix}"
        return text


class IndexBuildError(CopilotError):
    """A knowledge-index build failed; the previous index is untouched."""


class IndexMissingError(CopilotError):
    """No knowledge index has been built yet under this COPILOT_HOME."""


class ProviderError(CopilotError):
    """An embedder, vector store or LLM provider could not be used."""
