"""Faults survived: a hung cell, a killed kernel, an unwritable run folder, SIGTERM in the middle of a build,
two builds started at once, a failed book build. In each case nothing half-written is published and the next
build completes."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from ivanalysis.pipeline import book, warm
from ivanalysis.pipeline.build import build_all
from ivanalysis.pipeline.execute import RunProduct, execute_run, produce_run, publish_run
from ivanalysis.pipeline.plan import plan

pytestmark = pytest.mark.integration


def _with_cell(spec, source: str):
    """The run's notebook with one extra code cell just after the parameters."""
    nb = nbformat.read(spec.notebook, as_version=4)
    nb = copy.deepcopy(nb)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(source))
    return nb


def _published_runs_are_whole(build: Path) -> int:
    n = 0
    for info in (build / "runs").glob("*/*/run.json"):
        run = info.parent
        status = json.loads(info.read_text())["status"]
        assert (run / "results.json").exists(), run
        if status == "ok":
            assert (run / f"{run.name}.ipynb").exists(), run
            nbformat.read(run / f"{run.name}.ipynb", as_version=4)  # complete, valid JSON
            n += 1
    return n


def test_a_hung_cell_times_out_and_the_next_run_is_clean(build_dir, tiny_data):
    spec = plan(["prostate_fractionation"], ["LON"], data_dir=tiny_data)[0]
    hung = produce_run(spec, timeout_s=3, notebook=_with_cell(spec, "import time\ntime.sleep(120)"))
    assert hung.error and ("timed out" in hung.error.lower() or "timeout" in hung.error.lower()), hung.error
    assert warm._Kernel.km is None  # the kernel that hung is not reused
    assert publish_run(hung).status == "failed"
    # never published as a result: with no good run before it, the page says the run failed
    assert json.loads((spec.run_dir / "results.json").read_text())["status"] == "failed"
    assert execute_run(spec).status == "ok"


def test_a_killed_kernel_fails_its_run_only(build_dir, tiny_data):
    spec = plan(["prostate_fractionation"], ["SW"], data_dir=tiny_data)[0]
    killed = produce_run(spec, notebook=_with_cell(spec, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"))
    assert killed.error and ("dead" in killed.error.lower() or "died" in killed.error.lower()), killed.error
    assert warm._Kernel.km is None
    assert execute_run(spec).status == "ok"


def test_an_unwritable_run_folder_is_a_clear_failure(build_dir, tiny_data):
    spec = plan(["prostate_fractionation"], ["NW"], data_dir=tiny_data)[0]
    spec.run_dir.parent.parent.mkdir(parents=True, exist_ok=True)
    # a file where the scheme's folder should be: even root (as tests may run) cannot create a folder inside it
    spec.run_dir.parent.write_text("not a folder")
    outcome = publish_run(RunProduct(spec, None, None, 1.0, {"results.json": b"{}"}))
    assert outcome.status == "failed" and "cannot write the run's output to" in outcome.error
    assert not list((build_dir / "runs" / ".tmp").iterdir())


def test_sigterm_mid_build_publishes_nothing_partial_and_a_rebuild_completes(build_dir, tiny_data):
    areas = ["ENG", "LON", "SW", "NEC", "NW"]  # ten runs: two at a time, the signal comes after the first two
    cmd = [str(Path(sys.executable).parent / "ivanalysis"), "build", "--no-book", "--jobs", "2",
           "--data-dir", str(tiny_data), "--schemes", "prostate_fractionation", "--schemes", "immunoglobulin_itp",
           *(arg for area in areas for arg in ("--geographies", area))]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and len(list((build_dir / "runs").glob("*/*/run.json"))) < 2:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    assert proc.returncode != 0
    partial = _published_runs_are_whole(build_dir)
    assert 2 <= partial < 10
    assert not list((build_dir / "runs" / ".tmp").glob("*")), "temporary run folders left behind"

    assert build_all(["prostate_fractionation", "immunoglobulin_itp"], areas, jobs=2, data_dir=tiny_data,
                     book_too=False)
    assert _published_runs_are_whole(build_dir) == 10


def test_a_second_build_started_during_a_first_refuses_and_the_first_completes(build_dir, tiny_data):
    cmd = [str(Path(sys.executable).parent / "ivanalysis"), "build", "--no-book", "--jobs", "1",
           "--data-dir", str(tiny_data), "--schemes", "prostate_fractionation", "--schemes", "immunoglobulin_itp",
           "--geographies", "ENG", "--geographies", "LON"]
    first = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = build_dir / ".lock"
    deadline = time.time() + 120
    while time.time() < deadline and not (lock.exists() and lock.read_text().strip() == str(first.pid)):
        time.sleep(0.05)
    assert lock.read_text().strip() == str(first.pid), "the first build never took the lock"
    second = subprocess.run(cmd, env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert first.poll() is None, "the first build ended before the second started: the test proved nothing"
    assert second.returncode != 0
    assert f"another build is running (process {first.pid})" in second.stdout + second.stderr
    out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, out
    assert "4 runs: 4 executed, 0 cached, 0 failed" in out
    assert _published_runs_are_whole(build_dir) == 4
    # and the lock is free again: the next build runs (everything cached)
    assert build_all(["prostate_fractionation", "immunoglobulin_itp"], ["ENG", "LON"], jobs=1, data_dir=tiny_data,
                     book_too=False)


def test_a_failed_book_build_keeps_the_last_good_book(build_dir, tiny_data):
    assert build_all(["prostate_fractionation"], ["ENG", "LON"], jobs=1, data_dir=tiny_data)
    index = (build_dir / "html" / "index.html").read_bytes()
    # a run notebook that prints to stderr fails the strict book build
    run_nb = build_dir / "runs" / "prostate_fractionation" / "LON" / "LON.ipynb"
    nb = nbformat.read(run_nb, as_version=4)
    last_code = [c for c in nb.cells if c.cell_type == "code"][-1]
    last_code.outputs.append(nbformat.v4.new_output("stream", name="stderr", text="something went wrong\n"))
    nbformat.write(nb, run_nb)
    with pytest.raises(book.BookError, match="warnings are errors"):
        book.build(tiny_data)
    assert (build_dir / "html" / "index.html").read_bytes() == index
    assert not (build_dir / ".html-next").exists()
