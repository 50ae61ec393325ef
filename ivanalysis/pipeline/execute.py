"""Execute runs with papermill on any concurrent.futures.Executor, and publish only what succeeded.

Each run executes into a private temporary folder. On success the folder replaces the run's published folder in
one rename, so a reader never sees half a run. On failure the last good output stays where it was; the failed
notebook, its log and the error go beside it (`failed/`, `last_failure.json`), or become the run's output when
there has never been a good one, with results.json saying status "failed".
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import tempfile
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..errors import IVError
from ..page.record import display_path, provenance
from ..paths import ROOT, runs_dir
from ..report.fmt import md_escape
from ..results import ResultsFileError, RunParameters, RunResult, read_results, write_json, write_results
from ..schemes import registry
from .plan import FileHasher, RunSpec, cache_key

RESULTS = "results.json"
RUN_INFO = "run.json"
FAILURE = "last_failure.json"
CELL_TIMEOUT_S = 900


@dataclass
class RunOutcome:
    spec: RunSpec
    status: str  # ok | cached | failed
    duration_s: float
    error: str | None = None
    log: str | None = None  # path of the run's log
    key: str | None = None
    finished_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "cached")


def notebook_file(spec: RunSpec) -> str:
    return f"{spec.geography}.ipynb"


def _recorded(run_dir: Path) -> dict:
    try:
        return json.loads((run_dir / RUN_INFO).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _recorded_status(run_dir: Path) -> str | None:
    return _recorded(run_dir).get("status")


def _has_good_results(run_dir: Path) -> bool:
    """Whether the run folder holds a good output: run.json says ok and results.json is what the run wrote (its
    content hash matches: a file edited by hand is not a good output, and is run again)."""
    if _recorded_status(run_dir) != "ok":
        return False
    try:
        return read_results(run_dir / RESULTS).ok
    except ResultsFileError:
        return False


def is_cached(spec: RunSpec, key: str | None) -> bool:
    return key is not None and _recorded(spec.run_dir).get("key") == key and _has_good_results(spec.run_dir)


def _clear_failure(run_dir: Path) -> None:
    """Forget a failure that a later good state replaced (the inputs went back to those of the last good output)."""
    (run_dir / FAILURE).unlink(missing_ok=True)
    shutil.rmtree(run_dir / "failed", ignore_errors=True)


ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # terminal colour and cursor codes (IPython colours tracebacks)


def plain(text: str) -> str:
    """Text without terminal codes, for a log file or a page."""
    return ANSI.sub("", text)


def _error_text(exc: BaseException) -> str:
    """The message an analyst needs: for an error in a cell, its type and message, not papermill's wrapper nor the
    cell's number (the log has the cell and its traceback)."""
    from papermill.exceptions import PapermillExecutionError

    from .warm import KernelStartError

    if isinstance(exc, PapermillExecutionError):
        return plain(f"{exc.ename}: {exc.evalue}")
    if isinstance(exc, (IVError, KernelStartError)):
        return plain(str(exc))
    return plain(f"{type(exc).__name__}: {exc}")


