"""One pandera schema per input table, every column documented. The data dictionary page is generated from here.

Each module of this package (other than `base`) defines one table as `SPEC`; adding a table is adding a module.
A real extract must have the same table name (file `<name>.csv` or `<name>.parquet`) and these columns; extra
columns are allowed and ignored. Tables are shared: every scheme that reads a source reads the same table.
"""
from __future__ import annotations

import importlib
import os
import pkgutil

from ...errors import ConfigError
from .base import TableSpec, nhs_number_is_valid

__all__ = ["NHS_NUMBERS", "TABLES", "TableSpec", "nhs_number_is_valid", "nhs_number_tables"]

# The tables whose patient column the analyst says holds NHS numbers (comma-separated names): set by the option
# --nhs-numbers of `ivanalysis validate`, `run` and `build`, and so seen by their workers and kernels
NHS_NUMBERS = "IVANALYSIS_NHS_NUMBERS"


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


def nhs_number_tables() -> frozenset[str]:
    """The tables whose patient column holds NHS numbers, as the analyst said ($IVANALYSIS_NHS_NUMBERS): their check
    digits are then checked. No other table's identifiers are taken for NHS numbers."""
    names = frozenset(n.strip() for n in os.environ.get(NHS_NUMBERS, "").split(",") if n.strip())
    wrong = sorted(n for n in names if n not in TABLES or TABLES[n].patient_column is None)
    if wrong:
        holders = ", ".join(n for n, spec in TABLES.items() if spec.patient_column is not None)
        raise ConfigError(f"NHS numbers are said to be in {', '.join(map(repr, wrong))} (--nhs-numbers or "
                          f"${NHS_NUMBERS}): not a table with a patient column; the tables with one are {holders}")
    return names
