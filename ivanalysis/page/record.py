"""results.json: what one run found, for the landing matrix and hub packs (which read nothing else); and glue."""
from __future__ import annotations

import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..config import SCENARIOS
from ..data.io import find_table, sha256_file
from ..paths import ROOT
from ..results import SchemeResult
from ..sdc import control_count

SCHEMA_VERSION = 1


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
    """A path relative to the project root when it lies inside it (the same on every machine); URLs as they are."""
    if "://" in str(path):
        return str(path)
    path = Path(path).resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def input_files(data_dir: Path, tables: tuple[str, ...]) -> dict[str, dict]:
    files = {}
    for name in tables:
        path = find_table(data_dir, name)
        files[name] = {"file": display_path(path), "sha256": sha256_file(path)}
    return files


def _round(v):
    return None if v is None else round(float(v), 4)


def kpi_records(result: SchemeResult) -> list[dict]:
    controlled = not result.area.is_national
    out = []
    for k in result.kpis:
        value = k.value
        if controlled and k.unit == "count" and value is not None:
            value = control_count(value)  # published below England: disclosure-controlled
        out.append({"name": k.name, "value": value if isinstance(value, str) else _round(value), "target": k.target,
                    "unit": k.unit, "higher_is_better": k.higher_is_better, "met": k.met, "note": k.note})
    return out


def payload(result: SchemeResult, *, scenario: str, parameters: dict, inputs: dict, synthetic: bool) -> dict:
    m = result.measure
    funnel = m.funnel.data
    local_flags = funnel[funnel["unit"].isin(result.area_providers)]
    worse = "low" if m.higher_is_better else "high"
    return {
        "schema_version": SCHEMA_VERSION,
        "scheme": result.scheme.id,
        "scheme_number": result.scheme.number,
        "title": result.scheme.title,
        "theme": result.scheme.theme,
        "geography": result.area.code,
        "geography_name": result.area.name,
        "geography_level": result.area.level,
        "period": result.period.label,
        "period_start": result.period.start.date().isoformat(),
        "period_end": result.period.end.date().isoformat(),
        "status": "ok",
        "error": None,
        "scenario": scenario,
        "headline": result.params.headline,
        "opportunity_gbp": {s: round(result.opportunity_gbp.get(s), 2) for s in SCENARIOS},
        "opportunity_units": [{"label": q.label, "unit": q.unit, **{s: round(q.values.get(s), 2) for s in SCENARIOS}}
                              for q in result.quantities],
        "kpis": kpi_records(result),
        "measure": {
            "name": m.name,
            "higher_is_better": m.higher_is_better,
            "target": m.target,
            "variation": m.trend.variation,
            "assurance": m.trend.assurance,
            "providers": int(len(local_flags)),
            "providers_worse_998": sorted(local_flags.loc[local_flags["flag"] == f"{worse}_998", "unit"].tolist()),
        },
        "data": {
            "synthetic": synthetic,
            "first_month": f"{result.data_months[0]:%Y-%m}",
            "last_month": f"{result.data_months[1]:%Y-%m}",
        },
        "provenance": {
            "package_version": __version__,
            "git_commit": git_state()["commit"],
            "git_dirty": git_state()["dirty"],
            "inputs": inputs,
            "parameters": parameters,
            "assumptions": {k: {s: a.value(s) for s in SCENARIOS} for k, a in result.params.assumptions.items()},
        },
    }


def write_json(path: Path, data: dict) -> None:
    """Write atomically: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_results(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