def _finish_notebook(path: Path, spec: RunSpec) -> None:
    """Give the executed page its title for this geography, and leave its code out of the reader's page."""
    import nbformat

    from ..geography import load_geography

    nb = nbformat.read(path, as_version=4)
    area = load_geography().get(spec.geography)
    title = f"# {registry.get(spec.scheme).title}: {md_escape(area.name)}"
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            lines = cell.source.lstrip().split("\n")
            cell.source = "\n".join([title, *lines[1:]])
            break
    for cell in nb.cells:
        if cell.cell_type == "code":
            if "parameters" in cell.metadata.get("tags", []):
                cell.metadata["tags"] = ["parameters", "remove-cell"]  # the provenance table shows the values
                continue
            if "injected-parameters" in cell.metadata.get("tags", []):
                # the run wrote into a random temporary folder; the published notebook names where its files are
                published = json.dumps(display_path(spec.run_dir))
                cell.source = re.sub(r"(?m)^output_dir = .*$", lambda _, line=f"output_dir = {published}": line,
                                     cell.source)
                data = json.dumps(display_path(spec.data_dir))  # never the build machine's folders
                cell.source = re.sub(r"(?m)^data_dir = .*$", lambda _, line=f"data_dir = {data}": line, cell.source)
            for output in cell.get("outputs", []):
                alt = output.get("metadata", {}).get("image/png", {}).get("alt")
                if alt:  # myst-nb takes an image's alt text from its cell's metadata
                    cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
            # readers see outputs only (a folded "Show code cell source" is developer material); the downloadable
            # notebook keeps the code. The committed notebooks tag their cells hide-input.
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if "remove-input" not in tags and "remove-cell" not in tags:
                tags.append("remove-input")
            cell.metadata["tags"] = tags
    from ..report.table_data import run_tables

    downloads = [f"- {{download}}`This page as a Jupyter notebook <{path.name}>`"]
    downloads += [f"- Table: {key.replace('_', ' ')}: {{download}}`CSV <{p.name}>`, "
                  f"{{download}}`Parquet <{p.with_suffix('.parquet').name}>`"
                  for key, p in run_tables(path.parent, spec.scheme, spec.geography, ".csv").items()]
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "## Downloads\n\nThe page's tables as data (Parquet, and CSV for a spreadsheet): units in the column headers, "
        "disclosure control applied (a suppressed cell is empty, and True in its column's `... suppressed` flag); "
        "the CSV's first line is a note on the table.\n\n" + "\n".join(downloads)))
    nbformat.write(nb, path)


def _publish(tmp: Path, final: Path) -> None:
    """Swap the new run folder in with renames on the same filesystem."""
    final.parent.mkdir(parents=True, exist_ok=True)
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


@dataclass
class RunProduct:
    """What executing a run produced, as file contents: made wherever the run executed (a worker process, or a Dask
    worker on another machine), published by the build process."""

    spec: RunSpec
    key: str | None
    error: str | None
    duration_s: float
    files: dict[str, bytes]


def produce_run(spec: RunSpec, key: str | None = None, timeout_s: int = CELL_TIMEOUT_S, warm: bool = True,
                notebook=None) -> RunProduct:
    """Execute one notebook for one geography in a private temporary folder and return its files. Never raises for
    a failed run (the error is in the product); touches nothing outside its folder, which it removes.

    warm: on this process's kept kernel (pipeline/warm.py), else on a new kernel of its own, as plain papermill.
    notebook: the notebook itself (so a worker elsewhere needs no copy of it); by default read from spec.notebook.
    """
    import papermill

    from . import warm as warm_module
    from .warm import COLD_ENGINE, ENGINE, KERNEL_ARGS, KernelStartError

    start = time.time()
    tmp = Path(tempfile.mkdtemp(prefix=f"ivanalysis-{spec.scheme}-{spec.geography}-"))
    try:
        log_path = tmp / "run.log"
        out_nb = tmp / notebook_file(spec)
        error = None
        try:
            with open(log_path, "w", encoding="utf-8") as log:
                log.write(f"run {spec.label} scenario={spec.scenario} period={spec.period} data={spec.data_dir}\n")
                for attempt in (1, 2):  # a kernel that did not start is tried once more, on a new kernel
                    try:
                        papermill.execute_notebook(
                            notebook if notebook is not None else spec.notebook, str(out_nb),
                            parameters=spec.parameters(tmp), kernel_name="python3",
                            cwd=str(ROOT), progress_bar=False, log_output=False, stdout_file=log, stderr_file=log,
                            execution_timeout=timeout_s, start_timeout=warm_module.START_TIMEOUT_S,
                            report_mode=False, engine_name=ENGINE if warm else COLD_ENGINE,
                            # keep the kernel's own log (TCP notice, SIGINT at shutdown) off the terminal
                            extra_arguments=KERNEL_ARGS, **({"scheme": spec.scheme} if warm else {}))
                        break
                    except KernelStartError as exc:
                        if attempt == 2:
                            raise KernelStartError(f"{exc} (tried twice, each time on a new kernel)") from exc
                        log.write(f"\n{exc}\nTrying once more on a new kernel.\n")
                        log.flush()
            if not (tmp / RESULTS).exists():
                raise RuntimeError("the notebook finished without writing results.json (is page.record() its last "
                                   "cell?)")
            _finish_notebook(out_nb, spec)
        except Exception as exc:  # noqa: BLE001 - every failure must become an outcome, never kill the build
            error = _error_text(exc)
            with open(log_path, "a", encoding="utf-8") as log:
                log.write("\nFAILED: " + error + "\n" + "".join(traceback.format_exception(exc)))
        # the log is read in an editor or a CI page, not a terminal: no colour codes
        log_path.write_text(plain(log_path.read_text(encoding="utf-8", errors="replace")), encoding="utf-8")
        files = {p.name: p.read_bytes() for p in tmp.iterdir() if p.is_file()}
    finally:  # also on Ctrl-C or SIGTERM: nothing half-written is left behind
        shutil.rmtree(tmp, ignore_errors=True)
    return RunProduct(spec, key, error, time.time() - start, files)


