"""Read an input table (CSV or Parquet), validate it against its schema and the geography, or say exactly why not."""
from __future__ import annotations

import functools
import gc
import hashlib
import json
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import memo
from ..errors import ConfigError, DataError
from ..geography import Geography
from .benchmark import benchmark_dir, combine, is_benchmark, unit_column
from .mapping import apply_mapping, column_mapping
from .schemas import TABLES, TableSpec, nhs_number_tables

if TYPE_CHECKING:
    import pandera.pandas as pa
    from upath import UPath

SUFFIXES = (".parquet", ".csv")
MANIFEST = "MANIFEST.json"
MAX_EXAMPLES = 3


def location(where: str | Path | UPath) -> Path | UPath:
    """A data folder or file: a local path, or, when it has a scheme (`s3://bucket/extract`, `file:///...`), an fsspec
    URL as a universal_pathlib UPath (the Path methods over fsspec), so that workers on other machines can read the
    same data."""
    if "://" not in str(where):
        return Path(where)
    from upath import UPath

    try:
        path = UPath(str(where))
        _ = path.fs  # the store is made on first use: now, so that a missing package is said here
        return path
    except (ImportError, ValueError) as exc:  # fsspec: the store's package is not installed, or no such protocol
        protocol = str(where).split("://", 1)[0]
        raise ConfigError(f"{where}: this URL cannot be read here ({exc}). ivanalysis installs no package for "
                          f"{protocol}:// URLs: install fsspec's package for them into .venv on every machine that "
                          "runs the build (for s3://, `.venv/bin/pip install s3fs`), or copy the extract into a "
                          "folder") from None


class TableNotFound(DataError):
    """The data folder holds no file for the table."""


class MissingColumns(DataError):
    """The table's file lacks columns the caller asked for. Only a table's required columns (TableSpec.required)
    must be in every extract; any other is needed by the schemes that read it, which name it (schemes.registry)."""

    def __init__(self, path: Path | UPath, spec: TableSpec, missing: list[str], found: list[str]):
        self.table, self.missing, self.found = spec.name, list(missing), list(found)
        super().__init__(f"{path}: table '{spec.name}' has no column {', '.join(map(repr, missing))} (columns found: "
                         f"{', '.join(found) or 'none'})", file=str(path))


def not_a_folder(data_dir: Path | UPath) -> str | None:
    """Why `data_dir` cannot be a data folder (a file, or nothing there), or None when it is a folder."""
    if data_dir.is_dir():
        return None
    if data_dir.exists():
        return (f"{data_dir} is a file, not a folder: give the folder that holds the tables "
                f"({data_dir.parent})")
    return f"data directory {data_dir} does not exist"


def find_table(data_dir: Path | UPath, name: str) -> Path | UPath:
    """The one file holding table `name` in `data_dir`: `<name>.parquet` or `<name>.csv`, in any case of letters
    (`Radiotherapy.CSV` is the radiotherapy table, as it would be on Windows or a Mac)."""
    data_dir = location(data_dir)
    if (problem := not_a_folder(data_dir)) is not None:
        raise DataError(problem, file=str(data_dir))
    found = [data_dir / f"{name}{s}" for s in SUFFIXES if (data_dir / f"{name}{s}").exists()]
    if not found:  # the exact names first (no listing of a large or remote folder), then in any case
        wanted = {f"{name}{s}" for s in SUFFIXES}
        found = sorted(p for p in data_dir.iterdir() if p.name.lower() in wanted)
    if not found:
        raise TableNotFound(f"table '{name}' not found: expected {data_dir / name}.parquet or {data_dir / name}.csv",
                            file=str(data_dir / name))
    if len(found) > 1:
        raise DataError(f"table '{name}' is ambiguous: both {found[0].name} and {found[1].name} are in {data_dir}; "
                        "keep one", file=str(found[0]))
    return found[0]


def read_file(path: Path | UPath) -> pd.DataFrame:
    """Read the file as it is; CSV cells are read as text so that the schema reports values it cannot convert."""
    [df] = read_batches(path)
    return df


