"""One root exception. Messages say what was wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path


class CopilotError(Exception):
    """Root of every error the copilot raises on purpose. `status` is the HTTP status the web
    service answers with (one handler maps every subclass)."""

    status: int = 500


class ConfigError(CopilotError):
    """A setting is missing, malformed or unsafe."""

    status = 503


class AuthError(CopilotError):
    """Wrong credentials, a password the policy refuses, or an account action not allowed.
    `status` is the HTTP status to answer with (400 unless the caller says otherwise)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class OneTimePasswordExpired(AuthError):
    """The right one-time password, but issued longer ago than
    `server.one_time_password_hours`: it no longer logs in or calls the API; an admin issues a
    fresh one (the 用户管理 page or `copilot users reset-password`). Raised only once the
    password itself has been checked, so it tells nothing to someone guessing usernames."""

    MESSAGE = (
        "临时密码已过期，请联系管理员重置密码"
        "（the one-time password has expired: ask an admin to reset it）"
    )

    def __init__(self) -> None:
        super().__init__(self.MESSAGE, status=403)


class KnowledgeError(CopilotError):
    """A knowledge file cannot be used. Carries the file, the line or field, and the fix."""

    status = 422

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

    status = 503


class ProviderError(CopilotError):
    """An embedder, vector store or LLM provider could not be used."""

    status = 503


def knowledge_error_from_validation(
    exc,
    *,
    path: Path | str,
    what: str,
    line: int | None = None,
    fix: str | None = None,
) -> KnowledgeError:
    """A pydantic `ValidationError` on one knowledge record → a `KnowledgeError` naming the
    file, the record (`what`), the first bad field and the fix. The one place this is done."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    if first["type"] == "missing":
        problem = f"{what}: required field `{loc}` is missing"
        default_fix = f"add `{loc}:` (see knowledge/README.md)"
    else:
        problem = f"{what}: field `{loc}` is invalid: {first['msg']}"
        default_fix = "correct the value (see knowledge/README.md for the allowed values)"
    return KnowledgeError(problem, path=path, line=line, field=loc or None, fix=fix or default_fix)