def publish_run(product: RunProduct) -> RunOutcome:
    """Publish a run's files into its run folder in one rename, or record its failure beside the last good output.

    A run folder that cannot be written makes this run fail with a message saying so; the build goes on.
    """
    spec = product.spec
    tmp = runs_dir() / ".tmp" / f"{spec.scheme}-{spec.geography}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir(parents=True)
        return _publish_files(product, tmp)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        error = f"cannot write the run's output to {spec.run_dir}: {exc.strerror or exc}"
        return RunOutcome(spec, "failed", product.duration_s, error if product.error is None
                          else f"{product.error}; and {error}", None, product.key, time.time())


def _publish_files(product: RunProduct, tmp: Path) -> RunOutcome:
    spec = product.spec
    try:
        for name, content in product.files.items():
            (tmp / name).write_bytes(content)
        finished = time.time()
        info = {"scheme": spec.scheme, "geography": spec.geography,
                "status": "ok" if product.error is None else "failed", "key": product.key,
                "duration_s": round(product.duration_s, 2), "finished_at": finished, "error": product.error}
        if product.error is None:
            write_json(tmp / RUN_INFO, info)
            _publish(tmp, spec.run_dir)
            return RunOutcome(spec, "ok", product.duration_s, None, str(spec.run_dir / "run.log"), product.key,
                              finished)
        return _record_failure(spec, tmp, info, product.duration_s, finished)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def execute_run(spec: RunSpec, key: str | None = None, timeout_s: int = CELL_TIMEOUT_S, warm: bool = True
                ) -> RunOutcome:
    """Execute one run here and publish it. Never raises: a failure is an outcome."""
    return publish_run(produce_run(spec, key, timeout_s, warm))


def _record_failure(spec: RunSpec, tmp: Path, info: dict, duration: float, finished: float) -> RunOutcome:
    final = spec.run_dir
    has_good = _has_good_results(final)
    if has_good:
        failed_dir = final / "failed"
        shutil.rmtree(failed_dir, ignore_errors=True)
        os.replace(tmp, failed_dir)
        write_json(final / FAILURE, {**info, "log": str(failed_dir / "run.log")})
        log = failed_dir / "run.log"
    else:
        from ..geography import load_geography

        parameters = RunParameters(scheme=spec.scheme, geography=spec.geography, scenario=spec.scenario,
                                   period=spec.period, data_dir=display_path(spec.data_dir))
        write_results(tmp / RESULTS, RunResult.failed(registry.get(spec.scheme), load_geography().get(spec.geography),
                                                      spec.period, spec.scenario, info["error"],
                                                      provenance(parameters)))
        write_json(tmp / RUN_INFO, info)
        _publish(tmp, final)
        log = final / "run.log"
    return RunOutcome(spec, "failed", duration, info["error"], str(log), info["key"], finished)