def read_batches(path: Path | UPath, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The file as read_file reads it, `rows` rows at a time (None: all at once); the rows are numbered from 0
    through the batches, as in the whole file. A file without rows is one batch of none."""
    source = path if isinstance(path, Path) else str(path)  # pandas reads fsspec URLs itself
    offset = 0
    try:
        if is_parquet(path):
            import pyarrow.parquet as pq

            with path.open("rb") as fh:
                _refuse_duplicated_columns(path, pq.read_schema(fh).names)
            batches = _parquet_batches(path, rows)
        else:  # read lazily (a file of no rows: one empty batch), within the warnings filter below
            csv = functools.partial(pd.read_csv, source, dtype=str, keep_default_na=False, na_values=[""],
                                    encoding="utf-8", index_col=False)
            batches = csv(chunksize=rows) if rows else (csv() for _ in range(1))
        while True:
            with warnings.catch_warnings():
                # index_col=False: a first row longer than the header would otherwise silently become the index and
                # shift every column; pandas then only warns (and drops the extra cells), so that warning is an error
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = next(batches, None)
            if df is None:
                return
            df.index = pd.RangeIndex(offset, offset + len(df))  # as reset_index(drop=True) would, without copying
            if offset == 0 and not is_parquet(path):
                import csv as csv_module

                with path.open("r", encoding="utf-8-sig", newline="") as f:  # pandas renamed a second copy 'x.1'
                    _refuse_duplicated_columns(path, next(csv_module.reader(f), []))
            offset += len(df)
            yield df
    except DataError:
        raise
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header row)", file=str(path)) from None
    except pd.errors.ParserWarning:
        raise DataError(f"{path}: not a well-formed CSV file: the first data row has more fields than the "
                        f"header row{_separator_hint(path)}", file=str(path)) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed CSV file: {exc}{_separator_hint(path)}", file=str(path)) from None
    except Exception as exc:  # pyarrow raises several types for damaged Parquet files
        raise DataError(f"{path}: cannot be read as {path.suffix[1:]}: {type(exc).__name__}: {exc}",
                        file=str(path)) from None


def _parquet_batches(path: Path | UPath, rows: int | None) -> Iterator[pd.DataFrame]:
    """A Parquet file's rows, about `rows` at a time (None: at once, as _read_parquet reads them): whole row groups
    (a Parquet file is written in groups of rows, a million by default), as many as fit in `rows`, or parts of one
    larger than twice that."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with path.open("rb") as fh:
        file = pq.ParquetFile(fh)
        if rows is None or file.metadata.num_rows <= rows:
            yield _read_parquet(path)
            return
        sizes = [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)]
        for table in _row_group_tables(file, sizes, rows):
            df = table.to_pandas(self_destruct=True, split_blocks=True)
            del table
            pa.default_memory_pool().release_unused()
            yield df


def _row_group_tables(file, sizes: list[int], rows: int) -> Iterator:
    """The Arrow tables of consecutive row groups holding up to `rows` rows together (at least one group each), and
    of parts of a group larger than twice that."""
    import pyarrow as pa

    pending: list[int] = []
    for i, size in enumerate([*sizes, None]):
        if pending and (size is None or size > 2 * rows or sum(sizes[g] for g in pending) + size > rows):
            yield file.read_row_groups(pending, use_pandas_metadata=True)
            pending = []
        if size is not None and size > 2 * rows:
            for part in file.iter_batches(batch_size=rows, row_groups=[i], use_pandas_metadata=True):
                yield pa.Table.from_batches([part])
        elif size is not None:
            pending.append(i)


def header(path: Path | UPath) -> list[str] | None:
    """The file's column names, from its header row (CSV) or schema (Parquet) alone; None when that cannot be read
    (read_file then says why)."""
    try:
        if is_parquet(path):
            import pyarrow.parquet as pq

            with path.open("rb") as fh:
                return list(pq.read_schema(fh).names)
        import csv

        with path.open("r", encoding="utf-8-sig", newline="") as f:
            return next(csv.reader(f), [])
    except Exception:  # noqa: BLE001 - an unreadable file: read_file says how, with the message for its case
        return None


def columns_present(path: Path | UPath, spec: TableSpec, mapping: dict[str, str] | None = None) -> list[str] | None:
    """The columns of the table's schema that its file holds, named as ours (`mapping` applied; None: the analyst's
    --columns mapping), in the schema's order; None when the file's header cannot be read."""
    names = header(path)
    if names is None:
        return None
    mapping = column_mapping(spec.name) if mapping is None else mapping
    held = {mapping.get(n, n) for n in names}
    return [c for c in spec.schema.columns if c in held]


def read_extract(path: Path | UPath, spec: TableSpec, mapping: dict[str, str] | None = None) -> pd.DataFrame:
    """Read a table's file with its columns named as the schema's (`mapping`, by default the analyst's --columns
    mapping, applied)."""
    return apply_mapping(read_file(path), spec, path, mapping)


