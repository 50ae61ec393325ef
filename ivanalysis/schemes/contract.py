"""The scheme contract: what a scheme module declares, checked once when it is loaded.

A scheme is one module, ivanalysis/schemes/<id>.py, pure (tables in, SchemeResult out), declaring

    TABLES         the input tables it reads (names in ivanalysis.data.schemas.TABLES)
    INPUT_COLUMNS  {table: columns it uses} for every table in TABLES: only those are read (memory, and no
                   identifier the scheme does not use is ever loaded)
    ASSUMPTIONS    {assumption name: unit} it needs from params/schemes/<id>.yaml
    national(tables, params, period, geography) -> N     optional: the work on every provider in England that is
                   the same whatever the area (benchmarks, per-provider opportunities); treated as read-only
    analyse(tables, run, national) -> SchemeResult         `run` is the RunContext (scheme, area, params, period,
                   geography); `national` is national()'s result, passed only when the module defines national()

Only the registry calls national() and analyse(): it computes the national part (or hands out the one kept by the
pipeline's cache) so that no scheme repeats that dance.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

import pandas as pd

from ..catalogue import SchemeInfo
from ..config import SchemeParams
from ..errors import ConfigError
from ..results import Period, RunContext, SchemeResult

Tables = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Scheme:
    """A loaded scheme module, its declarations checked."""

    info: SchemeInfo
    module: ModuleType
    tables: tuple[str, ...]
    input_columns: dict[str, tuple[str, ...]]
    assumptions: dict[str, str]
    national: Callable | None
    legacy: bool  # transitional: analyse(tables, area, params, period, geography[, kept]) of the old contract

    @classmethod
    def of(cls, info: SchemeInfo, module: ModuleType) -> "Scheme":
        from ..data.schemas import TABLES

        where = f"scheme module ivanalysis.schemes.{info.id}"
        tables = getattr(module, "TABLES", None)
        if not isinstance(tables, tuple) or not tables or any(t not in TABLES for t in tables):
            raise ConfigError(f"{where}: TABLES must be a tuple of known table names ({', '.join(TABLES)}), "
                              f"not {tables!r}")
        columns = getattr(module, "INPUT_COLUMNS", {})
        unknown = sorted(set(columns) - set(tables))
        if unknown:
            raise ConfigError(f"{where}: INPUT_COLUMNS names tables it does not read: {', '.join(unknown)}")
        assumptions = getattr(module, "ASSUMPTIONS", None)
        if not isinstance(assumptions, dict):
            raise ConfigError(f"{where}: ASSUMPTIONS must be a dict of assumption name to unit")
        analyse = getattr(module, "analyse", None)
        if not callable(analyse):
            raise ConfigError(f"{where}: it has no analyse() function")
        legacy = "run" not in inspect.signature(analyse).parameters
        national = getattr(module, "national", None)
        return cls(info, module, tables, {t: tuple(c) for t, c in columns.items()}, dict(assumptions),
                   national if callable(national) else None, legacy)

    def run(self, tables: Tables, run: RunContext, national: object | None = None) -> SchemeResult:
        """The analysis for one area. `national`: the kept national part, or None to compute it here."""
        if self.national is not None and national is None:
            national = self.compute_national(tables, run.params, run.period, run.geography)
        if self.legacy:
            extra = {"kept": national} if self.national is not None else {}
            return self.module.analyse(tables, run.area, run.params, run.period, run.geography, **extra)
        args = (national,) if self.national is not None else ()
        return self.module.analyse(tables, run, *args)

    def compute_national(self, tables: Tables, params: SchemeParams, period: Period, geography) -> object:
        return self.national(tables, params, period, geography)
