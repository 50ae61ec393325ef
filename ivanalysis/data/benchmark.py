"""National benchmark data beside an analyst's own extract (`--benchmark-data DIR`).

An analyst often holds their own providers' data only, while every page compares them with England: the funnel's
centre, the rates a provider is judged against, the benchmark share. With `--benchmark-data`, each table is read from
both folders and combined: the rows of every provider (or commissioning area) the extract holds come from the
extract, and every other provider's rows from the benchmark folder, so the run sees one England in which its own
providers are described by its own data. The page says which data each comes from (ivanalysis.data.coverage).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import DataError
from .schemas import TableSpec

if TYPE_CHECKING:
    from upath import UPath

# The benchmark folder: set by --benchmark-data of `ivanalysis run` and `build`, and so seen by their workers and
# kernels (a Dask cluster's workers need it set in their own environment)
BENCHMARK = "IVANALYSIS_BENCHMARK_DATA"


def benchmark_dir() -> str | None:
    """The benchmark folder (or URL) the analyst gave, or None."""
    return os.environ.get(BENCHMARK, "").strip() or None


def unit_column(spec: TableSpec) -> str:
    """The column that says whose a row is: its provider, or for an area-coded table its commissioning area."""
    column = spec.provider_column or spec.area_column
    if column is None:
        raise DataError(f"table '{spec.name}' has no provider or area column: its rows cannot be combined with "
                        "benchmark data")
    return column


def is_benchmark(data_dir: str | Path | UPath) -> bool:
    """Whether `data_dir` is the benchmark folder itself (it is then read as it is)."""
    bench = benchmark_dir()
    if bench is None:
        return True
    if "://" in bench or "://" in str(data_dir):
        return bench.rstrip("/") == str(data_dir).rstrip("/")
    return Path(bench).resolve() == Path(data_dir).resolve()


def combine(local: pd.DataFrame, national: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """England as one table: every row of the extract `local`, and the rows of `national` (the benchmark data) of
    the providers (areas) the extract does not hold. A record identifier (the table's key, when both frames have it)
    found in both is refused: two different records would share it."""
    unit = unit_column(spec)
    own = local[unit].astype(str).unique()
    kept = national[~national[unit].astype(str).isin(own)]
    if spec.key in local and spec.key in kept:
        clash = pd.Index(local[spec.key].astype(str)).intersection(pd.Index(kept[spec.key].astype(str)))
        if len(clash):
            raise DataError(f"table '{spec.name}': {len(clash):,} value(s) of its identifier '{spec.key}' are both in "
                            f"your extract and, for other {unit} values, in the benchmark data (e.g. "
                            f"{', '.join(map(repr, clash[:3]))}): two different records cannot share one. Give the "
                            "identifiers of one of them a prefix (e.g. LOCAL-)")
    return pd.concat([kept, local], ignore_index=True)
