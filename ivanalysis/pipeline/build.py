"""`ivanalysis build`: run the matrix in parallel (skipping cached runs), then build the book.

Every failed run is reported with its error and log; the others complete; the book is still built from the last
good outputs; the command exits non-zero when anything failed.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

from rich.console import Console

from ..errors import ConfigError
from ..paths import default_data_dir, html_dir
from . import fingerprint
from .lock import build_lock

# The runs' machinery (execute, plan, the book: pandas, nbformat ...) is imported only when a build has something to
# check, so that a build with nothing to do is over in a fraction of a second (BUILD_RECORD).


SCHEDULER_TIMEOUT_S = 10  # how long to try to reach a Dask scheduler before saying it cannot be reached


class DaskExecutor(Executor):
    """The runs on an existing Dask cluster (`tcp://host:port`): Dask's own concurrent.futures executor, with the
    client closed when the runs are done. Each worker keeps its own warm kernel; give workers one thread each."""

    def __init__(self, address: str):
        from distributed import Client

        try:
            self.client = Client(address, timeout=f"{SCHEDULER_TIMEOUT_S}s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self._executor = self.client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self.client.close()


def executor_factory(jobs: int, scheduler: str | None = None):
    if scheduler:
        return lambda: DaskExecutor(scheduler)
    from .execute import InlineExecutor, SchemeLanes, exit_with

    if jobs <= 1:
        return InlineExecutor
    # Workers start from a clean fork server, never from a fork of this process: a process that already holds a
    # kernel (a warm one, its sockets and event loop) must not hand copies of them to its workers. Each worker ends
    # with this process, even when it is killed outright (exit_with).
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["ivanalysis.pipeline.execute", "ivanalysis.pipeline.warm"])
    build_pid = os.getpid()
    return lambda: SchemeLanes(jobs, lambda: ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=exit_with,
                                                                 initargs=(build_pid,)))


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI cancel, `kill`) stops the build as Ctrl-C does: workers stopped, temporary output removed,
    nothing half-published. Only the main thread can own signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def build_all(schemes: list[str] | None, geographies: list[str] | None, *, jobs: int, force: bool = False,
              data_dir: str | Path | None = None, scenario: str = "moderate", book_too: bool = True,
              console: Console | None = None, executor: Executor | None = None, scheduler: str | None = None,
              warm: bool = True, timeout_s: int | None = None) -> bool:
    """Execute the runs (on `jobs` local processes, or on the Dask cluster at `scheduler`), then build the book.

    timeout_s: the longest a notebook cell may run (default execute.CELL_TIMEOUT_S); a run that exceeds it fails and
    its kernel is stopped.
    Nothing is checked again when nothing the build reads changed since a build of the same runs succeeded
    (BUILD_RECORD).
    """
    console = console or Console()
    start = time.time()
    with build_lock(), _sigterm_interrupts():
        selection = (schemes, geographies, scenario)
        inputs = _build_inputs(data_dir, selection) if book_too else None
        record = _recorded_build()
        if not force and inputs is not None and record is not None and record[0] == inputs:
            console.print(f"{record[1]} runs: 0 executed, {record[1]} cached, 0 failed ({time.time() - start:.1f} s): "
                          "nothing changed since the last build")
            console.print(f"book unchanged: {html_dir() / 'index.html'} (0.0 s)")
            return True
        (html_dir() / BUILD_RECORD).unlink(missing_ok=True)  # said again only if this build succeeds
        ok, count = _build(schemes, geographies, jobs=jobs, force=force, data_dir=data_dir, scenario=scenario,
                           book_too=book_too, console=console, executor=executor, scheduler=scheduler, warm=warm,
                           timeout_s=timeout_s, start=start)
        if ok and book_too and (html_dir() / "index.html").exists() \
                and (inputs := _build_inputs(data_dir, selection)) is not None:
            fingerprint.record(html_dir() / BUILD_RECORD, f"{inputs} {count}")
    return ok


# In the published book: the digest of what the last successful build read (fingerprint.build_inputs) and how many
# runs it had. Written once the book is published; removed when a build starts that finds something changed.
BUILD_RECORD = ".iv-build"


def _build_inputs(data_dir: str | Path | None, selection: tuple) -> str | None:
    """What a build of `selection` reads (fingerprint.build_inputs); None for data at a URL (checked run by run)."""
    if data_dir and "://" in str(data_dir):
        return None
    return fingerprint.build_inputs(Path(data_dir).resolve() if data_dir else default_data_dir().resolve(), selection)


def _recorded_build() -> tuple[str, int] | None:
    text = fingerprint.recorded(html_dir() / BUILD_RECORD)
    if text is None or not (html_dir() / "index.html").exists():
        return None
    try:
        digest, count = text.split()
        return digest, int(count)
    except ValueError:
        return None


def _build(schemes: list[str] | None, geographies: list[str] | None, *, jobs: int, force: bool,
           data_dir: str | Path | None, scenario: str, book_too: bool, console: Console, executor: Executor | None,
           scheduler: str | None, warm: bool, timeout_s: int | None, start: float) -> tuple[bool, int]:
    """The build proper: every run checked against its cache key, those changed executed, then the book. Returns
    whether everything succeeded, and the number of runs."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..data.io import location
    from . import book
    from .execute import CELL_TIMEOUT_S, execute_all, plain
    from .plan import plan

    specs = plan(schemes, geographies, scenario=scenario, data_dir=data_dir)
    data = location(specs[0].data_dir) if specs else default_data_dir()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False, disable=not console.is_terminal) as progress:
        task = progress.add_task("runs", total=len(specs))

        def done(o) -> None:
            progress.advance(task)
            if o.status == "failed":
                progress.console.print(f"[red]failed[/] {o.spec.label}")

        factory = (lambda: executor) if executor is not None else executor_factory(jobs, scheduler)
        outcomes = execute_all(specs, factory, force=force, on_done=done, warm=warm,
                               timeout_s=CELL_TIMEOUT_S if timeout_s is None else timeout_s,
                               log=progress.console.print)
    ran = [o for o in outcomes if o.status == "ok"]
    cached = [o for o in outcomes if o.status == "cached"]
    failed = [o for o in outcomes if o.status == "failed"]
    console.print(f"{len(outcomes)} runs: {len(ran)} executed, {len(cached)} cached, {len(failed)} failed "
                  f"({time.time() - start:.1f} s)")
    book_ok = True
    if book_too:
        t = time.time()
        try:
            built = book.build(data, force=force, jobs=jobs)
            console.print(f"book {'built' if built else 'unchanged'}: {html_dir() / 'index.html'} "
                          f"({time.time() - t:.1f} s)")
        except book.BookError as exc:
            book_ok = False
            console.print("[bold red]Book build failed:[/]", end=" ")
            console.print(plain(str(exc)), markup=False, highlight=False)
    for o in failed:
        console.print(f"[bold red]FAILED[/] {o.spec.label}", markup=True)
        console.print(textwrap.indent(o.error or "", "  "), markup=False, highlight=False)
        console.print(f"  log: {o.log}", markup=False, highlight=False)
    return not failed and book_ok, len(outcomes)
