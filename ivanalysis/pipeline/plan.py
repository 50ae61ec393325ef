"""The run matrix and its cache keys.

A run is (scheme, geography, scenario, period, data snapshot). Its cache key hashes everything that can change its
output: the notebook's cells, the package source the run executes (its scheme's module and what the run imports,
found statically), the parameter files, the run parameters and the input files the scheme reads. A run whose key
matches its last good output is not executed again.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

from ..config import check_scenario
from ..data.benchmark import benchmark_dir, is_benchmark
from ..data.coverage import annualise_partial_years
from ..data.io import file_identity, find_table, location, not_a_folder, sha256_file
from ..data.mapping import column_mapping
from ..data.schemas import nhs_number_tables
from ..errors import ConfigError
from ..geography import PROVIDERS, load_geography
from ..paths import PARAMS_DIR, ROOT, default_data_dir, runs_dir
from ..results import Period, label_of_year
from ..schemes import registry

if TYPE_CHECKING:
    from upath import UPath


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


def check_period(period: str | None) -> None:
    """A period is a financial year written like 2017/18: anything else is a usage error, before any run starts."""
    if period is None:
        return
    try:
        Period.financial_year(period)
    except ConfigError:
        m = re.fullmatch(r"\s*(\d{4})\s*[-_ .]\s*(\d{2}|\d{4})\s*", period)
        guess = f" (did you mean {label_of_year(int(m.group(1)))}?)" if m else ""
        raise ConfigError(f"--period {period!r} is not a financial year: write it like 2017/18, the year that starts "
                          f"in April 2017{guess}") from None


def _split(values: list[str] | None) -> list[str] | None:
    """Accept repeated options and comma-separated lists alike."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def plan(schemes: list[str] | None = None, geographies: list[str] | None = None, *, scenario: str = "moderate",
         data_dir: Path | None = None, period: str | None = None) -> list[RunSpec]:
    """Every (scheme, geography) asked for; by default every implemented scheme for England and each hub."""
    check_scenario(scenario)
    check_period(period)
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
    if (problem := not_a_folder(data)) is not None:
        raise ConfigError(problem + ("" if data.exists() else " (run `ivanalysis synth` to create the synthetic set)"))
    return [RunSpec(i.id, a.code, scenario, str(data), period, str(registry.notebook_path(i)))
            for i in infos for a in areas]


# What every run imports besides its scheme: the worker's side that executes the notebook (execute, the warm kernel)
# and the page the notebook calls. What each of these imports, transitively, is found statically (code_digest).
RUN_MODULES = ("ivanalysis.pipeline.execute", "ivanalysis.pipeline.warm", "ivanalysis.page")


@lru_cache(maxsize=1)
def _import_graph():
    import grimp

    # imports under `if TYPE_CHECKING:` never run; cache_dir=None: grimp writes no cache folder
    return grimp.build_graph("ivanalysis", exclude_type_checking_imports=True, cache_dir=None)


def imported_modules(roots: Iterable[str]) -> set[str]:
    """The package modules that importing `roots` runs: the roots, what they import (at the top or inside a function),
    transitively, and the packages that hold them (their __init__ runs first). A module imported by name at run time
    (importlib: the registry loads the run's scheme, data.schemas every table's schema) is not seen: name it as a
    root."""
    graph = _import_graph()
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in graph.modules:
            raise ConfigError(f"the run cache key names module {name}, which the package does not have")
        seen.add(name)
        todo += graph.find_modules_directly_imported_by(name)
        if "." in name:
            todo.append(name.rsplit(".", 1)[0])
    return seen


def module_file(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def notebook_imports(path: Path) -> set[str]:
    """The package modules the notebook's code cells import (lines of IPython magic left out)."""
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        code = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            # `from x import y`: y may be a module
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names & _import_graph().modules  # a name the package lacks fails the run itself, with its own error


@cache
def code_digest(scheme_id: str, notebook: str) -> str:
    """Hash of the package source one scheme's runs execute: its module, the schemas of its input tables, what the
    notebook imports and RUN_MODULES, each with what it imports. Editing one scheme re-executes that scheme's runs
    only; editing what only builds the book around the runs (pipeline/book.py, packs ...) none."""
    roots = {f"ivanalysis.schemes.{scheme_id}", *RUN_MODULES, *notebook_imports(Path(notebook)),
             *(f"ivanalysis.data.schemas.{t}" for t in registry.input_tables(scheme_id))}
    h = hashlib.sha256()
    for name in sorted(imported_modules(roots)):
        h.update(name.encode())
        h.update(_source_digest(module_file(name)).encode())
    return h.hexdigest()


@cache
def _source_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def notebook_digest(path: Path) -> str:
    """Hash of the cells' type, source and tags, not their stored outputs (the reference outputs change freely)."""
    nb = nbformat.read(path, as_version=4)
    cells = [[c.cell_type, c.source, sorted(c.get("metadata", {}).get("tags", []))] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


class FileHasher:
    """sha256 of input files, computed once per file per build."""

    def __init__(self) -> None:
        self._seen: dict[tuple, str] = {}

    def __call__(self, path: Path | UPath) -> str:
        key = file_identity(path)
        if key not in self._seen:
            self._seen[key] = sha256_file(path)
        return self._seen[key]


def cache_key(spec: RunSpec, hasher: FileHasher | None = None) -> str:
    hasher = hasher or FileHasher()
    parts = {
        "spec": {k: v for k, v in asdict(spec).items() if k != "data_dir"},
        "notebook": notebook_digest(Path(spec.notebook)),
        "code": code_digest(spec.scheme, spec.notebook),
        "geography": sha256_file(PARAMS_DIR / "geography.yaml"),
        "assumptions": sha256_file(PARAMS_DIR / "schemes" / f"{spec.scheme}.yaml"),
        "inputs": {t: hasher(find_table(spec.data_dir, t)) for t in registry.input_tables(spec.scheme)},
    }
    nhs = sorted(nhs_number_tables() & set(registry.input_tables(spec.scheme)))
    if nhs:  # their NHS numbers are checked: a run validated without that check is not this run
        parts["nhs_numbers"] = nhs
    if annualise_partial_years():  # a year that is not whole is then scaled to a year, not refused: another run
        parts["annualise_partial_years"] = True
    mapped = {t: sorted(column_mapping(t).items()) for t in registry.input_tables(spec.scheme) if column_mapping(t)}
    if mapped:  # the extract's columns read under other names (--columns): another run
        parts["columns"] = mapped
    if os.environ.get(PROVIDERS, "").strip():  # the analyst's providers merged with the geography (--providers)
        parts["providers"] = sha256_file(Path(os.environ[PROVIDERS].strip()))
    if not is_benchmark(spec.data_dir):  # England's other providers read from benchmark data (--benchmark-data)
        parts["benchmark"] = {t: hasher(find_table(benchmark_dir(), t)) for t in registry.input_tables(spec.scheme)}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
