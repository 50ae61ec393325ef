"""One pandera schema per input table, every column documented. The data dictionary page is generated from here.

Each module of this package (other than `base`) defines one table as `SPEC`; adding a table is adding a module.
A real extract must have the same table name (file `<name>.csv` or `<name>.parquet`) and these columns; extra
columns are allowed and ignored. Tables are shared: every scheme that reads a source reads the same table.
"""
from __future__ import annotations

import importlib
import pkgutil

from .base import TableSpec, nhs_number_is_valid

__all__ = ["TABLES", "TableSpec", "nhs_number_is_valid"]


def _discover() -> dict[str, TableSpec]:
    tables = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        spec = importlib.import_module(f"{__name__}.{info.name}").SPEC
        if spec.name != info.name:
            raise ImportError(f"{__name__}.{info.name} defines table {spec.name!r}: the module must be named after it")
        tables[spec.name] = spec
    return tables


TABLES: dict[str, TableSpec] = _discover()
