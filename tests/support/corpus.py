"""The shared real-world sample corpus: present in CI, optional on a developer machine."""

from __future__ import annotations

import os
from pathlib import Path


def corpus_dir() -> Path:
    shared = os.environ.get("ECASE_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).resolve().parents[3] / "shared"
    return base / "corpora" / "pdf-samples"


def corpus_files() -> list[Path]:
    root = corpus_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != "files.json")
