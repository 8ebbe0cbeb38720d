"""Generator of a large synthetic label corpus for the scale benchmark.

Each generated label is a real sample label with a new product id and name ("布洛芬缓释胶囊"
becomes "布洛芬缓释胶囊（仿3817）") and lightly shuffled sentences, so the corpus has realistic
length, vocabulary and section structure. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import yaml

from copilot.ingest.documents import _FRONT_MATTER, read_text

_SENT = re.compile(r"(?<=[。；])")


def generate_corpus(knowledge_dir: Path, out_dir: Path, n_labels: int, seed: int = 7) -> Path:
    """Write `n_labels` labels under out_dir/labels (plus the real policies and lexicons)."""
    marker = out_dir / f".complete-{n_labels}-{seed}"
    if marker.exists():
        return out_dir
    shutil.rmtree(out_dir, ignore_errors=True)
    (out_dir / "labels").mkdir(parents=True)
    shutil.copytree(knowledge_dir / "policies", out_dir / "policies")
    shutil.copytree(knowledge_dir / "lexicon", out_dir / "lexicon")
    templates = []
    for path in sorted((knowledge_dir / "labels").glob("*.md")):
        text = read_text(path)
        match = _FRONT_MATTER.match(text)
        templates.append((yaml.safe_load(match.group(1)), text[match.end() :]))
    rng = random.Random(seed)
    for n in range(n_labels):
        meta, body = templates[n % len(templates)]
        meta = dict(meta)
        tag = f"仿{n:05d}"
        old_name = meta["generic_name"]
        meta["id"] = f"gen-{n:05d}-{meta['id']}"[:80]
        meta["generic_name"] = f"{old_name}（{tag}）"
        meta["brand_names"] = [f"{b}{tag}" for b in meta.get("brand_names", [])][:1]
        meta["aliases"] = []
        lines = []
        for line in body.replace(old_name, meta["generic_name"]).splitlines():
            parts = [p for p in _SENT.split(line) if p]
            if len(parts) > 2 and not line.startswith("#"):
                head, tail = parts[0], parts[1:]
                rng.shuffle(tail)
                line = head + "".join(tail)
            lines.append(line)
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        (out_dir / "labels" / f"{meta['id']}.md").write_text(
            f"---\n{front}---\n" + "\n".join(lines) + "\n", encoding="utf-8"
        )
    marker.write_text("ok\n")
    return out_dir
