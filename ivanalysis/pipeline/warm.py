"""A papermill engine that reuses one warm kernel per worker process.

Starting a kernel and importing pandas, matplotlib, pandera and the package costs seconds, against well under a
second of analysis per run. So each worker keeps one kernel: it is started once, imports what every scheme
notebook needs, and before each run is put back to a clean state (RESET below): an empty namespace, execution
count 1, the project folder as working directory, the environment and warning filters of a fresh kernel. The
package's own modules stay imported, and the kernel's RunCache (ivanalysis.memo) keeps the current scheme's validated
input tables and national results in memory.

Outputs are those of a cold kernel (tests/integration/test_warm.py compares the two on a sample of runs). After any
failure (an error in a cell, a timeout, a dead kernel) the kernel is discarded and the next run starts a new one,
so a run can never inherit a broken state.

Every wait on a kernel is bounded: it must answer within START_TIMEOUT_S of being started, and its set-up before each
run (PRELOAD, RESET) within SETUP_TIMEOUT_S, not the hour a notebook's cells may take. A run that fails before any of
its cells ran (the kernel died at start, say on "ZMQError: Address already in use", or never answered) raises
KernelStartError, which the run tries once more on a new kernel (execute.produce_run).

ColdEngine is plain papermill on a new kernel, less its rewriting of the output notebook after every cell.
"""
from __future__ import annotations

import logging
import multiprocessing.util
import os
import signal
import threading

import nbformat
from nbclient.exceptions import CellTimeoutError
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines

from ..paths import ROOT

ENGINE = "ivanalysis-warm"
COLD_ENGINE = "ivanalysis-cold"
# Same arguments as a cold run (see execute.py): the kernel's own log stays quiet, and no input history is kept
# (a notebook run never reads it; writing it to SQLite costs time on every cell)
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"]
START_TIMEOUT_S = 60  # a new kernel answers its first request within this
SETUP_TIMEOUT_S = 120  # PRELOAD (imports, a few seconds on an idle machine) or RESET on a kept kernel


class KernelStartError(RuntimeError):
    """The kernel died or never answered before the notebook's first cell ran: nothing of the run happened, so it
    may be tried again on a new kernel."""


def nothing_ran(nb_man) -> bool:
    """Whether no cell of the notebook started (papermill marks each cell pending, then running)."""
    return all(c.metadata.get("papermill", {}).get("status") == "pending" for c in nb_man.nb.cells)


def _start_failure(exc: BaseException) -> KernelStartError:
    return KernelStartError(f"the kernel did not start or did not answer: {type(exc).__name__}: {exc}")

# Imported once per kernel: everything a scheme notebook pulls in.
PRELOAD = """
import warnings as __warnings
import IPython.display, matplotlib, pandas, numpy
import ivanalysis.page, ivanalysis.report.charts, ivanalysis.data.io, ivanalysis.data.schemas
import ivanalysis.stats.funnel, ivanalysis.stats.spc, myst_nb
from ivanalysis import memo as __memo
from ivanalysis.schemes import registry as __registry
__most, __s = 1, None
for __s in __registry.implemented():
    try:  # only a head start: a scheme that fails to import reports it in its own run, not in every run
        __most = max(__most, len(__registry.module(__s.id).TABLES))
    except Exception:
        pass
# this kernel runs many notebooks, one scheme's runs after another (a build runs in scheme order): keep in memory
# the tables (the columns it uses) and the national results of the scheme it runs now, and no more, since each run
# adds its own copy of the tables
__memo.install(__memo.RunCache.keeping(tables=__most, national=1))
__iv_clean = {"filters": list(__warnings.filters)}
get_ipython().__iv_clean = __iv_clean
del __warnings, __memo, __registry, __iv_clean, __most, __s
# Every run starts with full garbage collections (IPython's reset makes one, RESET below another): with the
# libraries above loaded each one walked about a million objects, 0.14 s, twice a run. Frozen, the imported modules
# are left out of every later collection (they live as long as the kernel anyway); what runs create is still collected.
import gc as __gc
__gc.collect()
__gc.freeze()
del __gc
"""

# Run silently (no history, no output) before each notebook: the working directory and environment are those a
# new kernel would get now (papermill starts it in the project folder with this process's environment).
RESET = """
def __iv_reset():
    import gc, os, warnings
    ip = get_ipython()
    ip.reset(new_session=True)  # empties the namespace and In/Out; execution count back to 1
    os.environ.clear()
    os.environ.update({environ!r})
    warnings.filters[:] = ip.__iv_clean["filters"]
    warnings._filters_mutated()  # forget which warnings were already shown, as a new process would
    os.chdir({cwd!r})
    gc.collect()
__iv_reset()  # the reset also removes __iv_reset itself
"""