def is_parquet(path: Path | UPath) -> bool:
    return path.suffix.lower() == ".parquet"


SEPARATORS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _separator_hint(path: Path | UPath) -> str:
    """When the header row is split by another character than the comma (a spreadsheet set to a locale with decimal
    commas saves CSV with semicolons), say so: pandas, reading commas, sees rows whose decimal commas split them."""
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace", newline="") as f:
            header = f.readline()
    except OSError:
        return ""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    sep, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0 or n <= header.count(","):
        return ""
    return (f". Its header row is split by {SEPARATORS[sep]} ({n} of them, {header.count(',')} commas), as a "
            "spreadsheet set to a language with decimal commas saves CSV: save it as comma-separated values with "
            "decimal points (2.5, not 2,5)")


def _refuse_duplicated_columns(path: Path, names: list[str]) -> None:
    """Two columns of one name: which one holds the data is a guess, so neither is used."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(f"{path}: column name(s) {', '.join(map(repr, repeated))} appear more than once in the "
                        "header; keep one column of each name", file=str(path))


def _not_utf8(path: Path) -> DataError:
    """Locate the first byte that is not UTF-8 in the whole file (pandas reports an offset within its read buffer)."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        where = ""
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        end = raw.find(b"\n", exc.start)
        text = raw[start:end if end >= 0 else len(raw)].decode("utf-8", errors="replace").rstrip("\r")[:120]
        line = raw.count(b"\n", 0, exc.start) + 1
        where = f" (byte {raw[exc.start]:#04x} on line {line}: {text!r})"
    return DataError(f"{path}: not UTF-8 text{where}; save the file as UTF-8", file=str(path))


def _where(path: Path, index) -> str:
    try:
        i = int(index)
    except (TypeError, ValueError):
        return "the table"
    return f"row {i + 1} (line {i + 2})" if not is_parquet(path) else f"row {i + 1}"


def _problems(failures: pd.DataFrame, schema=None) -> list[dict]:
    """Group pandera's failure cases by column and rule; drop the knock-on failures of a column that did not convert."""
    failures = failures.copy()
    failures["column"] = failures["column"].astype(object).where(failures["column"].notna(), None)
    unconverted = set(failures.loc[failures["check"].astype(str).str.startswith("coerce_dtype"), "column"])
    keep = ~failures["column"].isin(unconverted) | failures["check"].astype(str).str.startswith("coerce_dtype")
    # pandera reports a failed table-wide rule (e.g. discharged_at >= ready_at) once for every column of each
    # failing row: report it once, naming the rule and showing the columns it compares. It is a knock-on on a row
    # that already broke a column rule, and when a column did not convert (the rule then fails as a whole)
    table_wide = (failures["schema_context"].astype(str) == "DataFrameSchema") & failures["check_number"].notna()
    broken_rows = set(failures.loc[keep & ~table_wide, "index"].dropna())
    keep &= ~(table_wide & (failures["index"].isin(broken_rows) | (failures["index"].isna() & bool(unconverted))))
    problems = []
    for number, group in failures[keep & table_wide].groupby("check_number", sort=False):
        check = schema.checks[int(number)] if schema is not None else None
        name = check.name if check is not None and check.name else str(group["check"].iloc[0])
        error = check.error if check is not None and check.error and check.error != name else None
        columns = [c for c in (schema.columns if schema is not None else []) if c in name] or list(group["column"])
        rows = group[group["column"].isin(columns)]
        cell = {(i, c): v for i, c, v in zip(rows["index"], rows["column"], rows["failure_case"])}
        indices = sorted(set(pd.to_numeric(rows["index"], errors="coerce").dropna().astype(int)))
        examples = ([(i, {c: cell[(i, c)] for c in dict.fromkeys(columns) if (i, c) in cell})
                     for i in indices[:MAX_EXAMPLES]] or [(None, str(group["failure_case"].iloc[0]))])
        problems.append({"column": None, "rule": name + (f" ({error})" if error else ""), "count": len(indices),
                         "examples": examples})
    for (column, check), group in failures[keep & ~table_wide].groupby(["column", "check"], dropna=False, sort=False):
        group = group.iloc[pd.to_numeric(group["index"], errors="coerce").fillna(-1).argsort(kind="stable")]
        problems.append({"column": column, "rule": str(check), "count": len(group),
                         "examples": list(zip(group["index"].tolist()[:MAX_EXAMPLES],
                                              group["failure_case"].tolist()[:MAX_EXAMPLES]))})
    return problems


