"""Warm kernels give exactly what a cold, separate kernel gives; a failure never leaves a kernel behind for reuse."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from run_files import results_less_code_version

from ivanalysis.pipeline import warm
from ivanalysis.pipeline.execute import InlineExecutor, execute_all, notebook_file
from ivanalysis.pipeline.plan import plan

pytestmark = pytest.mark.integration

# runs of the session's small book (tests/conftest.py)
SAMPLE = (["immunoglobulin_itp", "critical_care_delayed_discharge", "prostate_fractionation"], ["ENG", "LON", "SW"])


def _outputs(path: Path) -> list:
    """What a reader sees of each code cell: its outputs and execution count (timings and sources left out)."""
    nb = nbformat.read(path, as_version=4)
    return [(c.execution_count, c.outputs) for c in nb.cells if c.cell_type == "code" and
            "injected-parameters" not in c.metadata.get("tags", [])]


def test_warm_runs_equal_cold_runs(monkeypatch, tmp_path, tiny_data, small_book):
    """The session's small book was built by warm kernels (two processes, each running forty notebooks in turn, of
    every scheme); these runs of it, each in a new kernel of its own, give the same results and outputs."""
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path / "cold" / "_build"))
    specs = plan(*SAMPLE, data_dir=tiny_data)
    outcomes = execute_all(specs, InlineExecutor, force=True, warm=False)
    assert all(o.status == "ok" for o in outcomes), [o.error for o in outcomes if not o.ok]
    for s in specs:
        warm_run = small_book / "runs" / s.scheme / s.geography
        assert results_less_code_version(warm_run) == results_less_code_version(s.run_dir), \
            f"{s.label}: results.json differs"
        assert _outputs(warm_run / notebook_file(s)) == _outputs(s.run_dir / notebook_file(s)), \
            f"{s.label}: notebook outputs differ"


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
