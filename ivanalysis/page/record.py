"""The page's record of a run: results.json built from the scheme's result (the model is results.record.RunResult),
with what the figures come from (code version, input files, parameters)."""
from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..config import SCENARIOS
from ..data.benchmark import benchmark_dir, is_benchmark
from ..data.coverage import Coverage
from ..data.io import find_table, sha256_file
from ..paths import ROOT
from ..results import (
    ComponentRecord,
    DataCoverage,
    InputFile,
    KpiRecord,
    MeasureRecord,
    PoundsRecord,
    Provenance,
    QuantityRecord,
    Range,
    RunParameters,
    RunResult,
    ScenarioValues,
    SchemeResult,
)
from ..results.record import identity
from ..sdc import SUPPRESSED, control_count, control_quantity


@lru_cache(maxsize=1)
def git_state() -> dict:
    """The commit the code came from, and whether the working tree had changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": None}


def display_path(path: Path) -> str:
    """A path as pages show it: relative to the project root when it lies inside it (the same on every machine);
    outside it, the folder or file's own name only, so that no page publishes the build machine's folders (a user's
    name, a share's layout); URLs as they are, without any credentials in them."""
    if "://" in str(path):
        return re.sub(r"//[^/@]*@", "//", str(path))
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return f".../{path.name}"


def input_files(data_dir: Path, tables: tuple[str, ...]) -> dict[str, InputFile]:
    files = {}
    for name in tables:
        path = find_table(data_dir, name)
        files[name] = InputFile(file=display_path(path), sha256=sha256_file(path))
    if not is_benchmark(data_dir):  # England's other providers came from benchmark data (--benchmark-data)
        for name in tables:
            path = find_table(benchmark_dir(), name)
            files[f"{name} (benchmark)"] = InputFile(file=display_path(path), sha256=sha256_file(path))
    return files


def provenance(parameters: RunParameters, inputs: dict[str, InputFile] | None = None,
               assumptions: dict[str, ScenarioValues] | None = None) -> Provenance:
    """The code version and the working tree's state, with what the run read (None when it never got that far)."""
    git = git_state()
    return Provenance(package_version=__version__, git_commit=git["commit"], git_dirty=git["dirty"], inputs=inputs,
                      parameters=parameters, assumptions=assumptions)


def _round(v):
    return None if v is None else round(float(v), 4)


def kpi_records(result: SchemeResult) -> list[KpiRecord]:
    controlled = not result.area.is_national
    out = []
    for k in result.kpis:
        value = k.value
        if controlled and k.unit == "count" and value is not None:
            value = control_count(value)  # published below England: disclosure-controlled
        out.append(KpiRecord(name=k.name, value=value if isinstance(value, str) else _round(value), target=k.target,
                             unit=k.unit, higher_is_better=k.higher_is_better, met=k.met, note=k.note))
    return out


def quantity_records(result: SchemeResult, withheld: str = "") -> list[QuantityRecord]:
    """The opportunity in the scheme's own units; below England each is controlled as a count (sdc.control_quantity),
    as the page shows it ('*' throughout when the run's opportunity is `withheld`)."""
    def value(v: float):
        return SUPPRESSED if withheld else control_quantity(v) if not result.area.is_national else round(v, 2)

    return [QuantityRecord(label=q.label, unit=q.unit, **{s: value(q.values.get(s)) for s in SCENARIOS})
            for q in result.quantities]


def pounds(r: Range, withheld: str = "") -> PoundsRecord:
    """A pound figure by scenario, to the penny ('*' when `withheld`)."""
    return PoundsRecord(**{s: SUPPRESSED if withheld else round(r.get(s), 2) for s in SCENARIOS})


def component_records(result: SchemeResult, withheld: str = "") -> list[ComponentRecord]:
    return [ComponentRecord(label=c.label, kind=c.kind, payer=c.payer, year=c.year, gross=pounds(c.gross, withheld),
                            implementation_cost=pounds(c.implementation_cost, withheld),
                            net=pounds(c.net, withheld),
                            in_totals=c.in_totals, why_not_in_totals=c.why_not_in_totals,
                            outside_totals=c.outside_totals, note=c.note)
            for c in result.opportunity.components]


def run_result(result: SchemeResult, *, scenario: str, parameters: dict, inputs: dict[str, InputFile],
               synthetic: bool, coverage: Coverage | None = None, withheld: str = "") -> RunResult:
    """What the run found, as results.json records it (`coverage`: what the data cover, and its warnings;
    `withheld`: why the opportunity is withheld below England, page/withholding.py)."""
    m = result.measure
    funnel = m.funnel.data
    local_flags = funnel[funnel["unit"].isin(result.area_providers)]
    worse = "low" if m.higher_is_better else "high"
    assumptions = {k: ScenarioValues(**{s: a.value(s) for s in SCENARIOS})
                   for k, a in result.params.assumptions.items()}
    return RunResult(
        **identity(result.scheme, result.area, result.period.label),
        status="ok",
        error=None,
        scenario=scenario,
        headline=result.params.headline,
        opportunity_gbp=pounds(result.opportunity.headline, withheld),
        withheld=withheld,
        opportunity_components=component_records(result, withheld),
        opportunity_units=quantity_records(result, withheld),
        kpis=kpi_records(result),
        measure=MeasureRecord(
            name=m.name,
            higher_is_better=m.higher_is_better,
            target=m.target,
            variation=m.trend.variation,
            assurance=m.trend.assurance,
            providers=int(len(local_flags)),
            providers_worse_998=sorted(local_flags.loc[local_flags["flag"] == f"{worse}_998", "unit"].tolist()),
        ),
        data=DataCoverage(
            synthetic=synthetic,
            first_month=f"{result.data_months[0]:%Y-%m}",
            last_month=f"{result.data_months[1]:%Y-%m}",
            annualised_from_months=coverage.annualised_from if coverage else None,
            warnings=coverage.warnings(result) if coverage else [],
        ),
        provenance=provenance(RunParameters(**parameters), inputs, assumptions),
    )