# pandera's names of its built-in rules, said in words
RULE_WORDS = {"not_nullable": "not_nullable (a value is required)",
              "field_uniqueness": "field_uniqueness (each value must appear once)"}


def _show(value) -> str:
    """A failing value as the analyst would look for it: an empty cell named, a date without Timestamp(...)."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_show(v)}" for k, v in value.items())
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        return str(value)
    return repr(value)


def _rule(rule: str) -> str:
    if rule.startswith("coerce_dtype"):
        dtype = rule[len("coerce_dtype("):-1]
        if "datetime64" in dtype:
            return "value could not be read as a date (written YYYY-MM-DD or YYYY-MM-DD hh:mm:ss)"
        return "value could not be read as " + dtype
    return RULE_WORDS.get(rule, rule)


def _message(spec: TableSpec, path: Path, problems: list[dict]) -> str:
    lines = [f"{path}: table '{spec.name}' breaks {len(problems)} rule(s) of its schema:"]
    for p in problems[:12]:
        if p["rule"] == "column_in_dataframe":
            lines.append(f"  - column '{p['examples'][0][1]}' is missing (columns found: {p.get('found', '?')}); "
                         f"{_ROLE.get(p.get('role'), 'it is required')}")
            continue
        examples = "; ".join(f"{_where(path, i)}: {_show(v)}" for i, v in p["examples"])
        col = f"column '{p['column']}'" if p["column"] else "rows"
        lines.append(f"  - {col}, rule {_rule(p['rule'])}: {p['count']} row(s), e.g. {examples}")
    if len(problems) > 12:
        lines.append(f"  ... and {len(problems) - 12} more")
    if any(p["rule"] == "column_in_dataframe" for p in problems):
        lines.append("  If the file names these columns otherwise, map its names to ours with --columns mapping.yaml "
                     "(`ivanalysis template` writes our names)")
    return "\n".join(lines)


def validate_table(df: pd.DataFrame, spec: TableSpec, path: Path, geography: Geography | None = None,
                   rules: pa.DataFrameSchema | None = None) -> pd.DataFrame:
    """Return the typed table, or raise a DataError naming the file, each column and rule, and example rows.

    The table's required columns (its key, date and provider or area columns) must be there; any other column may
    be left out (a scheme that reads it says so when it runs), and the rules of the columns present are checked.
    rules: the rules to check (default: all the table's rules for the columns it holds)."""
    import pandera.errors

    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        problems = [{"column": c, "rule": "column_in_dataframe", "count": 1, "examples": [(None, c)],
                     "found": ", ".join(map(str, df.columns)) or "none", "role": _role(spec, c)} for c in missing]
        raise DataError(_message(spec, path, problems), file=str(path), problems=problems)
    if df.empty:
        raise DataError(f"{path}: table '{spec.name}' has a header but no rows", file=str(path))
    # checked alongside the schema, so all is said at once
    problems = _unknown_providers(df, spec, geography) + _not_whole(df, spec)
    try:
        # pandera would copy the whole table first; a shallow copy keeps the caller's frame as it is, since pandera
        # replaces the columns it converts rather than writing into them
        rules = _rules(spec, df) if rules is None else rules
        typed = rules.validate(df.copy(deep=False), lazy=True, inplace=True)
    except pandera.errors.SchemaErrors as exc:
        problems = _problems(exc.failure_cases, rules) + problems
    if problems:
        raise DataError(_message(spec, path, problems), file=str(path), problems=problems)
    return typed


def _rules(spec: TableSpec, df: pd.DataFrame) -> pa.DataFrameSchema:
    """All the table's rules for the columns `df` holds."""
    return spec.rules(nhs_numbers=spec.name in nhs_number_tables(), present=df.columns)


_ROLE = {"key": "every extract of the table needs it: it identifies a row",
         "date": "every extract of the table needs it: it places a row in a month and a financial year",
         "provider": "every extract of the table needs it: it says whose a row is",
         "area": "every extract of the table needs it: it says whose a row is"}


def _role(spec: TableSpec, column: str) -> str:
    return {spec.key: "key", spec.date_column: "date", spec.provider_column: "provider",
            spec.area_column: "area"}.get(column, "")


def _not_whole(df: pd.DataFrame, spec: TableSpec) -> list[dict]:
    """Numbers with a fraction in a whole-number column: pandera would truncate them (a Parquet 2.5 became 2),
    where the same value in a CSV is refused."""
    problems = []
    for name, column in spec.schema.columns.items():
        if name not in df or "int" not in str(column.dtype) or not pd.api.types.is_float_dtype(df[name]):
            continue
        values = df[name]
        bad = values.notna() & (values % 1 != 0)
        if bad.any():
            rows = values[bad]
            problems.append({"column": name, "rule": "a whole number", "count": int(bad.sum()),
                             "examples": list(zip(rows.index[:MAX_EXAMPLES], rows.iloc[:MAX_EXAMPLES]))})
    return problems


def _unknown_providers(df: pd.DataFrame, spec: TableSpec, geography: Geography | None) -> list[dict]:
    """Provider codes (and commissioning area codes, for an area-coded table) that the geography does not list."""
    if geography is None:
        return []
    checks = [(spec.provider_column, geography.provider_hub.keys(),
               "provider listed in params/geography.yaml (or in --providers providers.csv)"),
              (spec.area_column, geography.commissioning_areas.keys(),
               "commissioning area listed in params/geography.yaml")]
    problems = []
    for column, known, rule in checks:
        if column is None:
            continue
        codes = df[column]
        bad = codes[codes.notna() & ~codes.astype(str).isin(known)]
        if not bad.empty:
            problems.append({"column": column, "rule": rule, "count": len(bad),
                             "examples": list(zip(bad.index[:MAX_EXAMPLES], bad.iloc[:MAX_EXAMPLES]))})
    return problems


# Validated tables are kept twice over, so that a table is read and checked once, not once per run:
# - on disk, as typed Parquet named by what was validated (the file's sha256, the validation rules, the geography),
#   under _build/cache/tables (paths.table_cache_dir): any later run, in any process, reads that instead of
#   validating again;
# - in memory, in a process that runs many notebooks (a warm kernel installs a RunCache: ivanalysis.memo), keyed by
#   the file's identity and the columns read (each scheme reads only the columns it uses, so its runs share them).


@functools.cache
def _rules_digest(name: str) -> str:
    """The code that decides whether a table is valid: this module, the schema base and the table's schema."""
    from . import schemas

    files = [Path(__file__), Path(schemas.__file__).with_name("base.py"),
             Path(schemas.__file__).with_name(f"{name}.py")]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def _geography_digest(geography: Geography) -> str:
    codes = sorted(geography.provider_hub.items()) + sorted(getattr(geography, "commissioning_areas", {}))
    return hashlib.sha256(repr(codes).encode()).hexdigest()


def _validated_file(path: Path | UPath, name: str, geography: Geography | None,
                    mapping: dict[str, str] | None, present: list[str] | None) -> Path | None:
    """The validated table's file in the cache: named by the input file's bytes, the rules, the geography, whether
    NHS numbers are checked, the column mapping and the columns the file holds (`present`; None, as without a
    geography: not kept)."""
    if geography is None or present is None:
        return None
    from ..paths import table_cache_dir

    nhs = " nhs-numbers" if name in nhs_number_tables() else ""  # validated by stricter rules: another file
    mapping = column_mapping(name) if mapping is None else mapping
    mapped = f" columns {sorted(mapping.items())}" if mapping else ""  # the file read under other names
    held = f" holding {','.join(present)}"  # what an entry must hold (_read_validated checks it)
    key = hashlib.sha256(f"{sha256_file(path)} {_rules_digest(name)} {_geography_digest(geography)}{nhs}{mapped}"
                         f"{held}".encode())
    return table_cache_dir() / f"{name}-{key.hexdigest()[:32]}.parquet"


def _read_parquet(path: Path | UPath, columns: list[str] | None = None, verify: bool = False) -> pd.DataFrame:
    """Read Parquet (only `columns`, if given) freeing each Arrow column as it is converted, so a large table is not
    held twice; then hand the memory Arrow's allocator kept back to the system, for pandas to use.
    verify: check each page against the checksum written with it (the validated cache writes them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source, fs = (path, None) if isinstance(path, Path) else (path.path, path.fs)  # a URL: through its fsspec store
    df = pq.read_table(source, columns=columns, filesystem=fs, page_checksum_verification=verify
                       ).to_pandas(self_destruct=True, split_blocks=True)
    pa.default_memory_pool().release_unused()
    return df


def _keep_validated(df: pd.DataFrame, target: Path) -> None:
    """Best effort: a cache that cannot be written only costs time. Each page carries a checksum, so that a damaged
    file is found when it is read (_read_validated) rather than read as other data."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        df.to_parquet(tmp, index=False, write_page_checksum=True)
        os.replace(tmp, target)
    except (OSError, ValueError, TypeError):
        pass


def _read_validated(validated: Path, present: list[str], columns: list[str] | None) -> pd.DataFrame | None:
    """The validated table kept on disk (its `columns`; None: all it holds, `present`), or None when there is none
    or it is damaged: a damaged entry (cut short, changed bytes, other columns) is removed, and the caller validates
    the input again."""
    if not validated.exists():
        return None
    try:
        df = _read_parquet(validated, columns, verify=True)
        if not set(columns or present) <= set(df.columns):
            raise ValueError(f"columns {list(df.columns)}")
        return df
    except Exception:  # noqa: BLE001 - pyarrow raises several types for a damaged file; each means: rebuild it
        validated.unlink(missing_ok=True)
        return None


def _intact(validated: Path) -> bool:
    """Whether a kept table's footer (its schema, where each page is) reads; its pages are checked when read."""
    import pyarrow.parquet as pq

    try:
        pq.read_metadata(validated)
        return True
    except Exception:  # noqa: BLE001 - as above
        validated.unlink(missing_ok=True)
        return False


def _columns(spec: TableSpec, columns) -> list[str] | None:
    """The columns asked for, in the order of the table's schema (None: all); an unknown name is refused."""
    if columns is None:
        return None
    known = list(spec.schema.columns)
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise ConfigError(f"table '{spec.name}' has no column {', '.join(map(repr, unknown))}: "
                          f"its columns are {', '.join(known)}")
    asked = set(columns)
    return [c for c in known if c in asked]


# A table is read and validated this many rows at a time, so that the memory it takes is bounded whatever its size
# (pandas holds a text cell in about 60 bytes: ten times England's SACT, 30 million rows, took 11.7 GB validated
# whole). A larger table is checked batch by batch, and its rules across rows once, through the whole table
# (_across_rows, _repeated_rows).
BATCH_ROWS = 1_000_000


def _across_rows(rules: pa.DataFrameSchema) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema | None]:
    """The rules split into those that a batch of rows can be checked against alone, and those across rows (unique
    columns, unique combinations, one_row_per rules) with only the columns they read; None when there are none."""
    import pandera.pandas as pa

    unique = [c for c, column in rules.columns.items() if column.unique]
    across = [c for c in rules.checks if getattr(c, "across_rows", None)]
    if not (unique or across or rules.unique):
        return rules, None
    rows = rules.update_columns({c: {"unique": False} for c in unique})
    rows.checks = [c for c in rules.checks if not getattr(c, "across_rows", None)]
    rows.unique = None
    read = dict.fromkeys([*unique, *(c for check in across for c in check.across_rows), *(rules.unique or ())])
    whole = pa.DataFrameSchema({c: pa.Column(None, nullable=True, unique=c in unique) for c in read}, checks=across,
                               unique=rules.unique, name=rules.name)
    return rows, whole


