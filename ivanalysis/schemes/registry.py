"""Which schemes exist and which are implemented; load one scheme's inputs and analyse them.

A scheme is implemented when its module (ivanalysis/schemes/<id>.py), its notebook (notebooks/NN_<id>.ipynb) and
its assumptions (params/schemes/<id>.yaml) all exist: adding a scheme changes nothing here.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pandas as pd

from .. import memo
from ..catalogue import BY_ID, CATALOGUE, SchemeInfo
from ..config import SchemeParams, load_scheme_params
from ..errors import ConfigError, DataError
from ..geography import Area, Geography, load_geography
from ..paths import NOTEBOOKS_DIR, PARAMS_DIR
from ..results import Period, RunContext, SchemeResult
from .contract import Scheme, Tables


def get(scheme_id: str) -> SchemeInfo:
    try:
        return BY_ID[scheme_id]
    except KeyError:
        raise ConfigError(f"unknown scheme {scheme_id!r}: known schemes are {', '.join(BY_ID)}") from None


def notebook_path(info: SchemeInfo) -> Path:
    return NOTEBOOKS_DIR / info.notebook_name


def is_implemented(info: SchemeInfo) -> bool:
    return (importlib.util.find_spec(f"ivanalysis.schemes.{info.id}") is not None
            and notebook_path(info).exists() and (PARAMS_DIR / "schemes" / f"{info.id}.yaml").exists())


def implemented() -> list[SchemeInfo]:
    return [s for s in CATALOGUE if is_implemented(s)]


def module(scheme_id: str) -> ModuleType:
    return scheme(scheme_id).module


def scheme(scheme_id: str) -> Scheme:
    """The scheme's module, loaded and its declarations checked (ivanalysis.schemes.contract)."""
    info = get(scheme_id)
    if not is_implemented(info):
        raise ConfigError(f"scheme {scheme_id!r} (Menu chapter {info.number}) is not implemented yet")
    return Scheme.of(info, importlib.import_module(f"ivanalysis.schemes.{scheme_id}"))


def params(scheme_id: str) -> SchemeParams:
    return load_scheme_params(scheme_id, required=scheme(scheme_id).assumptions)


def input_tables(scheme_id: str) -> tuple[str, ...]:
    return scheme(scheme_id).tables


def input_columns(scheme_id: str, table: str) -> tuple[str, ...] | None:
    """The columns of `table` the scheme uses (its INPUT_COLUMNS); None when it does not say (it gets them all)."""
    return scheme(scheme_id).input_columns.get(table)


def analyse(scheme_id: str, geography_code: str, data_dir: Path, period: str | None = None,
            geography: Geography | None = None) -> SchemeResult:
    """params + tables -> load (validated; only the columns the scheme uses) -> the scheme's pure analysis."""
    from ..data.benchmark import benchmark_dir, is_benchmark
    from ..data.io import MissingColumns, file_identity, find_table, load_table

    geo = geography or load_geography()
    s = scheme(scheme_id)
    require_columns(s, data_dir)

    def load(name: str) -> pd.DataFrame:
        try:
            return load_table(data_dir, name, geo, s.input_columns.get(name))
        except MissingColumns as exc:  # e.g. in the benchmark data (the extract's are checked above)
            raise DataError(f"{exc.file}: " + "; ".join(lacks(s.info.id, exc.table, c) for c in exc.missing)
                            + f" (columns found: {', '.join(exc.found) or 'none'})", file=exc.file) from None

    tables = LazyTables(load, s.tables)
    files = tuple(file_identity(find_table(data_dir, name)) for name in s.tables)
    if not is_benchmark(data_dir):  # England's other providers read from benchmark data: another England
        files += tuple(file_identity(find_table(benchmark_dir(), name)) for name in s.tables)
    return analyse_tables(scheme_id, tables, geo.get(geography_code), period, geo, data_identity=files)


