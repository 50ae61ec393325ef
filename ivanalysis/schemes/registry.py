"""Which schemes exist and which are implemented; load one scheme's inputs and analyse them.

A scheme is implemented when its module (ivanalysis/schemes/<id>.py), its notebook (notebooks/NN_<id>.ipynb) and
its assumptions (params/schemes/<id>.yaml) all exist: adding a scheme changes nothing here.
"""
from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType

import pandas as pd

from ..config import SchemeParams, load_scheme_params
from ..errors import ConfigError
from ..geography import Geography, load_geography
from ..paths import NOTEBOOKS_DIR, PARAMS_DIR
from .base import Period, SchemeResult
from .catalogue import BY_ID, CATALOGUE, SchemeInfo


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
    info = get(scheme_id)
    if not is_implemented(info):
        raise ConfigError(f"scheme {scheme_id!r} (Menu chapter {info.number}) is not implemented yet")
    return importlib.import_module(f"ivanalysis.schemes.{scheme_id}")


def params(scheme_id: str) -> SchemeParams:
    return load_scheme_params(scheme_id, required=module(scheme_id).ASSUMPTIONS)


def input_tables(scheme_id: str) -> tuple[str, ...]:
    return tuple(module(scheme_id).TABLES)


def input_columns(scheme_id: str, table: str) -> tuple[str, ...] | None:
    """The columns of `table` the scheme uses (its INPUT_COLUMNS); None when it does not say (it gets them all)."""
    return getattr(module(scheme_id), "INPUT_COLUMNS", {}).get(table)


def analyse(scheme_id: str, geography_code: str, data_dir: Path, period: str | None = None,
            geography: Geography | None = None) -> SchemeResult:
    """params + tables -> load (validated; only the columns the scheme uses) -> the scheme's pure analysis."""
    from ..data.io import load_table

    geo = geography or load_geography()
    mod = module(scheme_id)
    p = params(scheme_id)
    area = geo.get(geography_code)
    tables = LazyTables(lambda name: load_table(data_dir, name, geo, input_columns(scheme_id, name)), mod.TABLES)
    per = Period.financial_year(period or p.period)
    if hasattr(mod, "national"):
        return mod.analyse(tables, area, p, per, geo, kept=_national(mod, scheme_id, data_dir, tables, p, per, geo))
    return mod.analyse(tables, area, p, per, geo)


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


# A scheme may split its analysis in two: `national(tables, params, period, geography)`, the work on every provider
# in England that is the same whatever the area (benchmarks, per-provider opportunities), and `analyse(...,
# kept=...)`, the area's share of it, given national results already computed (or computing them when None). A warm
# kernel runs one scheme for England and every hub in turn, so it keeps the current scheme's national results (one
# entry) and each later run only does its area's part. `analyse` must treat them as read-only
# (tests/integration/test_national.py checks it). A cold kernel runs one notebook: nothing is kept.
_NATIONAL: dict[tuple, tuple[object, Geography]] = {}


def _national(mod: ModuleType, scheme_id: str, data_dir: Path, tables: dict, p: SchemeParams, period: Period,
              geo: Geography) -> object:
    from ..data import io

    if io.CACHE_TABLES <= 0:
        return mod.national(tables, p, period, geo)
    key = (scheme_id, period.label, p.model_dump_json(), id(geo),
           tuple(io.file_identity(io.find_table(data_dir, name)) for name in mod.TABLES))
    if key not in _NATIONAL:
        _NATIONAL.clear()
        _NATIONAL[key] = (mod.national(tables, p, period, geo), geo)  # geo held: its id cannot be reused
    return _NATIONAL[key][0]