def _keys(whole: pa.DataFrameSchema) -> list[list[str]]:
    """The columns that each rule across rows says no two rows share."""
    return ([[c] for c, column in whole.columns.items() if column.unique] + [list(c.across_rows) for c in whole.checks]
            + ([list(whole.unique)] if whole.unique else []))


def _repeated_rows(hashes: list[np.ndarray]) -> np.ndarray:
    """The rows (positions in the table) whose hash of a key is another row's hash of the same key: every row that
    repeats a key is among them (equal values hash alike), and a few more only where two hashes of 64 bits collide."""
    rows = []
    for h in hashes:
        order = np.argsort(h, kind="stable")
        same = h[order[1:]] == h[order[:-1]]
        rows.append(order[np.concatenate([same, [False]]) | np.concatenate([[False], same])])
    return np.unique(np.concatenate(rows)) if rows else np.array([], dtype=np.int64)


def _merge(problems: list[dict], more: list[dict]) -> list[dict]:
    """Problems of a batch added to those of the batches before it: one entry a column and rule, its rows counted
    through the table and its first examples kept."""
    by_rule = {(p["column"], p["rule"]): p for p in problems}
    for p in more:
        if (kept := by_rule.get((p["column"], p["rule"]))) is None:
            by_rule[(p["column"], p["rule"])] = dict(p)
            problems.append(by_rule[(p["column"], p["rule"])])
        else:
            kept["count"] += p["count"]
            kept["examples"] = (kept["examples"] + p["examples"])[:MAX_EXAMPLES]
    return problems


