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

    @classmethod
    def of(cls, info: SchemeInfo, module: ModuleType) -> Scheme:
        from ..data.schemas import TABLES

        where = f"scheme module ivanalysis.schemes.{info.id}"
        tables = getattr(module, "TABLES", None)
        if not isinstance(tables, tuple) or not tables or any(t not in TABLES for t in tables):
            raise ConfigError(f"{where}: TABLES must be a tuple of known table names ({', '.join(TABLES)}), "
                              f"not {tables!r}")
        columns = getattr(module, "INPUT_COLUMNS", None)
        if not isinstance(columns, dict) or set(columns) != set(tables):
            raise ConfigError(f"{where}: INPUT_COLUMNS must name the columns it uses of every table in TABLES "
                              f"({', '.join(tables)}), "
                              f"not {sorted(columns) if isinstance(columns, dict) else columns!r}")
        assumptions = getattr(module, "ASSUMPTIONS", None)
        if not isinstance(assumptions, dict):
            raise ConfigError(f"{where}: ASSUMPTIONS must be a dict of assumption name to unit")
        national = getattr(module, "national", None)
        national = national if callable(national) else None
        analyse = getattr(module, "analyse", None)
        expected = ["tables", "run"] + (["national"] if national else [])
        if not callable(analyse) or list(inspect.signature(analyse).parameters) != expected:
            raise ConfigError(f"{where}: analyse must be a function of ({', '.join(expected)})"
                              + ("" if national else " (it has no national())"))
        return cls(info, module, tables, {t: tuple(c) for t, c in columns.items()}, dict(assumptions), national)

    def run(self, tables: Tables, run: RunContext, national: object | None = None) -> SchemeResult:
        """The analysis for one area. `national`: the kept national part, or None to compute it here."""
        if self.national is None:
            return self.module.analyse(tables, run)
        if national is None:
            national = self.compute_national(tables, run.params, run.period, run.geography)
        return self.module.analyse(tables, run, national)

    def compute_national(self, tables: Tables, params: SchemeParams, period: Period, geography) -> object:
        return self.national(tables, params, period, geography)
