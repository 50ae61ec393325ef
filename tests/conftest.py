"""Shared fixtures. Tests never touch the project's own _build/: integration tests get a private build folder."""
from __future__ import annotations

from pathlib import Path

import pytest

# `make test` hands the modules to its two workers in the order collected (pytest-xdist, --dist loadscope
# --no-loadscope-reorder). These go first: the first builds the small book the browser tests read (a minute, on both
# cores, while the other worker's browser module would only wait for it); the next two need only the tiny data, and
# the first of them mostly waits on time-outs, leaving a core to the book's build.
FIRST = ("tests/browser/test_book.py", "tests/integration/test_build_heals_e2e.py",
         "tests/browser/test_hostile_names.py")


def pytest_collection_modifyitems(config, items):
    # nbval's items come from the notebooks: mark them so `-m "not notebook"` leaves them out
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.notebook)
    first = {module: i for i, module in enumerate(FIRST)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(FIRST)))  # stable: the rest as collected


@pytest.fixture(scope="session", autouse=True)
def _private_build_and_table_cache(tmp_path_factory):
    """Tests never write to the project's _build (validated-table cache included). The validated tables are kept
    in one folder for the whole test run (IVANALYSIS_TABLE_CACHE; its files are named by what was validated), so
    each table is validated once, not once by each worker and each test's build folder: a test that looks into a
    build's own cache unsets it. A test process keeps the tables it reads and a scheme's national results in memory,
    as a warm kernel does (the calibration tests analyse every hub)."""
    import os

    from ivanalysis import memo

    mp = pytest.MonkeyPatch()
    if "IVANALYSIS_BUILD_DIR" not in os.environ:
        mp.setenv("IVANALYSIS_BUILD_DIR", str(tmp_path_factory.mktemp("session") / "_build"))
    if "IVANALYSIS_TABLE_CACHE" not in os.environ:  # the workers' shared folder (made_once's), else this session's
        shared = tmp_path_factory.getbasetemp().parent if "PYTEST_XDIST_WORKER" in os.environ \
            else tmp_path_factory.getbasetemp()
        mp.setenv("IVANALYSIS_TABLE_CACHE", str(shared / "tables"))
    previous = memo.install(memo.RunCache.keeping(tables=3, national=1))
    yield
    memo.install(previous)
    mp.undo()


def made_once(tmp_path_factory, name: str, make) -> Path:
    """A folder that `make(folder)` fills once a test run. `make test` spreads the tests over the cores (pytest-xdist,
    each worker its own session): the workers share the folder, the first to ask makes it while the others wait."""
    import fcntl
    import os
    import shutil

    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        make(folder)
        return folder
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, holding each worker's own
    folder, done = shared / name, shared / f"{name}.done"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():  # a worker that failed to make it left no mark: the next one tries again
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            make(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory) -> Path:
    """A small synthetic data set (2% of national volumes), generated once per test run."""
    from ivanalysis.data.synth import generate

    return made_once(tmp_path_factory, "tiny", lambda folder: generate(folder / "data", scale=0.02)) / "data"


@pytest.fixture
def build_dir(tmp_path, monkeypatch) -> Path:
    """A private _build folder for this test (runs, staged book, HTML)."""
    path = tmp_path / "_build"
    monkeypatch.setenv("IVANALYSIS_BUILD_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def default_data() -> Path:
    """The default synthetic data (data/synthetic, or IVANALYSIS_DATA_DIR when set, as the notebooks read)."""
    from ivanalysis.paths import default_data_dir

    path = default_data_dir()
    if not (path / "MANIFEST.json").exists():
        pytest.skip(f"the default synthetic data set is missing from {path}: run `make synth`")
    return path


@pytest.fixture(scope="session")
def analyse_everywhere(default_data):
    """scheme id -> {geography code: SchemeResult} for England and every hub on the default data, computed once a
    session for each scheme (calibration tests read the same runs many times)."""
    import functools

    from ivanalysis.geography import load_geography
    from ivanalysis.schemes.registry import analyse

    @functools.cache
    def runs(scheme_id: str) -> dict:
        return {a.code: analyse(scheme_id, a.code, default_data) for a in load_geography().run_geographies()}

    return runs


SMALL_BOOK_GEOGRAPHIES = ["ENG", "LON", "SW", "NEC"]


@pytest.fixture(scope="session")
def small_book(tmp_path_factory, tiny_data) -> Path:
    """A private build of every scheme for SMALL_BOOK_GEOGRAPHIES from the tiny data, book included: the
    `_build` folder (runs/, html/ ...). Built once a test run (made_once); tests that read it must not change it."""
    import json

    from ivanalysis.pipeline.build import build_all
    from ivanalysis.schemes import registry

    def make(folder: Path) -> None:
        mp = pytest.MonkeyPatch()
        mp.setenv("IVANALYSIS_BUILD_DIR", str(folder / "_build"))
        try:
            # warm kernels, as `make book` runs (test_warm.py compares these runs with cold ones)
            build_all([s.id for s in registry.implemented()], SMALL_BOOK_GEOGRAPHIES, jobs=2, data_dir=tiny_data,
                      warm=True)
        finally:
            mp.undo()

    build = made_once(tmp_path_factory, "published", make) / "_build"
    # at 2% of national volumes a rare treatment can have no rows in a hub: that run fails with a clear DataError
    # (and publishes no figures); every other run must succeed, and the book must be built
    runs = [json.loads(p.read_text()) for p in (build / "runs").glob("*/*/run.json")]
    failed = [r for r in runs if r["status"] != "ok"]
    assert len(runs) == len(registry.implemented()) * len(SMALL_BOOK_GEOGRAPHIES)
    assert all(r["geography"] != "ENG" and " for " in r["error"] and "no " in r["error"] for r in failed), failed
    assert len(failed) <= 3 and (build / "html" / "index.html").exists()
    return build


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave files for a person to look at (screenshots, PDF pages rendered to PNG):
    $IVANALYSIS_TEST_ARTIFACTS, else _build/test-artifacts (never part of the book)."""
    import os

    from ivanalysis.paths import ROOT

    path = Path(os.environ.get("IVANALYSIS_TEST_ARTIFACTS") or ROOT / "_build" / "test-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path