def _validate_into(path: Path | UPath, spec: TableSpec, geography: Geography | None, mapping: dict[str, str],
                   target: Path) -> pd.DataFrame | None:
    """Validate the table and keep the typed result at `target` (the validated cache); raise a DataError as
    validate_table does. A table of one batch is validated whole and returned. A larger one is validated BATCH_ROWS
    rows at a time, each batch written as it passes and its keys hashed; then its rules across rows are checked, as
    pandera checks them, on the rows whose keys' hashes repeat (_repeated_rows): None is returned (the caller reads
    the columns it needs from `target`)."""
    import pandera.errors
    import pyarrow as pa
    import pyarrow.parquet as pq

    batches = read_batches(path, BATCH_ROWS)
    first = apply_mapping(next(batches), spec, path, mapping)
    second = next(batches, None)
    if second is None:  # the whole table in one batch
        df = validate_table(first, spec, path, geography)
        _keep_validated(df, target)
        return df
    rows_rules, whole_rules = _across_rows(_rules(spec, first))
    keys = _keys(whole_rules) if whole_rules is not None else []
    hashes: list[list[np.ndarray]] = [[] for _ in keys]
    pending = [first, apply_mapping(second, spec, path, mapping)]
    del first, second  # each batch is let go once checked

    def each() -> Iterator[pd.DataFrame]:
        while pending:
            yield pending.pop(0)
        for batch in batches:
            yield apply_mapping(batch, spec, path, mapping)

    problems: list[dict] = []
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    writer = schema = None
    try:
        for batch in each():
            try:
                typed = validate_table(batch, spec, path, geography, rules=rows_rules)
            except DataError as exc:
                if not exc.problems or any(p["rule"] == "column_in_dataframe" for p in exc.problems):
                    raise  # the same in every batch
                problems = _merge(problems, exc.problems)
                continue
            finally:
                del batch
                # pandera's validation leaves a batch in reference cycles, which Python's collector frees only now
                # and then: without this the memory grew by 400 MB a batch (SACT at ten times England's volumes)
                gc.collect()
            if problems:
                continue  # nothing more is written: the table will be refused
            for key, kept in zip(keys, hashes):
                kept.append(pd.util.hash_pandas_object(typed[key], index=False).to_numpy())
            if writer is None:
                # a text column empty throughout the first batch would be typed as nothing: it is text
                schema = pa.Schema.from_pandas(typed, preserve_index=False)
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in schema],
                                   metadata=schema.metadata)
                writer = pq.ParquetWriter(tmp, schema, write_page_checksum=True)
            writer.write_table(pa.Table.from_pandas(typed, schema=schema, preserve_index=False))
            del typed
            pa.default_memory_pool().release_unused()
        if problems:
            raise DataError(_message(spec, path, problems) + "\n  (The rules across rows, such as unique identifiers, "
                            "are checked once these are mended.)", file=str(path), problems=problems)
        writer.close()
        writer = None
        repeated = _repeated_rows([np.concatenate(h) for h in hashes])
        del hashes
        if len(repeated):
            table = pq.read_table(tmp, columns=list(whole_rules.columns)).take(repeated)
            candidates = table.to_pandas().set_axis(pd.Index(repeated))
            del table
            try:
                whole_rules.validate(candidates, lazy=True)
            except pandera.errors.SchemaErrors as exc:
                problems = _problems(exc.failure_cases, whole_rules)
                raise DataError(_message(spec, path, problems), file=str(path), problems=problems) from None
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
    return None