def prevalidate(data_dir: str, name: str) -> None:
    """Validate one input table and keep the typed result in the build's cache (data.io), so runs only read it."""
    from ..data.io import ensure_validated
    from ..geography import load_geography

    ensure_validated(data_dir, name, load_geography())


def exit_with(build_pid: int) -> None:
    """A worker's initializer: the worker ends when the build process that started it ends, however it ends (SIGKILL
    included), and kills its kernel first. Its parent is the fork server, which outlives the build as long as any
    worker lives, so the worker watches the build itself."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(build_pid)  # Linux: readable once the process has ended; immune to pid reuse
            select.select([fd], [], [])
        except (AttributeError, OSError):  # another system, or the build already gone
            while _alive(build_pid):
                time.sleep(1)
        from . import warm

        warm.kill_now()
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-build", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class InlineExecutor(Executor):
    """Runs each task at once in this process: the executor for a single run or --jobs 1."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed back through the future, as a pool would
            fut.set_exception(exc)
        return fut  # Ctrl-C and SIGTERM are not results: they stop the submitting loop at once


class SchemeLanes(Executor):
    """`n` worker processes, each a pool of its own (a lane), so that a build can keep a scheme's runs on one worker:
    that worker's warm kernel then loads the scheme's tables and computes its national part once, not once on every
    worker (schemes/registry.py keeps one scheme's national results). `submit` alone spreads tasks over the lanes."""

    def __init__(self, n: int, make_lane: Callable[[], Executor]):
        self._make_lane = make_lane
        self.lanes = [make_lane() for _ in range(n)]
        self._turn = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self._turn = (self._turn + 1) % len(self.lanes)
        return self.submit_to(self._turn, fn, *args, **kwargs)

    def submit_to(self, lane: int, fn, /, *args, **kwargs) -> Future:
        try:
            return self.lanes[lane].submit(fn, *args, **kwargs)
        except BrokenExecutor:  # its worker died (killed, out of memory): the lane gets a new one
            self.lanes[lane] = self._make_lane()
            return self.lanes[lane].submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for lane in self.lanes:
            lane.shutdown(wait=wait, cancel_futures=cancel_futures)


class _SchemeQueue:
    """The runs still to start, one queue per scheme, the heaviest scheme first (by the size of its input files, a
    fair guess at its national part's cost), each in plan order (England first). A lane takes the next run of the
    scheme it is on; when that scheme has none left, the next scheme no lane has started; at the end it helps with
    the scheme that has most runs left."""

    def __init__(self, todo: list[tuple[RunSpec, str | None]]):
        groups: dict[str, deque] = {}
        for item in todo:
            groups.setdefault(item[0].scheme, deque()).append(item)
        data_dir = todo[0][0].data_dir if todo else ""
        weight = {s: sum(_table_bytes(data_dir, t) for t in registry.input_tables(s)) for s in groups}
        self.groups = dict(sorted(groups.items(), key=lambda kv: -weight[kv[0]]))  # stable: ties keep plan order
        self.lane_scheme: dict[int, str] = {}

    def next_for(self, lane: int) -> tuple[RunSpec, str | None] | None:
        scheme = self.lane_scheme.get(lane)
        if not self.groups.get(scheme):
            left = [s for s, q in self.groups.items() if q]
            if not left:
                return None
            busy = set(self.lane_scheme.values())
            fresh = [s for s in left if s not in busy]
            scheme = fresh[0] if fresh else max(left, key=lambda s: len(self.groups[s]))
            self.lane_scheme[lane] = scheme
        return self.groups[scheme].popleft()


def _table_bytes(data_dir: str, table: str) -> int:
    """The size of a table's file; 0 when it cannot be found (the runs that read it report that)."""
    from ..data.io import find_table, location

    try:
        return find_table(location(data_dir), table).stat().st_size
    except (IVError, OSError):
        return 0


