"""A run's cache key hashes the package source its run executes: editing one scheme changes that scheme's keys and no
other's; editing what only builds the book around the runs (pipeline/book.py) changes none."""
from __future__ import annotations

from pathlib import Path

import pytest

from ivanalysis.data.schemas import TABLES
from ivanalysis.paths import ROOT
from ivanalysis.pipeline import plan
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

SCHEMES = [s.id for s in registry.implemented()]


@pytest.fixture
def keys(tmp_path, monkeypatch):
    """keys(edited=None) -> {run label: cache key} for every scheme for England and London, as if the package file
    `edited` (relative to the project) had one more comment line. Input files are stand-ins (their hashes are
    their names): only the package source varies."""
    data = tmp_path / "data"
    data.mkdir()
    for name in TABLES:
        (data / f"{name}.parquet").touch()
    specs = plan.plan(SCHEMES, ["ENG", "LON"], data_dir=data)
    real = plan._source_digest

    def compute(edited: str | None = None) -> dict[str, str]:
        def source_digest(path: Path) -> str:
            digest = real(path)
            return digest + "# a comment\n" if path == ROOT / edited else digest

        monkeypatch.setattr(plan, "_source_digest", source_digest if edited else real)
        plan.code_digest.cache_clear()
        try:
            return {s.label: plan.cache_key(s, hasher=lambda path: path.name) for s in specs}
        finally:
            plan.code_digest.cache_clear()

    return compute


def test_editing_one_scheme_changes_only_that_schemes_keys(keys):
    before = keys()
    edited = keys("ivanalysis/schemes/prostate_fractionation.py")
    changed = sorted(label for label in before if edited[label] != before[label])
    assert changed == ["prostate_fractionation/ENG", "prostate_fractionation/LON"]


def test_editing_the_book_builder_changes_no_key(keys):
    assert (ROOT / "ivanalysis/pipeline/book.py").exists()
    assert keys("ivanalysis/pipeline/book.py") == keys()
