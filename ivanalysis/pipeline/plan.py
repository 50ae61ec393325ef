"""The run matrix and its cache keys.

A run is (scheme, geography, scenario, period, data snapshot). Its cache key hashes everything that can change its
output: the notebook's cells, the package source, the parameter files, the run parameters and the input files
the scheme reads. A run whose key matches its last good output is not executed again.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import nbformat

from ..config import check_scenario
from ..data.io import find_table, location, sha256_file
from ..errors import ConfigError
from ..geography import load_geography
from ..paths import PARAMS_DIR, ROOT, default_data_dir, runs_dir
from ..schemes import registry


@dataclass(frozen=True)
class RunSpec:
    scheme: str
    geography: str
    scenario: str
    data_dir: str  # absolute
    period: str | None
    notebook: str  # absolute path of the source notebook

    @property
    def run_dir(self) -> Path:
        return runs_dir() / self.scheme / self.geography

    @property
    def label(self) -> str:
        return f"{self.scheme}/{self.geography}"

    def parameters(self, output_dir: Path) -> dict:
        """The notebook's parameters (names must match its parameters cell: see check_notebook_parameters)."""
        values = {"geography": self.geography, "data_dir": self.data_dir, "scenario": self.scenario,
                  "period": self.period, "output_dir": str(output_dir)}
        return {k: values[k] for k in RUN_PARAMETERS}


RUN_PARAMETERS = ("geography", "data_dir", "scenario", "period", "output_dir")


def check_notebook_parameters(notebook: Path) -> None:
    """The notebook must declare exactly the parameters a run passes: papermill alone would only warn."""
    import papermill

    declared = set(papermill.inspect_notebook(str(notebook)))
    unknown = sorted(set(RUN_PARAMETERS) - declared)
    extra = sorted(declared - set(RUN_PARAMETERS))
    if unknown or extra:
        raise ConfigError(f"{notebook}: its parameters cell must declare {', '.join(RUN_PARAMETERS)}"
                          + (f"; missing {unknown}" if unknown else "") + (f"; unexpected {extra}" if extra else ""))


def _split(values: list[str] | None) -> list[str] | None:
    """Accept repeated options and comma-separated lists alike."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def plan(schemes: list[str] | None = None, geographies: list[str] | None = None, *, scenario: str = "moderate",
         data_dir: Path | None = None, period: str | None = None) -> list[RunSpec]:
    """Every (scheme, geography) asked for; by default every implemented scheme for England and each hub."""
    check_scenario(scenario)
    geo = load_geography()
    scheme_ids = _split(schemes) or [s.id for s in registry.implemented()]
    infos = [registry.get(s) for s in scheme_ids]
    for info in infos:
        registry.module(info.id)  # refuses a scheme that is not implemented
        registry.params(info.id)  # refuses bad assumptions before anything runs
        check_notebook_parameters(registry.notebook_path(info))
    codes = _split(geographies) or [a.code for a in geo.run_geographies()]
    areas = [geo.get(c) for c in codes]
    data = location(data_dir) if data_dir else default_data_dir()
    data = data.resolve()
    if not data.is_dir():
        raise ConfigError(f"data directory {data} does not exist (run `ivanalysis synth` to create the synthetic set)")
    return [RunSpec(i.id, a.code, scenario, str(data), period, str(registry.notebook_path(i)))
            for i in infos for a in areas]


# Modules a run never imports: they build the book around the runs (pages, packs, Sphinx), generate the synthetic
# data (a run reads the data files, whose own hashes are in its key) or drive the command line. Editing them must not
# execute every run again. tests/unit/test_plan_key.py checks that a run imports none of them.
NOT_IN_RUNS = ("cli.py", "data/synth/", "pipeline/audit.py", "pipeline/book.py", "pipeline/browser.py",
               "pipeline/build.py", "pipeline/lock.py", "pipeline/packs.py", "pipeline/references.py",
               "pipeline/scan.py", "pipeline/sphinx_build.py", "report/sphinx_html.py")


def run_sources() -> list[Path]:
    """The package's source files a run's output can depend on."""
    pkg = ROOT / "ivanalysis"
    return [path for path in sorted(pkg.rglob("*.py"))
            if not path.relative_to(pkg).as_posix().startswith(NOT_IN_RUNS)]


@lru_cache(maxsize=1)
def package_digest() -> str:
    """Hash of the package's source a run depends on: a change anywhere in that logic invalidates every run."""
    h = hashlib.sha256()
    pkg = ROOT / "ivanalysis"
    for path in run_sources():
        h.update(str(path.relative_to(pkg)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def notebook_digest(path: Path) -> str:
    """Hash of the cells' type, source and tags, not their stored outputs (the reference outputs change freely)."""
    nb = nbformat.read(path, as_version=4)
    cells = [[c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", []))] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


class FileHasher:
    """sha256 of input files, computed once per file per build."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: Path) -> str:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key not in self._seen:
            self._seen[key] = sha256_file(path)
        return self._seen[key]


def cache_key(spec: RunSpec, hasher: FileHasher | None = None) -> str:
    hasher = hasher or FileHasher()
    parts = {
        "spec": {k: v for k, v in asdict(spec).items() if k != "data_dir"},
        "notebook": notebook_digest(Path(spec.notebook)),
        "package": package_digest(),
        "geography": sha256_file(PARAMS_DIR / "geography.yaml"),
        "assumptions": sha256_file(PARAMS_DIR / "schemes" / f"{spec.scheme}.yaml"),
        "inputs": {t: hasher(find_table(spec.data_dir, t)) for t in registry.input_tables(spec.scheme)},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
