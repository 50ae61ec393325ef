"""The null test of counting beyond chance: run by hand (`.venv/bin/python bench/null_test.py`), never as a test.

For each benchmark-type scheme (its saving counts providers or areas above a benchmark), synthetic data are made
over several seeds at a small scale twice: as by default, and with `--null` (no true differences between providers
or areas: every one draws from England's rates). The scheme's England opportunity in the moderate scenario on null
data is chance alone; the test reports it as a share of the default data's at the same scale and seeds. The goal
(the issue 'Opportunity you can defend'): under 5%.

The opportunity measured is the scheme's gross gap in pounds: the sum of its opportunity components' gross values
(before implementation costs, whatever their kind or payer), so that a component that stands beside the headline,
such as Where to Look's, counts too.

Writes a Markdown table to stdout and to bench/null_results.md (or --out). Works in bench/_work/null (ignored by
git), never in the project's _build.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# schemes whose saving counts providers or areas above a benchmark set from the data (a percentile of providers,
# England's rate, the best peers): chance moves both the units and the benchmark
BENCHMARK_SCHEMES = ("antifungal_stewardship", "where_to_look", "virtual_biologics_clinics", "patient_activation",
                     "clinical_utilisation_review", "rheumatology_network", "shared_decision_making", "atain_neonatal")
GOAL = 0.05


def gross_moderate(result) -> float:
    """The scheme's gross gap in the moderate scenario: every opportunity component's gross, or, for a result
    without components, its headline."""
    opportunity = getattr(result, "opportunity", None)
    if opportunity is None:
        return float(result.opportunity_gbp.moderate)
    return float(sum(c.gross.moderate for c in opportunity.components))


def measure(schemes: list[str], seeds: list[int], scale: float, work: Path, log=print) -> dict:
    """{scheme: {"default": [per seed], "null": [per seed]}}: England's moderate gross gap on each data set."""
    os.environ["IVANALYSIS_BUILD_DIR"] = str(work / "_build")  # validated-table cache: ours, not the project's
    sys.path.insert(0, str(ROOT))
    from ivanalysis.data.synth import generate
    from ivanalysis.schemes import registry

    tables = sorted({t for s in schemes for t in registry.input_tables(s)})
    out = {s: {"default": [], "null": []} for s in schemes}
    for seed in seeds:
        for kind in ("default", "null"):
            t = time.perf_counter()
            data = work / f"seed{seed}_{kind}"
            shutil.rmtree(data, ignore_errors=True)
            generate(data, scale=scale, seed=seed, tables=tables, null=kind == "null")
            for s in schemes:
                out[s][kind].append(gross_moderate(registry.analyse(s, "ENG", data)))
            shutil.rmtree(data)
            shutil.rmtree(work / "_build", ignore_errors=True)
            log(f"seed {seed} {kind}: {time.perf_counter() - t:.0f} s")
    return out


def table(results: dict, seeds: list[int], scale: float) -> str:
    lines = [f"Null test, {len(seeds)} seeds ({seeds[0]} to {seeds[-1]}), scale {scale:g}: England, moderate scenario, "
             "gross gap in pounds a year (mean over seeds, and the lowest and highest seed).", "",
             "| Scheme | Default data | Null data | Null as a share of default | Under 5%? |", "|---|---|---|---|---|"]
    for s, r in results.items():
        d, n = statistics.mean(r["default"]), statistics.mean(r["null"])
        share = n / d if d else float("nan")
        lines.append(f"| {s} | £{d:,.0f} (£{min(r['default']):,.0f} to £{max(r['default']):,.0f}) | £{n:,.0f} "
                     f"(£{min(r['null']):,.0f} to £{max(r['null']):,.0f}) | {share:.1%} | "
                     f"{'yes' if share < GOAL else 'no'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="how many seeds (1, 2, ...)")
    ap.add_argument("--scale", type=float, default=0.1, help="synthetic volume relative to England's")
    ap.add_argument("--schemes", default=",".join(BENCHMARK_SCHEMES), help="comma-separated scheme ids")
    ap.add_argument("--work", type=Path, default=ROOT / "bench" / "_work" / "null")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "null_results.md")
    a = ap.parse_args(argv)
    seeds = list(range(1, a.seeds + 1))
    a.work.mkdir(parents=True, exist_ok=True)
    results = measure(a.schemes.split(","), seeds, a.scale, a.work, log=lambda m: print(m, file=sys.stderr))
    text = table(results, seeds, a.scale)
    print(text)
    a.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