# Data minimisation: a table's required columns (its key, date and provider or area: TableSpec.required) are in every
# extract; any other column is needed only by the schemes that read it (INPUT_COLUMNS), so an extract for some
# schemes may leave out what only others read (an identifier above all). A run says which column it lacks, and why.
def lacks(scheme_id: str, table: str, column: str) -> str:
    """'<table> has no column <column>, which <scheme> needs ...': why a scheme cannot run without a column."""
    from ..data.schemas import TABLES

    spec = TABLES[table]
    described = spec.schema.columns[column].description or ""
    if column == spec.patient_column:
        why = "needs to tell one patient from another (any pseudonymised identifier will do)"
    elif column in spec.identifiers:
        why = f"needs to tell one record from another ({described}; any pseudonymised identifier will do)"
    else:
        why = f"reads ({described})"
    return f"{table} has no column {column}, which {scheme_id} {why}"


def require_columns(s: Scheme, data_dir: Path) -> None:
    """Refuse a run whose scheme reads a column the extract's table lacks, before anything is read: naming the
    scheme, the table, each column and why."""
    from ..data.io import columns_present, find_table, header
    from ..data.schemas import TABLES

    lacking = {}  # file -> what it lacks
    for name in s.tables:
        path = find_table(data_dir, name)
        present = columns_present(path, TABLES[name])
        if present is None:  # a header that cannot be read: loading the table says why
            continue
        if missing := [c for c in s.input_columns[name] if c not in present]:
            lacking[path] = [lacks(s.info.id, name, c) for c in missing]
    if lacking:
        said = [f"{'; '.join(lines)} ({path} has columns {', '.join(header(path) or []) or 'none'})"
                for path, lines in lacking.items()]
        raise DataError("; ".join(said) + ". Add the column(s) to the extract (`ivanalysis template` writes every "
                        "table's header row), or map the extract's own names onto ours with --columns mapping.yaml",
                        file=str(next(iter(lacking))))


def schemes_needing(table: str, columns: Iterable[str]) -> dict[str, list[str]]:
    """The implemented schemes that read any of `columns` of `table`, each with those it reads: the schemes that
    cannot run on an extract whose table lacks them."""
    columns = set(columns)
    out = {}
    for info in implemented():
        wanted = scheme(info.id).input_columns.get(table, ())
        if needed := [c for c in wanted if c in columns]:
            out[info.id] = needed
    return out


def analyse_tables(scheme_id: str, tables: Tables, area: Area, period: str | Period | None = None,
                   geography: Geography | None = None, params_: SchemeParams | None = None,
                   data_identity: tuple | None = None) -> SchemeResult:
    """The one place a scheme's analysis is called, on tables in memory (tests call it directly).

    With `data_identity` (the input files' identities) the national part may come from the pipeline's cache."""
    s = scheme(scheme_id)
    geo = geography or load_geography()
    p = params_ or params(scheme_id)
    per = period if isinstance(period, Period) else Period.financial_year(period or p.period)
    run = RunContext(s.info, area, p, per, geo)
    national = None
    if s.national is not None and data_identity is not None:
        national = _national(s, tables, p, per, geo, data_identity)
    return s.run(tables, run, national)


class LazyTables(Mapping):
    """A scheme's input tables by name, each read (and validated) when first used: a hub run whose national part a
    warm kernel kept may need few of them, or none (a table in memory is handed out as a copy, which costs)."""

    def __init__(self, load: Callable[[str], pd.DataFrame], names: tuple[str, ...]) -> None:
        self._load, self._names, self._loaded = load, tuple(names), {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._loaded:
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


# A scheme may split its analysis in two (see contract.py): national(), the work on every provider in England that is
# the same whatever the area, and analyse(), the area's part. A warm kernel runs one scheme for England and every hub
# in turn, so its RunCache (ivanalysis.memo) keeps the current scheme's national results and each later run only does
# its area's part. analyse() must treat them as read-only (tests/integration/test_national.py checks it). Elsewhere
# nothing is kept.
def _national(s: Scheme, tables: Tables, p: SchemeParams, period: Period, geo: Geography,
              data_identity: tuple) -> object:
    key = (s.info.id, period.label, p.model_dump_json(), id(geo), data_identity)
    return memo.current().national.get(key, lambda: s.compute_national(tables, p, period, geo), holds=(geo,))
