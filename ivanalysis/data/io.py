"""Read an input table (CSV or Parquet), validate it against its schema and the geography, or say exactly why not."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..geography import Area, Geography
from .schemas import TABLES, TableSpec

SUFFIXES = (".parquet", ".csv")
MANIFEST = "MANIFEST.json"
MAX_EXAMPLES = 3


def find_table(data_dir: Path, name: str) -> Path:
    """The one file holding table `name` in `data_dir`: `<name>.parquet` or `<name>.csv`."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(f"data directory {data_dir} does not exist", file=str(data_dir))
    found = [data_dir / f"{name}{s}" for s in SUFFIXES if (data_dir / f"{name}{s}").exists()]
    if not found:
        raise DataError(f"table '{name}' not found: expected {data_dir / name}.parquet or {data_dir / name}.csv",
                        file=str(data_dir / name))
    if len(found) > 1:
        raise DataError(f"table '{name}' is ambiguous: both {found[0].name} and {found[1].name} are in {data_dir}; "
                        "keep one", file=str(found[0]))
    return found[0]


def read_file(path: Path) -> pd.DataFrame:
    """Read the file as it is; CSV cells are read as text so that the schema reports values it cannot convert."""
    try:
        if path.suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text (byte {exc.object[exc.start]:#04x} at byte offset {exc.start}); "
                        "save the file as UTF-8", file=str(path)) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty (no header row)", file=str(path)) from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed CSV file: {exc}", file=str(path)) from None
    except Exception as exc:  # pyarrow raises several types for damaged Parquet files
        raise DataError(f"{path}: cannot be read as {path.suffix[1:]}: {type(exc).__name__}: {exc}",
                        file=str(path)) from None
    return df.reset_index(drop=True)


def _where(path: Path, index) -> str:
    try:
        i = int(index)
    except (TypeError, ValueError):
        return "the table"
    return f"row {i + 1} (line {i + 2})" if path.suffix == ".csv" else f"row {i + 1}"


def _problems(failures: pd.DataFrame) -> list[dict]:
    """Group pandera's failure cases by column and rule; drop the knock-on failures of a column that did not convert."""
    failures = failures.copy()
    failures["column"] = failures["column"].astype(object).where(failures["column"].notna(), None)
    unconverted = set(failures.loc[failures["check"].astype(str).str.startswith("coerce_dtype"), "column"])
    keep = ~failures["column"].isin(unconverted) | failures["check"].astype(str).str.startswith("coerce_dtype")
    problems = []
    for (column, check), group in failures[keep].groupby(["column", "check"], dropna=False, sort=False):
        problems.append({"column": column, "rule": str(check), "count": len(group),
                         "examples": list(zip(group["index"].tolist()[:MAX_EXAMPLES],
                                              group["failure_case"].tolist()[:MAX_EXAMPLES]))})
    return problems


def _message(spec: TableSpec, path: Path, problems: list[dict]) -> str:
    lines = [f"{path}: table '{spec.name}' breaks {len(problems)} rule(s) of its schema:"]
    for p in problems[:12]:
        if p["rule"] == "column_in_dataframe":
            lines.append(f"  - column '{p['examples'][0][1]}' is missing (columns found: {p.get('found', '?')})")
            continue
        rule = "value could not be read as " + p["rule"][len("coerce_dtype("):-1] if p["rule"].startswith("coerce_dtype") else p["rule"]
        examples = "; ".join(f"{_where(path, i)}: {v!r}" for i, v in p["examples"])
        col = f"column '{p['column']}'" if p["column"] else "rows"
        lines.append(f"  - {col}, rule {rule}: {p['count']} row(s), e.g. {examples}")
    if len(problems) > 12:
        lines.append(f"  ... and {len(problems) - 12} more")
    return "\n".join(lines)


def validate_table(df: pd.DataFrame, spec: TableSpec, path: Path, geography: Geography | None = None) -> pd.DataFrame:
    """Return the typed table, or raise a DataError naming the file, each column and rule, and example rows."""
    import pandera.errors

    missing = [c for c in spec.schema.columns if c not in df.columns]
    if missing:
        problems = [{"column": c, "rule": "column_in_dataframe", "count": 1, "examples": [(None, c)],
                     "found": ", ".join(map(str, df.columns)) or "none"} for c in missing]
        raise DataError(_message(spec, path, problems), file=str(path), problems=problems)
    if df.empty:
        raise DataError(f"{path}: table '{spec.name}' has a header but no rows", file=str(path))
    try:
        typed = spec.schema.validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        problems = _problems(exc.failure_cases)
        raise DataError(_message(spec, path, problems), file=str(path), problems=problems) from None
    if geography is not None:
        known = typed[spec.provider_column].isin(geography.provider_hub.keys())
        if not known.all():
            bad = typed.loc[~known, spec.provider_column]
            problems = [{"column": spec.provider_column, "rule": "provider listed in params/geography.yaml",
                         "count": len(bad), "examples": list(zip(bad.index[:MAX_EXAMPLES], bad.iloc[:MAX_EXAMPLES]))}]
            raise DataError(_message(spec, path, problems), file=str(path), problems=problems)
    return typed


def load_table(data_dir: Path, name: str, geography: Geography | None = None) -> pd.DataFrame:
    """Find, read and validate one input table (the whole of England: benchmarks need every provider)."""
    spec = TABLES[name]
    path = find_table(Path(data_dir), name)
    return validate_table(read_file(path), spec, path, geography)


def in_area(df: pd.DataFrame, area: Area, provider_column: str = "provider_code") -> pd.DataFrame:
    """The rows of the providers in `area` (England keeps every row)."""
    if area.is_national:
        return df
    return df[df[provider_column].isin(area.providers)]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(data_dir: Path) -> dict:
    """The data set's MANIFEST.json (written by `ivanalysis synth`); {} for an analyst's own extract."""
    path = Path(data_dir) / MANIFEST
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not valid JSON: {exc}", file=str(path)) from None


def is_synthetic(data_dir: Path) -> bool:
    return bool(read_manifest(data_dir).get("synthetic", False))
