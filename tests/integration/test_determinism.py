"""Determinism: two builds from the same inputs publish the same results, tables and notebook outputs (apart from
timestamps and durations). That the synthetic generator writes byte-identical files for a seed is in
tests/unit/test_synth.py."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from run_files import results_less_code_version

from ivanalysis.pipeline.build import build_all
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

AGAIN = ["ENG", "LON"]  # the second build repeats these geographies of the session's small book, every scheme


def _outputs(path: Path) -> list:
    """A notebook's cells without their metadata (papermill's start and end times, durations, kernel timings)."""
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.source, c.get("execution_count"),
             [{k: v for k, v in o.items() if k != "metadata"} for o in c.get("outputs", [])]) for c in nb.cells]


def test_two_builds_from_the_same_inputs_publish_the_same_results(small_book, tiny_data, tmp_path, monkeypatch):
    second = tmp_path / "_build"
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(second))
    build_all(None, AGAIN, jobs=2, data_dir=tiny_data, book_too=False, force=True)
    compared = 0
    for info in registry.implemented():
        for geo in AGAIN:
            a, b = small_book / "runs" / info.id / geo, second / "runs" / info.id / geo
            assert results_less_code_version(a) == results_less_code_version(b), f"{info.id} {geo}"
            if json.loads((a / "results.json").read_text())["status"] != "ok":
                continue  # a run with no rows for this hub fails the same way both times (compared above)
            tables = sorted(p.name for p in a.glob(f"{info.id}_{geo}_*"))  # CSV and Parquet (report/table_data.py)
            assert tables and tables == sorted(p.name for p in b.glob(f"{info.id}_{geo}_*"))
            for name in tables:
                assert (a / name).read_bytes() == (b / name).read_bytes(), f"{info.id} {name}"
            assert _outputs(a / f"{geo}.ipynb") == _outputs(b / f"{geo}.ipynb"), f"{info.id} {geo} notebook"
            compared += 1
    assert compared >= len(registry.implemented()) * len(AGAIN) - 3