def ensure_validated(data_dir: Path, name: str, geography: Geography) -> None:
    """Validate table `name` and keep the typed result on disk, unless that is already done (no table is read then)."""
    spec = TABLES[name]
    path = find_table(data_dir, name)
    mapping = column_mapping(name)
    validated = _validated_file(path, name, geography, mapping, columns_present(path, spec, mapping))
    if validated is None:
        validate_table(read_extract(path, spec, mapping), spec, path, geography)
    elif not (validated.exists() and _intact(validated)):
        _validate_into(path, spec, geography, mapping, validated)


def load_table(data_dir: Path, name: str, geography: Geography | None = None,
               columns: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Find, read and validate one input table (the whole of England: benchmarks need every provider).

    `columns` names the only columns the caller needs (in any order; they come in the schema's order): the table is
    still validated whole (every column its file holds), but only those columns are read from the validated cache
    and kept in memory; one the file lacks raises MissingColumns. None: every column the file holds. (A table's
    required columns are in every file; any other may be left out by an extract for schemes that do not read it.)
    The caller may change what it gets: a table kept in memory is handed out as a copy.

    With benchmark data (--benchmark-data, ivanalysis.data.benchmark), the table is the extract's rows for its own
    providers and the benchmark's for every other provider; the column mapping applies to the extract only.
    """
    spec = TABLES[name]
    wanted = _columns(spec, columns)
    bench = benchmark_dir()
    if bench is None or is_benchmark(data_dir):
        mapping = column_mapping(name) if bench is None else {}  # the mapping is the extract's, not the benchmark's
        return _load(data_dir, spec, geography, wanted, mapping)
    # the column saying whose a row is, to combine on; the identifier only if the caller reads it
    needed = None if wanted is None else _columns(spec, {*wanted, unit_column(spec)})
    key = ("benchmark", *file_identity(find_table(data_dir, name)), *file_identity(find_table(bench, name)),
           id(geography), None if wanted is None else tuple(wanted), name in nhs_number_tables(),
           tuple(sorted(column_mapping(name).items())))

    def load() -> pd.DataFrame:
        own = _load(data_dir, spec, geography, needed, column_mapping(name))
        theirs = _load(bench, spec, geography, needed, {})
        if wanted is None:  # the columns both hold: one that either lacks would be empty for its rows
            common = [c for c in own.columns if c in theirs.columns]
            own, theirs = own[common], theirs[common]
        both = combine(own, theirs, spec)
        return both if wanted is None else both[wanted]

    return memo.current().tables.get(key, load, holds=(geography,), hand_out=pd.DataFrame.copy)


def load_extract(data_dir: Path, name: str, geography: Geography | None = None,
                 columns: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """The table of the analyst's extract alone, never combined with benchmark data (load_table otherwise)."""
    spec = TABLES[name]
    return _load(data_dir, spec, geography, _columns(spec, columns), column_mapping(name))


def _load(data_dir: Path | UPath | str, spec: TableSpec, geography: Geography | None, wanted: list[str] | None,
          mapping: dict[str, str]) -> pd.DataFrame:
    """One folder's table, validated (the validated cache and the memory of a warm kernel used). A column `wanted`
    that the file lacks raises MissingColumns, before the table is read."""
    name = spec.name
    path = find_table(data_dir, name)
    key = (*file_identity(path), id(geography), None if wanted is None else tuple(wanted), name in nhs_number_tables(),
           tuple(sorted(mapping.items())))

    def load() -> pd.DataFrame:
        present = columns_present(path, spec, mapping)
        if present is not None:
            _require(path, spec, wanted, present, mapping)
        validated = _validated_file(path, name, geography, mapping, present)
        if validated is not None and (kept := _read_validated(validated, present, wanted)) is not None:
            return kept
        if validated is None:
            df = validate_table(read_extract(path, spec, mapping), spec, path, geography)
        elif (df := _validate_into(path, spec, geography, mapping, validated)) is None:  # in batches: read back
            df = _read_parquet(validated, wanted)
        _require(path, spec, wanted, list(df.columns), mapping)  # (when the header alone could not be read)
        return df if wanted is None else df[wanted]

    return memo.current().tables.get(key, load, holds=(geography,), hand_out=pd.DataFrame.copy)


def _require(path: Path | UPath, spec: TableSpec, wanted: list[str] | None, present: list[str],
             mapping: dict[str, str]) -> None:
    """Refuse, naming them, the columns asked for that the file lacks (its columns named as the file has them)."""
    missing = [c for c in wanted or () if c not in present]
    if missing:
        names = header(path) or [{v: k for k, v in mapping.items()}.get(c, c) for c in present]
        raise MissingColumns(path, spec, missing, names)


def file_identity(path: Path | UPath) -> tuple[str, int, int | str]:
    """A file as a key of caches: its path, size and modification time; for a URL, fsspec's `ukey` in place of the
    time (the store's ETag, version or modification time, whichever it has, hashed)."""
    if isinstance(path, Path):
        st = path.stat()
        return str(path.resolve()), st.st_size, st.st_mtime_ns
    return str(path), path.fs.size(path.path), path.fs.ukey(path.path)


_DIGESTS: dict[tuple, str] = {}  # a warm kernel hashes each input file once, not once per run


def sha256_file(path: Path | UPath) -> str:
    path = location(path)
    key = file_identity(path)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def read_manifest(data_dir: Path) -> dict:
    """The data set's MANIFEST.json (written by `ivanalysis synth`); {} for an analyst's own extract."""
    path = location(data_dir) / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON: {exc}", file=str(path)) from None


def is_synthetic(data_dir: Path) -> bool:
    return bool(read_manifest(data_dir).get("synthetic", False))
