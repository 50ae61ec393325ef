"""A build that heals, end to end: no worker outlives a killed build; a run whose kernel dies at start or never
answers fails within its time limits (tried once more on a new kernel), never hanging the build; a hand-edited
results.json is run again by the next build. The unit tests of the same issue are in tests/unit/test_build_heals.py."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ivanalysis.pipeline import warm
from ivanalysis.pipeline.build import build_all
from ivanalysis.pipeline.execute import produce_run
from ivanalysis.pipeline.plan import plan

pytestmark = pytest.mark.integration

psutil = pytest.importorskip("psutil")


def _kernels(pids: list) -> list:
    return [p for p in pids if "ipykernel" in " ".join(_cmdline(p))]


def _cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _alive(p) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def test_no_worker_outlives_a_killed_build(build_dir, tiny_data):
    cmd = [str(Path(sys.executable).parent / "ivanalysis"), "build", "--no-book", "--jobs", "2", "--force",
           "--data-dir", str(tiny_data), "--schemes", "prostate_fractionation", "--schemes", "immunoglobulin_itp"]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    build = psutil.Process(proc.pid)
    family: list = []
    try:
        deadline = time.time() + 240
        while time.time() < deadline and len(_kernels(family)) < 2 and proc.poll() is None:
            family = build.children(recursive=True)  # fork server, resource tracker, workers, their kernels
            time.sleep(0.5)
        assert len(_kernels(family)) == 2, f"two workers never had a kernel each: {[_cmdline(p) for p in family]}"
        family = build.children(recursive=True)
        proc.kill()  # SIGKILL: no handler runs in the build
        proc.wait(timeout=30)
        deadline = time.time() + 30
        while time.time() < deadline and any(_alive(p) for p in family):
            time.sleep(0.5)
        left = [" ".join(_cmdline(p))[:100] for p in family if _alive(p)]
        assert not left, f"alive 30 s after the build was killed: {left}"
    finally:
        for p in [build, *family]:  # ours only, by process id
            if _alive(p):
                p.kill()


# --- kernels that die at start or never answer ----------------------------------------------------------------------
DIES = "import sys; sys.stderr.write('zmq.error.ZMQError: Address already in use\\n'); sys.exit(1)"
NEVER_ANSWERS = "import time; time.sleep(600)"


@pytest.fixture
def kernel_that(tmp_path, monkeypatch):
    """Make `python3` a kernel that runs `code` (found first on JUPYTER_PATH), on a new kernel manager."""

    def make(code: str) -> None:
        spec = tmp_path / "jupyter" / "kernels" / "python3"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({"argv": [sys.executable, "-c", code, "{connection_file}"],
                                                      "display_name": "broken", "language": "python"}))
        monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
        warm.discard()

    yield make
    warm.discard()


@pytest.mark.parametrize("use_warm", [True, False], ids=["warm", "cold"])
def test_a_kernel_that_dies_at_start_fails_its_run_after_one_more_try(kernel_that, tiny_data, build_dir, use_warm):
    kernel_that(DIES)
    spec = plan(["prostate_fractionation"], ["LON"], data_dir=tiny_data)[0]
    start = time.time()
    product = produce_run(spec, warm=use_warm)
    assert time.time() - start < 60
    assert product.error.startswith("the kernel did not start or did not answer"), product.error
    log = product.files["run.log"].decode()
    assert log.count("Trying once more on a new kernel.") == 1 and "FAILED: the kernel did not start" in log
    assert "\x1b[" not in log


def test_a_kernel_that_never_answers_fails_within_its_start_timeout_and_the_build_ends(kernel_that, tiny_data,
                                                                                       build_dir, monkeypatch):
    kernel_that(NEVER_ANSWERS)
    monkeypatch.setattr(warm, "START_TIMEOUT_S", 3)
    start = time.time()
    assert not build_all(["prostate_fractionation"], ["LON"], jobs=1, data_dir=tiny_data, book_too=False)
    assert time.time() - start < 90  # two tries of 3 s, and their kernels stopped
    info = json.loads((build_dir / "runs" / "prostate_fractionation" / "LON" / "run.json").read_text())
    assert info["status"] == "failed" and "Kernel didn't respond in 3 seconds" in info["error"], info


def test_a_kernel_that_hangs_in_its_set_up_is_stopped_within_the_set_up_timeout(tiny_data, build_dir, monkeypatch):
    """A kernel that started but does not answer (its channels broken, say) is not waited on for a cell's hour."""
    warm.discard()
    monkeypatch.setattr(warm, "PRELOAD", "import time\ntime.sleep(600)")
    monkeypatch.setattr(warm, "SETUP_TIMEOUT_S", 3)
    spec = plan(["prostate_fractionation"], ["LON"], data_dir=tiny_data)[0]
    start = time.time()
    try:
        product = produce_run(spec, warm=True)
    finally:
        warm.discard()
    assert time.time() - start < 90
    assert "did not answer its set-up within 3 s" in product.error, product.error
    assert product.files["run.log"].decode().count("Trying once more") == 1


# --- a hand-edited results.json ---------------------------------------------------------------------------------------
def test_the_next_build_runs_a_hand_edited_results_file_again(build_dir, tiny_data):
    assert build_all(["prostate_fractionation"], ["ENG", "LON"], jobs=1, data_dir=tiny_data, book_too=False)
    run = build_dir / "runs" / "prostate_fractionation" / "LON"
    computed = (run / "results.json").read_text(encoding="utf-8")
    finished = json.loads((run / "run.json").read_text())["finished_at"]
    edited = json.loads(computed)
    edited["kpis"][0]["value"] = 0.99  # the landing page, the packs, the CSV would have shown this
    (run / "results.json").write_text(json.dumps(edited, indent=2), encoding="utf-8")

    from ivanalysis.pipeline.execute import InlineExecutor, execute_all

    outcomes = {o.spec.geography: o.status for o in execute_all(plan(["prostate_fractionation"], ["ENG", "LON"],
                                                                     data_dir=tiny_data), InlineExecutor)}
    assert outcomes == {"ENG": "cached", "LON": "ok"}
    assert json.loads((run / "run.json").read_text())["finished_at"] > finished
    assert json.loads((run / "results.json").read_text())["kpis"] == json.loads(computed)["kpis"]
