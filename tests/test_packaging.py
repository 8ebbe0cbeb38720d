"""The wheel ships what an installed copy needs (templates, static files, prompts, migrations),
and imports keep the direction of the layout: stages below, front doors on top."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "copilot"


def _imports(path: Path) -> set[str]:
    """Every `copilot…` module a file imports (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("copilot")}
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").startswith("copilot")
        ):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _module(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


# Which stage may import which. A stage always may import itself and the shared base
# (settings, errors, schemas). `safety` may use drug linking (the shared drug vocabulary) but no
# other part of retrieval; `web` reaches the core only through the pipeline, the desk and wiring.
BASE = {"settings", "errors", "schemas", "__version__", ""}
ALLOWED = {
    "ingest": BASE | {"retrieval.embeddings", "retrieval.vectorstore", "retrieval.tokenize"},
    "retrieval": BASE | {"ingest"},
    "safety": BASE | {"ingest", "retrieval.linking", "drafting.prompts"},
    "drafting": BASE
    | {
        "ingest.lexicon",
        "ingest.yamlfile",
        "ingest.vector_cache",
        "safety.quantities",
        "safety.masking",
        "safety.dose_tables",
    },
    "pipeline": BASE | {"retrieval", "safety", "drafting"},
    "wiring": BASE | {"ingest", "retrieval", "safety", "pipeline"},
    # the desk reads the pharmacy's data files (product master, ADR rules) and masks personal
    # data in what it copies into an ADR report; the ADR rules (what counts as a suspected
    # reaction, deadlines) and the numeral reader (the chat's 三天前, 十五号) are the safety layer's
    "desk": BASE
    | {"pipeline", "wiring", "ingest.documents", "ingest.products", "ingest.yamlfile"}
    | {"safety.masking", "safety.adr_rules", "safety.quantities"},
    # the web masks personal data in error bodies and log lines with the one masking function
    "web": BASE | {"pipeline", "desk", "wiring", "web", "safety.masking"},
    "evals": BASE | {"pipeline", "wiring", "retrieval", "safety", "drafting", "ingest"},
    "bench": BASE | {"pipeline", "wiring", "ingest", "retrieval", "evals", "desk"},
    "cli": BASE
    | {"pipeline", "wiring", "ingest", "retrieval", "safety", "evals", "bench", "desk", "web"},
}


def _allowed(importer: str, imported: str) -> bool:
    src, dst = _stage(importer), _stage(imported)
    if src == dst and src not in ("pipeline", "wiring"):
        return True
    rest = imported.split(".", 1)[1] if "." in imported else ""
    if dst in ("web", "cli") and src not in ("web", "cli"):
        return False
    rules = ALLOWED.get(src, BASE)
    return any(rest == r or rest.startswith(r + ".") for r in rules) or dst in BASE


def import_violations(root: Path = PACKAGE) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        importer = _module(path, root)
        for imported in sorted(_imports(path)):
            if not _allowed(importer, imported):
                out.append(f"{importer} imports {imported}")
    return out


def test_imports_follow_the_layout():
    assert import_violations() == []


def test_the_import_rule_catches_a_wrong_import(tmp_path):
    """A copy of the package with one forbidden import (safety → web) is refused."""
    import shutil

    copy = tmp_path / "copilot"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    gate = copy / "safety" / "gate.py"
    gate.write_text("from copilot.web.app import create_app\n" + gate.read_text("utf-8"), "utf-8")
    bad = import_violations(copy)
    assert any("safety.gate imports copilot.web" in v for v in bad), bad


@pytest.mark.slow
def test_wheel_contains_templates_static_prompts_and_every_module(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("pharmacy_copilot-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "copilot/web/templates/console.html",
        "copilot/web/static/app.js",
        "copilot/evals/templates/eval_report.html.j2",
        "copilot/prompt_templates/holding_emergency.j2",
        "copilot/prompt_templates/draft_reply.j2",
        "copilot/desk/migrations/env.py",
        "copilot/desk/migrations/versions/0001_initial_schema.py",
    ):
        assert expected in names, expected
    modules = {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")}
    missing = sorted(m for m in modules if m not in names)
    assert missing == [], f"not in the wheel (add the package to pyproject.toml): {missing}"
