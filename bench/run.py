"""Benchmark of the build: run by hand (`make bench`, or `.venv/bin/python bench/run.py`), never as a test.

Writes a Markdown table of the figures to stdout and to bench/results.md:

  baseline   the plain approach an analyst would write, on a subset of runs: the papermill command line in a
             loop (a new kernel per run), then `jupyter-book build`
  ours       `ivanalysis build --force` on the same subset (warm kernels, parallel workers, parallel Sphinx)
  full       `ivanalysis build --force`: every implemented scheme x England and the 10 hubs, then the book
             (`--only cold` builds it --repeat times, 3 by default, and gives the median)
  warm       `make book` again with nothing changed: `ivanalysis audit` (today's result reused) and `ivanalysis build`
  one change one hub's rows changed in one table: the runs that read it execute, the book rebuilds
  one scheme one scheme's module edited: its runs execute, its pages and the packs that hold it are made again
  single     `ivanalysis run` of one scheme for one hub against the bare papermill command line
  scales     synthetic data at scale 0.1, 1 and 10: rows, synth time, the slowest England run and the peak memory of
             any single run (the kernel's maximum resident set, from getrusage of a cold run)
  scale10    (`--only scale10`) the cold full build at scale 1 and at scale 10: time, phases, memory of all processes
  make test  (`--only make-test`) the README's test command on this checkout, as CI runs it (CI=1), timed

Everything runs in a private folder (bench/_work, or --work) so the project's own _build is never touched.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = Path(PY).parent
SUBSET = ["immunoglobulin_itp", "critical_care_delayed_discharge", "prostate_fractionation"]  # memory: growth
SUBSET_GEOGRAPHIES = ["ENG", "LON"]  # the side-by-side subset: every scheme for England and one hub (40 runs)
EDITED_SCHEME = "prostate_fractionation"  # "one scheme edited": a comment added to its module, then taken out


def sh(cmd: list[str], env: dict | None = None, check: bool = True) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t


def env_for(build: Path, data: Path | None = None) -> dict:
    env = dict(os.environ, IVANALYSIS_BUILD_DIR=str(build))
    if data:
        env["IVANALYSIS_DATA_DIR"] = str(data)
    return env


def geographies() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from ivanalysis.geography import load_geography

    return [a.code for a in load_geography().run_geographies()]


def implemented() -> list[str]:
    from ivanalysis.schemes import registry

    return [s.id for s in registry.implemented()]


def baseline(work: Path, data: Path, schemes: list[str], geos: list[str] | None = None) -> float:
    """papermill's command line for each run (every geography by default), one after another, then jupyter-book
    build on the results."""
    from ivanalysis.schemes import registry

    build = work / "baseline" / "_build"
    shutil.rmtree(build.parent, ignore_errors=True)
    env = env_for(build, data)
    t = time.perf_counter()
    for scheme in schemes:
        nb = registry.notebook_path(registry.get(scheme))
        for geo in geos or geographies():
            run = build / "runs" / scheme / geo
            run.mkdir(parents=True)
            started = time.perf_counter()
            sh([str(BIN / "papermill"), str(nb), str(run / f"{geo}.ipynb"), "-p", "geography", geo,
                "-p", "data_dir", str(data), "-p", "output_dir", str(run), "--no-progress-bar"], env)
            # what the book's build status page reads about a run
            (run / "run.json").write_text(json.dumps({
                "scheme": scheme, "geography": geo, "status": "ok", "key": None, "error": None,
                "duration_s": round(time.perf_counter() - started, 2), "finished_at": time.time()}))
    # the book from those notebooks, as jupyter-book's command line builds it (serial Sphinx)
    code = ("import sys; from pathlib import Path; from ivanalysis.pipeline import book; "
            "book.stage(Path(sys.argv[1]))")
    sh([PY, "-c", code, str(data)], env)
    sh([str(BIN / "jupyter-book"), "build", str(build / "book"), "--path-output", str(build.parent), "-q"], env)
    return time.perf_counter() - t


class PeakRSS:
    """Samples the resident memory of a process's descendants (the workers and their warm kernels) while it runs:
    the largest any one of them reached, and the largest they held together."""

    def __init__(self, pid: int, every_s: float = 0.2):
        import threading

        self.pid, self.every_s, self.one, self.all = pid, every_s, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        while not self._stop.wait(self.every_s):
            try:
                procs = psutil.Process(self.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                return
            rss = []
            for proc in procs:
                try:
                    rss.append(proc.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            if rss:
                self.one, self.all = max(self.one, max(rss)), max(self.all, sum(rss))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def ours(work: Path, data: Path, schemes: list[str] | None, name: str,
         geos: list[str] | None = None) -> tuple[float, str, PeakRSS]:
    build = work / name / "_build"
    shutil.rmtree(build.parent, ignore_errors=True)
    cmd = [str(BIN / "ivanalysis"), "build", "--force", "--data-dir", str(data)]
    for s in schemes or []:
        cmd += ["--schemes", s]
    for g in geos or []:
        cmd += ["--geographies", g]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env_for(build), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    peak = PeakRSS(proc.pid)
    stdout, _ = proc.communicate()
    elapsed = time.perf_counter() - t
    peak.stop()
    if proc.returncode != 0:
        sys.exit(f"ivanalysis build failed:\n{stdout[-3000:]}")
    return elapsed, stdout, peak


def rebuild(work: Path, data: Path, name: str) -> tuple[float, str]:
    cmd = [str(BIN / "ivanalysis"), "build", "--data-dir", str(data)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env_for(work / name / "_build"), capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"ivanalysis build failed:\n{proc.stdout[-3000:]}")
    return time.perf_counter() - t, proc.stdout


def warm_make_book(work: Path, data: Path, name: str) -> tuple[float, str]:
    """What `make book` runs, with nothing changed since the last build: the audit (today's result of this lock
    reused: one audit beforehand, not timed, as the day's first `make book` made it) and the build, the data named
    as `make book` names it (IVANALYSIS_DATA_DIR)."""
    env = env_for(work / name / "_build", data)
    audit = [str(BIN / "ivanalysis"), "audit"]
    sh(audit, env, check=False)  # exits 1 when the audit is incomplete (no network): `make book` goes on then too
    rebuild(work, data, name)  # the day's first audit goes on the status page: that build, too, is not timed
    t = time.perf_counter()
    sh(audit, env, check=False)
    proc = subprocess.run([str(BIN / "ivanalysis"), "build"], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"ivanalysis build failed:\n{proc.stdout[-3000:]}")
    return time.perf_counter() - t, proc.stdout


def edit_one_scheme(work: Path, data: Path, name: str) -> tuple[float, str]:
    """A comment added to one scheme's module (its runs' cache key hashes the module: they execute again), the build
    timed, then the module put back as it was."""
    from ivanalysis.schemes import registry

    module = Path(registry.module(EDITED_SCHEME).__file__)
    source = module.read_bytes()
    try:
        module.write_bytes(source + b"\n# bench/run.py: an edit, taken out when the build is measured\n")
        return rebuild(work, data, name)
    finally:
        module.write_bytes(source)


def change_one_hub(data: Path, table: str, hub: str) -> None:
    """Shift one date by a day in one provider's row of one hub: a real change to one hub's rows."""
    import pandas as pd

    from ivanalysis.data.schemas import TABLES
    from ivanalysis.geography import load_geography

    path = data / f"{table}.parquet"
    df = pd.read_parquet(path)
    spec = TABLES[table]
    row = df.index[df[spec.provider_column].isin(load_geography().get(hub).providers)][0]
    df.loc[row, spec.date_column] = df.loc[row, spec.date_column] + pd.Timedelta(days=1)
    df.to_parquet(path, index=False, compression="zstd")


def single(work: Path, data: Path, scheme: str, geo: str) -> tuple[float, float]:
    from ivanalysis.schemes import registry

    build = work / "single" / "_build"
    shutil.rmtree(build.parent, ignore_errors=True)
    env = env_for(build, data)
    ours_t = min(sh([str(BIN / "ivanalysis"), "run", scheme, "-g", geo, "--data-dir", str(data), "--force"], env)
                 for _ in range(3))
    out = work / "single" / "bare"
    out.mkdir(parents=True, exist_ok=True)
    nb = registry.notebook_path(registry.get(scheme))
    bare_t = min(sh([str(BIN / "papermill"), str(nb), str(out / "out.ipynb"), "-p", "geography", geo, "-p",
                     "data_dir", str(data), "-p", "output_dir", str(out), "--no-progress-bar"], env)
                 for _ in range(3))
    return ours_t, bare_t


PEAK = """
import json, resource, sys, time
from ivanalysis.pipeline.plan import plan
from ivanalysis.pipeline.execute import produce_run
spec = plan([sys.argv[1]], [sys.argv[2]], data_dir=sys.argv[3])[0]
t = time.perf_counter()
product = produce_run(spec, warm=False)
print(json.dumps({"error": product.error, "seconds": time.perf_counter() - t,
                  "kernel_max_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def run_peak(data: Path, scheme: str, geo: str, work: Path) -> dict:
    """One cold run (a kernel of its own), its input tables already validated once, as in a build."""
    env = env_for(work / "peak" / "_build")
    code = ("import sys; from ivanalysis.pipeline.execute import prevalidate; from ivanalysis.schemes import registry\n"
            "[prevalidate(sys.argv[2], t) for t in registry.input_tables(sys.argv[1])]")
    subprocess.run([PY, "-c", code, scheme, str(data)], cwd=ROOT, env=env, check=True)
    proc = subprocess.run([PY, "-c", PEAK, scheme, geo, str(data)], cwd=ROOT, capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        sys.exit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def scales(work: Path, values: list[float], schemes: list[str]) -> list[dict]:
    """For each scale: synthesise the tables `schemes` read, then run each scheme for England, cold, measuring it."""
    from ivanalysis.schemes import registry

    tables = sorted({t for s in schemes for t in registry.input_tables(s)})
    rows = []
    for scale in values:
        data = work / f"data_scale_{scale:g}_subset"
        shutil.rmtree(data, ignore_errors=True)
        t = time.perf_counter()
        cmd = [str(BIN / "ivanalysis"), "synth", "--out", str(data), "--scale", str(scale)]
        for name in tables:
            cmd += ["--tables", name]
        sh(cmd)
        synth_s = time.perf_counter() - t
        manifest = json.loads((data / "MANIFEST.json").read_text())
        runs = {s: run_peak(data, s, "ENG", work) for s in schemes}
        worst_mem = max(runs, key=lambda s: runs[s]["kernel_max_rss_kb"])
        worst_time = max(runs, key=lambda s: runs[s]["seconds"])
        failed = [s for s, r in runs.items() if r["error"]]
        rows.append({"scale": scale, "rows": sum(t["rows"] for t in manifest["tables"].values()),
                     "largest_table": max(manifest["tables"].items(), key=lambda kv: kv[1]["rows"]),
                     "synth_s": synth_s, "peak_mb": runs[worst_mem]["kernel_max_rss_kb"] / 1024,
                     "peak_scheme": worst_mem, "slowest_s": runs[worst_time]["seconds"], "slowest_scheme": worst_time,
                     "mean_s": sum(r["seconds"] for r in runs.values()) / len(runs), "failed": failed})
        shutil.rmtree(data, ignore_errors=True)
    return rows


def timed(args, work: Path, data: Path, schemes: list[str]) -> list[str]:
    """The time measures: baseline against ours, cold full build, warm rebuild, one change, one run."""
    lines = ["| Measure | Runs | Time | Note |", "|---|---|---|---|"]
    subset_runs = len(schemes) * len(SUBSET_GEOGRAPHIES)
    ours_subset, _, _ = ours(work, data, None, "subset", SUBSET_GEOGRAPHIES)
    if not args.skip_baseline:
        base = baseline(work, data, schemes, SUBSET_GEOGRAPHIES)
        lines.append(f"| Baseline: papermill CLI loop + jupyter-book build | {subset_runs} | {base:.0f} s "
                     "| plain approach |")
        lines.append(f"| Ours: `ivanalysis build --force`, same runs | {subset_runs} | {ours_subset:.0f} s | "
                     f"**{base / ours_subset:.1f}x faster** |")
    else:
        lines.append(f"| Ours: `ivanalysis build --force`, subset | {subset_runs} | {ours_subset:.0f} s | |")

    full_t, full_out, peak = ours(work, data, None, "full")
    n_full = len(schemes) * len(geographies())
    lines.append(f"| Cold full build (`ivanalysis build --force`, then the book) | {n_full} | {full_t:.0f} s | "
                 f"{len(schemes)} schemes x {len(geographies())} geographies; {_phases(full_out)}; largest process "
                 f"{peak.one / 2**20:,.0f} MiB (a warm kernel), all together {peak.all / 2**20:,.0f} MiB |")
    warm_t, warm_out = rebuild(work, data, "full")
    lines.append(f"| Warm rebuild, nothing changed | {n_full} | {warm_t:.1f} s | {_summary(warm_out)} |")
    make_t, make_out = warm_make_book(work, data, "full")
    lines.append(f"| Warm `make book` (audit reused, then build), nothing changed | {n_full} | {make_t:.1f} s | "
                 f"{_summary(make_out)} |")
    change_one_hub(data, "radiotherapy", "LON")
    one_t, one_out = rebuild(work, data, "full")
    lines.append(f"| One hub's rows changed in one table (radiotherapy, London) | {n_full} | {one_t:.1f} s | "
                 f"{_summary(one_out)}; {_phases(one_out)} |")
    sh([str(BIN / "ivanalysis"), "synth", "--out", str(data), "--tables", "radiotherapy"])  # put it back
    rebuild(work, data, "full")  # its runs again, on the table as it was
    edit_t, edit_out = edit_one_scheme(work, data, "full")
    lines.append(f"| One scheme's module edited ({EDITED_SCHEME}) | {n_full} | {edit_t:.1f} s | "
                 f"{_summary(edit_out)}; {_phases(edit_out)} |")
    ours_one, bare_one = single(work, data, "prostate_fractionation", "LON")
    lines.append(f"| `ivanalysis run prostate_fractionation -g LON` vs bare papermill | 1 | {ours_one:.1f} s vs "
                 f"{bare_one:.1f} s | ratio {ours_one / bare_one:.2f} (best of 3 each) |")
    return lines


def cold(args, work: Path, data: Path, schemes: list[str]) -> list[str]:
    """The cold full build `--repeat` times in a row, each from an empty build folder: on a shared virtual machine one
    build can differ from the next by 10% or more, so the median says more than any one of them."""
    n_full = len(schemes) * len(geographies())
    times = []
    lines = ["| Cold full build | Runs | Time | Phases |", "|---|---|---|---|"]
    for i in range(args.repeat):
        t, out, _ = ours(work, data, None, "full")
        times.append(t)
        lines.append(f"| {i + 1} of {args.repeat} | {n_full} | {t:.0f} s | {_phases(out)} |")
    lines.append(f"| median | {n_full} | **{statistics.median(times):.0f} s** | limit 120 s |")
    return lines


def scale10(work: Path, data: Path, schemes: list[str]) -> list[str]:
    """The cold full build on the default data (scale 1) and on ten times the rows (`ivanalysis synth --scale 10`,
    every table): time, each phase, and the resident memory of all the build's processes together at their peak
    (limits: 15 minutes, 8 GiB). About 20 minutes in all on 2 cores."""
    n_full = len(schemes) * len(geographies())
    data10 = work / "data_scale_10"
    if not (data10 / "MANIFEST.json").exists():
        sh([str(BIN / "ivanalysis"), "synth", "--out", str(data10), "--scale", "10"])
    lines = ["| Cold full build | Rows | Runs | Time | Phases | Largest process | All processes |",
             "|---|---|---|---|---|---|---|"]
    for scale, folder in (("1", data), ("10", data10)):
        rows = sum(t["rows"] for t in json.loads((folder / "MANIFEST.json").read_text())["tables"].values())
        t, out, peak = ours(work, folder, None, f"full_scale_{scale}")
        lines.append(f"| scale {scale} | {rows:,} | {n_full} | {t:.0f} s | {_phases(out)} | "
                     f"{peak.one / 2**20:,.0f} MiB | {peak.all / 2**20:,.0f} MiB |")
    return lines


def full_ratio(work: Path, data: Path, schemes: list[str]) -> list[str]:
    """Baseline against ours on every run of the book (20 schemes x 11 geographies): the ratio with the fixed costs
    (kernel start, Sphinx, the PDF packs) spread over the whole matrix. The baseline takes about 15 minutes."""
    n_full = len(schemes) * len(geographies())
    full_t, full_out, _ = ours(work, data, None, "full")
    base = baseline(work, data, schemes)
    return ["| Measure | Runs | Time | Note |", "|---|---|---|---|",
            f"| Baseline: papermill CLI loop + jupyter-book build, every run | {n_full} | {base:.0f} s | plain "
            "approach |",
            f"| Ours: `ivanalysis build --force`, same runs | {n_full} | {full_t:.0f} s | **{base / full_t:.1f}x "
            f"faster**; {_phases(full_out)} |"]


def memory(args, work: Path, data: Path, schemes: list[str]) -> list[str]:
    """The memory measures: every scheme's England run at scale 1, then the subset's growth with rows."""
    peaks = {s: run_peak(data, s, "ENG", work) for s in schemes}
    lines = ["Every scheme, England, scale 1, one cold run each (inputs validated beforehand, as in a build):", "",
             "| Scheme | Run time | Peak memory of the kernel |", "|---|---|---|"]
    for s, r in sorted(peaks.items(), key=lambda kv: -kv[1]["kernel_max_rss_kb"]):
        lines.append(f"| {s} | {r['seconds']:.1f} s | {r['kernel_max_rss_kb'] / 1024:,.0f} MiB |"
                     + (f" FAILED: {r['error']}" if r["error"] else ""))
    lines += ["", f"Growth with rows: the subset ({', '.join(SUBSET)}), its tables at each scale:", "",
              "| Scale | Rows (its tables) | Largest table | Synth | Mean England run | Slowest England run | "
              "Peak memory of a run |", "|---|---|---|---|---|---|---|"]
    for r in scales(work, [float(v) for v in args.scales.split(",")], SUBSET):
        name, info = r["largest_table"]
        lines.append(f"| {r['scale']:g} | {r['rows']:,} | {name} ({info['rows']:,}) | {r['synth_s']:.0f} s | "
                     f"{r['mean_s']:.1f} s | {r['slowest_s']:.1f} s ({r['slowest_scheme']}) | "
                     f"{r['peak_mb']:,.0f} MiB ({r['peak_scheme']})"
                     + (f" FAILED: {', '.join(r['failed'])}" if r["failed"] else "") + " |")
    return lines


def make_test(work: Path) -> list[str]:
    """`make test` as CI runs it (CI=1: the browser and PDF tests fail rather than skip), on this checkout: its time,
    pytest's summary line and the tests that failed (the goal: within 8 minutes on a quiet 2-core machine). Its
    whole output is kept in `work`/make-test.log."""
    started = time.time()
    done = subprocess.run(["make", "test"], cwd=ROOT, env=os.environ | {"CI": "1"}, capture_output=True, text=True)
    took = time.time() - started
    work.mkdir(parents=True, exist_ok=True)
    (work / "make-test.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    lines = done.stdout.splitlines()
    summary = next((line.strip("= ") for line in reversed(lines) if " in " in line
                    and ("passed" in line or "failed" in line)), "no pytest summary")
    failed = [line.split()[1] for line in lines if line.startswith(("FAILED ", "ERROR "))]
    note = summary + (f"; failed: {', '.join(failed)}" if failed else "")
    return ["| Measure | Time | Note |", "|---|---|---|",
            f"| `make test` (exit {done.returncode}) | {took:.0f} s | {note} (output: {work / 'make-test.log'}) |"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "_work")
    ap.add_argument("--scales", default="0.1,1,10", help="data scales for the memory and growth table")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--only", choices=["time", "memory", "full-ratio", "cold", "scale10", "make-test"],
                    help="only the time measures, or only the memory ones (memory does not depend on the load of "
                         "the machine; time does), or only baseline against ours on every run of the book, or only "
                         "the cold full build, --repeat times, or only the cold full build at scale 1 and 10, or only "
                         "`make test`")
    ap.add_argument("--repeat", type=int, default=3, help="cold full builds measured by --only cold")
    args = ap.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    data = work / "data_scale_1"
    if not (data / "MANIFEST.json").exists():
        sh([str(BIN / "ivanalysis"), "synth", "--out", str(data)])
    schemes = implemented()
    parts = []
    if args.only == "full-ratio":
        parts.append(full_ratio(work, data, schemes))
    if args.only == "cold":
        parts.append(cold(args, work, data, schemes))
    if args.only == "scale10":
        parts.append(scale10(work, data, schemes))
    if args.only == "make-test":
        parts.append(make_test(work))
    if args.only in (None, "time"):
        parts.append(timed(args, work, data, schemes))
    if args.only in (None, "memory"):
        parts.append(memory(args, work, data, schemes))
    text = "\n\n".join("\n".join(lines) for lines in parts) + "\n"
    print(text)
    (ROOT / "bench" / "results.md").write_text(
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {os.cpu_count()} cores with `bench/run.py`"
        + (f" --only {args.only}" if args.only else "") + ".\n\n" + text)


def _phases(stdout: str) -> str:
    """The build's own timings: the runs (validation of their input tables included), the book (Sphinx and the PDF
    hub packs included)."""
    patterns = (r"input tables validated \(([\d.]+) s\)", r"failed \(([\d.]+) s\)",
                r"printed\) in ([\d.]+) s|of the book\) in ([\d.]+) s|earlier prints\) in ([\d.]+) s",
                r"Sphinx built the pages in ([\d.]+) s", r"book built: .* \(([\d.]+) s\)")
    found = [re.search(pattern, stdout) for pattern in patterns]
    valid, runs, pdf, sphinx, book = (next((g for g in m.groups() if g), None) if m else None for m in found)
    return (f"runs {runs} s (of which validation {valid or 0} s), book {book} s (of which Sphinx {sphinx} s, "
            f"PDF packs {pdf or 0} s)")


def _summary(stdout: str) -> str:
    for line in stdout.splitlines():
        if " runs: " in line:
            return line.strip()
    return ""


if __name__ == "__main__":
    main()