# Run silently after RESET when the kernel moves on to another scheme: what it kept for the last one (its tables,
# national and hub results) is dropped and the memory freed handed back to the system before the next scheme reads
# its tables, so a kernel never holds two schemes' tables at once. At ten times the default rows a kernel carried
# 4 to 6 GiB of the last scheme into the next one's run and peaked at 8.9 GiB.
NEXT_SCHEME = """
def __iv_next_scheme():
    import ctypes, gc
    from ivanalysis import memo
    memo.current().clear()
    gc.collect()
    try:  # glibc keeps what Python frees for the process to reuse, unless asked to give it back
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
__iv_next_scheme()
del __iv_next_scheme
"""

log = logging.getLogger(__name__)


class _Kernel:
    """The worker's kernel manager and client, kept between runs."""

    km = None
    kc = None
    preloaded = False
    scheme = None  # the scheme of the kernel's last run: what its RunCache keeps
    lock = threading.Lock()


def _new_manager():
    from jupyter_client.manager import AsyncKernelManager

    return AsyncKernelManager(kernel_name="python3")


def discard() -> None:
    """Shut the worker's kernel down (after a failure, or when the worker exits)."""
    km, kc = _Kernel.km, _Kernel.kc
    _Kernel.km = _Kernel.kc = None
    _Kernel.preloaded = False
    _Kernel.scheme = None
    if kc is not None:
        try:
            kc.stop_channels()
        except Exception:  # noqa: BLE001 - best effort on the way out
            pass
    if km is not None and km.has_kernel:
        from jupyter_core.utils import run_sync

        try:
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001
            pass


def kill_now() -> None:
    """Kill the worker's kernel at once, without asking it: the build that started this worker is gone."""
    pgid = getattr(getattr(_Kernel.km, "provisioner", None), "pgid", None)
    if pgid:
        try:
            os.killpg(pgid, signal.SIGKILL)  # the kernel leads a process group of its own (jupyter_client's launcher)
        except OSError:
            pass


def moves_on(scheme: str | None) -> bool:
    """Whether a run of `scheme` moves the worker's kernel on from another scheme's runs; notes it as the kernel's."""
    previous, _Kernel.scheme = _Kernel.scheme, scheme
    return previous is not None and previous != scheme


class _WarmClient(PapermillNotebookClient):
    iv_scheme: str | None = None  # the scheme this run is of (WarmEngine)

    def papermill_execute_cells(self):
        if not _Kernel.preloaded:
            self._silent(PRELOAD)
            _Kernel.preloaded = True
        self._silent(RESET.format(environ=dict(os.environ), cwd=str(ROOT)))
        if moves_on(self.iv_scheme):
            self._silent(NEXT_SCHEME)
        super().papermill_execute_cells()

    def _silent(self, code: str) -> None:
        msg_id = self.kc.execute(code, silent=True, store_history=False)
        cell_timeout, self.timeout = self.timeout, SETUP_TIMEOUT_S  # a kernel that hangs here is broken, not busy
        try:
            reply = self.wait_for_reply(msg_id, cell=nbformat.v4.new_code_cell("# the warm kernel's set-up"))
        except CellTimeoutError:
            reply = None
        finally:
            self.timeout = cell_timeout
        if reply is None:
            raise TimeoutError(f"the kernel did not answer its set-up within {SETUP_TIMEOUT_S} s")
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(f"warm kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")


class ColdEngine(NBClientEngine):
    """papermill's nbclient engine on a new kernel, as plain papermill, but the output notebook is written once when
    the run ends (execute_notebook does that), not after every cell: a notebook of 20 cells was written 44 times, about
    0.45 s of a 3.5 s run. `ivanalysis run` of one notebook, and any build with warm kernels turned off, use it."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        nb_man.save = lambda **kwargs: None
        try:
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)
        except Exception as exc:
            if nothing_ran(nb_man):
                raise _start_failure(exc) from exc
            raise


class WarmEngine(NBClientEngine):
    """papermill's nbclient engine, on the worker's kept kernel."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                 start_timeout=START_TIMEOUT_S, execution_timeout=None, scheme=None, **kwargs):
        """scheme: the scheme the notebook is of (an engine argument of papermill.execute_notebook): when it is not
        the scheme of the kernel's last run, what the kernel kept for that one is dropped first (NEXT_SCHEME)."""
        with _Kernel.lock:
            if _Kernel.km is None:
                _Kernel.km = _new_manager()
                multiprocessing.util.Finalize(_Kernel, discard, exitpriority=10)
            client = _WarmClient(nb_man, km=_Kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                                 kernel_name=kernel_name, log=logging.getLogger("papermill"),
                                 log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file,
                                 extra_arguments=KERNEL_ARGS)
            client.kc = _Kernel.kc
            client.iv_scheme = scheme
            nb_man.save = lambda **kwargs: None  # written once when the run ends, as ColdEngine does
            try:
                nb = client.execute()
            except BaseException as exc:
                _Kernel.kc = client.kc
                discard()
                if isinstance(exc, Exception) and nothing_ran(nb_man):
                    raise _start_failure(exc) from exc
                raise
            _Kernel.kc = client.kc
            if any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", [])):
                discard()  # papermill records a failing cell without raising here: never reuse that state
            return nb


papermill_engines.register(ENGINE, WarmEngine)
papermill_engines.register(COLD_ENGINE, ColdEngine)