LANE_DEPTH = 2  # runs sent to a lane at once: one running, one waiting, so a worker never waits for this process


def execute_all(specs: Iterable[RunSpec], executor_factory: Callable[[], Executor], *, force: bool = False,
                on_done: Callable[[RunOutcome], None] | None = None, warm: bool = True,
                timeout_s: int = CELL_TIMEOUT_S, log: Callable[[str], None] | None = None) -> list[RunOutcome]:
    """Execute the runs whose cache key changed (all with `force`); every run ends as an outcome.

    On SchemeLanes a scheme's runs go to one worker while other schemes remain; on any other executor (a Dask
    cluster, this process) every run is submitted at once. `log`: told how long validating the input tables took."""
    specs = list(specs)
    hasher = FileHasher()
    outcomes: list[RunOutcome] = []
    todo: list[tuple[RunSpec, str | None]] = []
    for spec in specs:
        try:
            key = cache_key(spec, hasher)
        except IVError:
            key = None  # e.g. an input file is missing: the run executes and reports the error itself
        if not force and is_cached(spec, key):
            _clear_failure(spec.run_dir)  # its output is the latest state again: the status page shows no failure
            outcome = RunOutcome(spec, "cached", 0.0, key=key, log=str(spec.run_dir / "run.log"))
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
        else:
            todo.append((spec, key))
    order = {(s.scheme, s.geography): i for i, s in enumerate(specs)}
    if not todo:
        return sorted(outcomes, key=lambda o: order[(o.spec.scheme, o.spec.geography)])
    notebooks: dict[str, object] = {}  # each notebook read once and sent with its runs
    with executor_factory() as pool:
        # each input table validated once, spread over the workers, before the runs that read it start (the largest
        # first, so that the workers finish together)
        tables = sorted({(s.data_dir, t) for s, _ in todo for t in registry.input_tables(s.scheme)},
                        key=lambda dt: (-_table_bytes(*dt), dt))
        started = time.time()
        for fut in [pool.submit(prevalidate, data_dir, name) for data_dir, name in tables]:
            fut.exception()  # a table that fails validation is reported by each run that reads it
        if log:
            log(f"{len(tables)} input tables validated ({time.time() - started:.1f} s)")
        futures: dict[Future, tuple[RunSpec, int | None]] = {}

        def submit(item: tuple[RunSpec, str | None], lane: int | None) -> None:
            spec, key = item
            if spec.notebook not in notebooks:
                notebooks[spec.notebook] = nbformat.read(spec.notebook, as_version=4)
            args = (produce_run, spec, key, timeout_s, warm, notebooks[spec.notebook])
            futures[pool.submit_to(lane, *args) if lane is not None else pool.submit(*args)] = (spec, lane)

        queue = _SchemeQueue(todo)
        if isinstance(pool, SchemeLanes):
            for _ in range(LANE_DEPTH):
                for lane in range(len(pool.lanes)):
                    if (item := queue.next_for(lane)) is not None:
                        submit(item, lane)
        else:
            while (item := queue.next_for(0)) is not None:
                submit(item, None)
        try:
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    spec, lane = futures.pop(fut)
                    if lane is not None and (item := queue.next_for(lane)) is not None:
                        submit(item, lane)  # before publishing: the lane's worker goes on meanwhile
                    try:
                        outcome = publish_run(fut.result())
                    except Exception as exc:  # noqa: BLE001 - a worker that died (killed, out of memory)
                        outcome = RunOutcome(spec, "failed", 0.0, f"worker failed: {type(exc).__name__}: {exc}")
                    outcomes.append(outcome)
                    if on_done:
                        on_done(outcome)
        except BaseException:  # Ctrl-C or SIGTERM: queued runs never start; the running ones are not published
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return sorted(outcomes, key=lambda o: order[(o.spec.scheme, o.spec.geography)])
