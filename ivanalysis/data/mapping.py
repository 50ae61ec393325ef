"""An extract's own column names mapped onto the schemas' (`--columns mapping.yaml`), so that an analyst need not
rename the columns of a national collection by hand. The file maps, table by table, the extract's name to ours:

    radiotherapy:
      ORG_CODE: provider_code
      TREATMENT_START: start_date

A mapping that names a table or a column of ours that does not exist is refused when the option is given; one that
names a column the extract does not have is refused when that table is read. Columns not mapped keep their names.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, DataError
from .schemas import TABLES, TableSpec

# The mapping file's path: set by --columns of `ivanalysis validate`, `run` and `build`, and so seen by their workers
# and kernels (a Dask cluster's workers need it set in their own environment, with the file where they can read it)
COLUMNS = "IVANALYSIS_COLUMNS"


def mapping_file() -> Path | None:
    path = os.environ.get(COLUMNS, "").strip()
    return Path(path) if path else None


def column_mapping(name: str) -> dict[str, str]:
    """The extract's column name -> the schema's, for table `name` ({} without a mapping file, or none for it)."""
    path = mapping_file()
    if path is None:
        return {}
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise ConfigError(f"the column mapping {path} (--columns or ${COLUMNS}) does not exist") from None
    return dict(_load(path, stamp).get(name, {}))


@functools.cache
def _load(path: Path, stamp: int) -> dict[str, dict[str, str]]:
    """Read and check the mapping file (`stamp`, its modification time, reads it again once it changes)."""
    import yaml

    where = f"column mapping {path}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{where}: must map table names to their columns, e.g.\n  radiotherapy:\n"
                          "    ORG_CODE: provider_code")
    out = {}
    for table, columns in data.items():
        if table not in TABLES:
            raise ConfigError(f"{where}: no table {table!r}: the tables are {', '.join(TABLES)}")
        if not isinstance(columns, dict) or not columns:
            raise ConfigError(f"{where}: table {table}: give its columns as 'extract name: our name' lines")
        ours = list(TABLES[table].schema.columns)
        mapped: dict[str, str] = {}
        for theirs, our in columns.items():
            if not isinstance(theirs, str) or not isinstance(our, str):
                raise ConfigError(f"{where}: table {table}: {theirs!r}: {our!r} must map a column name to a column "
                                  "name")
            if our not in ours:
                raise ConfigError(f"{where}: table {table}: {theirs!r} is mapped to {our!r}, which is not a column "
                                  f"of {table}: its columns are {', '.join(ours)}")
            if our in mapped.values():
                first = next(k for k, v in mapped.items() if v == our)
                raise ConfigError(f"{where}: table {table}: both {first!r} and {theirs!r} are mapped to {our!r}; "
                                  "map one column to each of ours")
            mapped[theirs] = our
        out[table] = mapped
    return out


def check_mapping_file(path: Path) -> None:
    """Refuse a mapping file that is missing or wrong before anything runs (`--columns`)."""
    if not path.is_file():
        raise ConfigError(f"the column mapping {path} (--columns) does not exist or is not a file")
    _load(path.resolve(), path.stat().st_mtime_ns)


def apply_mapping(df: pd.DataFrame, spec: TableSpec, path, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """The extract `df` (read from `path`) with its columns named as the schema's, as `mapping` says (None: the
    analyst's mapping, column_mapping)."""
    mapping = column_mapping(spec.name) if mapping is None else mapping
    if not mapping:
        return df
    found = list(map(str, df.columns))
    absent = [c for c in mapping if c not in found]
    if absent:
        raise DataError(f"{path}: the column mapping {mapping_file()} maps {', '.join(map(repr, absent))} of table "
                        f"'{spec.name}', but the file has no such column (columns found: {', '.join(found)})",
                        file=str(path))
    twice = [our for theirs, our in mapping.items() if our in found and our not in mapping]
    if twice:
        raise DataError(f"{path}: the column mapping {mapping_file()} maps a column to "
                        f"{', '.join(map(repr, twice))}, but the file already has a column of that name: keep one of "
                        "the two (remove that column from the file, or the line from the mapping)", file=str(path))
    return df.rename(columns=mapping)
