"""Warm kernels give exactly what a cold, separate kernel gives; a failure never leaves a kernel behind for reuse."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from ivanalysis.pipeline import warm
from ivanalysis.pipeline.execute import InlineExecutor, execute_all, notebook_file
from ivanalysis.pipeline.plan import plan

pytestmark = pytest.mark.integration

SAMPLE = (["immunoglobulin_itp", "critical_care_delayed_discharge", "prostate_fractionation"], ["ENG", "LON", "SW"])


def _outputs(path: Path) -> list:
    """What a reader sees of each code cell: its outputs and execution count (timings and sources left out)."""
    nb = nbformat.read(path, as_version=4)
    return [(c.execution_count, c.outputs) for c in nb.cells if c.cell_type == "code" and
            "injected-parameters" not in c.metadata.get("tags", [])]


def _run_all(monkeypatch, build: Path, data: Path, warm_kernel: bool) -> dict:
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(build))
    specs = plan(*SAMPLE, data_dir=data)
    outcomes = execute_all(specs, InlineExecutor, force=True, warm=warm_kernel)
    assert all(o.status == "ok" for o in outcomes), [o.error for o in outcomes if not o.ok]
    return {s.label: (json.loads((s.run_dir / "results.json").read_text()), _outputs(s.run_dir / notebook_file(s)))
            for s in specs}


def test_warm_runs_equal_cold_runs(monkeypatch, tmp_path, tiny_data):
    cold = _run_all(monkeypatch, tmp_path / "cold" / "_build", tiny_data, warm_kernel=False)
    warm.discard()
    warm_results = _run_all(monkeypatch, tmp_path / "warm" / "_build", tiny_data, warm_kernel=True)
    assert warm._Kernel.km is not None  # the runs did share a kept kernel
    assert warm_results.keys() == cold.keys()
    for label in cold:
        assert warm_results[label][0] == cold[label][0], f"{label}: results.json differs"
        assert warm_results[label][1] == cold[label][1], f"{label}: notebook outputs differ"


def test_a_failed_run_discards_the_kernel_and_the_next_run_is_clean(monkeypatch, build_dir, tiny_data, tmp_path):
    specs = plan(["prostate_fractionation"], ["LON"], data_dir=tiny_data)
    assert execute_all(specs, InlineExecutor, force=True)[0].status == "ok"
    kept = warm._Kernel.km
    assert kept is not None

    empty = tmp_path / "empty"
    empty.mkdir()
    broken = plan(["prostate_fractionation"], ["LON"], data_dir=empty)  # no table: the run fails in a cell
    assert execute_all(broken, InlineExecutor, force=True)[0].status == "failed"
    assert warm._Kernel.km is None  # discarded, never reused

    again = execute_all(specs, InlineExecutor, force=True)
    assert again[0].status == "ok" and warm._Kernel.km is not kept
