"""Reading the knowledge folder's YAML files with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import yaml

from copilot.errors import KnowledgeError


def read_yaml(path: Path):
    """Parsed YAML; a missing file or a syntax error raises KnowledgeError with the line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError("file is missing", path=path, fix="restore it from git") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise KnowledgeError(
            f"malformed YAML: {getattr(exc, 'problem', exc)}",
            path=path,
            line=mark.line + 1 if mark else None,
            fix="fix the YAML syntax",
        ) from None
