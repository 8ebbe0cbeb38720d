"""Prompt and reply templates: Jinja2 files in prompts/ with YAML front matter (task, version,
declared variables), rendered in a sandbox with StrictUndefined. Customer and retrieved text
only ever enter as variables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from jinja2 import StrictUndefined, meta
from jinja2.sandbox import SandboxedEnvironment

from copilot.errors import KnowledgeError

# The templates ship inside the package (the project's prompts/ folder, mapped to this package
# name in pyproject.toml); loaded through importlib.resources so a wheel works from any folder.
PROMPTS_PACKAGE = "copilot.prompt_templates"


def prompts_dir() -> Path:
    return Path(str(resources.files(PROMPTS_PACKAGE)))


_FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_ENV = SandboxedEnvironment(
    undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True
)


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    task: str
    version: int
    variables: tuple[str, ...]
    path: Path
    source: str

    def render(self, **values) -> str:
        missing = set(self.variables) - values.keys()
        extra = values.keys() - set(self.variables)
        if missing or extra:
            raise KnowledgeError(
                f"template `{self.name}` called with missing {sorted(missing)} / "
                f"undeclared {sorted(extra)} variables",
                path=self.path,
                fix="pass exactly the variables declared in the front matter",
            )
        return _compiled(self.source).render(**values).strip()


@lru_cache(maxsize=64)
def _compiled(source: str):
    return _ENV.from_string(source)


@lru_cache(maxsize=64)
def load_prompt(name: str, folder: Path | None = None) -> PromptTemplate:
    """A template by name from `folder` (default: the packaged prompts)."""
    path = (folder or prompts_dir()) / f"{name}.j2"
    if not path.exists():
        raise KnowledgeError(f"no template named `{name}`", path=path, fix="add the .j2 file")
    text = path.read_text(encoding="utf-8")
    match = _FRONT.match(text)
    if not match:
        raise KnowledgeError("template has no front matter", path=path, line=1)
    head = yaml.safe_load(match.group(1)) or {}
    source = text[match.end() :]
    declared = tuple(head.get("variables") or ())
    used = meta.find_undeclared_variables(_ENV.parse(source))
    if set(declared) != used:
        raise KnowledgeError(
            f"declared variables {sorted(declared)} differ from the ones used {sorted(used)}",
            path=path,
            field="variables",
            fix="declare every variable the template uses, and only those",
        )
    return PromptTemplate(
        name=name,
        task=str(head.get("task", name)),
        version=int(head.get("version", 1)),
        variables=declared,
        path=path,
        source=source,
    )
