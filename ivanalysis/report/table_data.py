"""A page's tables as data, for analysts and for the hub workbooks: Parquet (typed) and CSV (numbers, for a
spreadsheet).

The convention, the same in both files:

- one file pair per table and run: `<scheme>_<geography>_<table>.parquet` and `.csv`;
- the columns the page shows, in its order, with the unit in the header: counts end in " (count)", rates and
  shares in " (%)" (a percentage, 0 to 100: 42.2 is 42.2%), money in " (GBP)" (pounds); other figures keep the
  page's header, which names their unit ("Median delay (hours)", "Cost per DDD (GBP)"), and text is text;
- the figures the page shows, at the page's precision: counts whole (below England, 0 or a multiple of 5), money to
  the nearest £100, percentages and other figures to one decimal place;
- after them, for every count and rate column, and every money or other figure that is suppressed beside a
  suppressed count in its row, a flag "<header> suppressed": True where the page shows '*' (disclosure control). A
  suppressed cell is empty; an empty cell that is not flagged is a missing figure;
- the CSV's first line is a note, not data (the table's caption, whether the data are synthetic, the disclosure
  rule): read it with `pandas.read_csv(path, skiprows=1)`. The Parquet file holds the same note, the caption and
  each column's kind in its metadata (key "ivanalysis"). Text cells a spreadsheet would run as a formula are
  prefixed with an apostrophe in the CSV (report.tables.inert); the Parquet file keeps text as it is.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..results import Table
from ..sdc import DATA_RULE_TEXT
from .tables import inert

SUFFIXES = (".parquet", ".csv")
UNITS = {"count": "count", "rate": "%", "money": "GBP"}  # the unit each kind of column names in its header
FLAG = " suppressed"  # a flag column's header: the column's header and this
METADATA_KEY = b"ivanalysis"
SYNTHETIC_NOTE = ("SYNTHETIC DATA: generated figures and synthetic provider codes, not real NHS organisations; "
                  "no decision should be taken on them.")


def _whole(v: float) -> int:
    return int(round(v))


# the page's precision (report.fmt rounds the same way: Python's round is correctly rounded, as string formatting is)
PRECISION = {
    "count": _whole,
    "rate": lambda v: round(v * 100, 1) + 0.0,  # + 0.0: never -0.0
    "money": lambda v: int(round(v, -2)),  # fmt.gbp_table
    "number": lambda v: round(v, 1) + 0.0,
}
DTYPES = {"count": "Int64", "rate": "float64", "money": "Int64", "number": "float64", "text": "object"}


def table_stem(scheme: str, geography: str, key: str) -> str:
    """`immunoglobulin_itp_LON_providers`: a table's file name without its suffix."""
    return f"{scheme}_{geography}_{key}"


def run_tables(run_dir: Path, scheme: str, geography: str, suffix: str = ".parquet") -> dict[str, Path]:
    """A run's table files of one kind, by table key, in the order of their names."""
    prefix = table_stem(scheme, geography, "")
    return {p.name[len(prefix):-len(suffix)]: p for p in sorted(Path(run_dir).glob(f"{prefix}*{suffix}"))}


def header(column: str, kind: str) -> str:
    """A column's header in the data files: the page's, with the unit its kind has ('Courses (count)'); a page
    header's '(£)' is written '(GBP)' (the page's 'Cost per DDD (£)', a figure to one decimal, is
    'Cost per DDD (GBP)')."""
    if column.endswith(" (£)"):
        column, kind = column[:-len(" (£)")], "money"
    return f"{column} ({UNITS[kind]})" if kind in UNITS else column


@dataclass(frozen=True)
class TableData:
    """A table as published data. `frame`: the shown columns with units in their headers, then the flags; `kinds`:
    each shown column's header -> 'count', 'rate', 'money', 'number' or 'text'."""

    caption: str
    frame: pd.DataFrame
    kinds: dict[str, str]
    synthetic: bool
    controlled: bool

    def suppressed(self, column: str) -> pd.Series:
        """Which cells of a shown column are suppressed (all False for a column that is never controlled)."""
        flag = column + FLAG
        if flag in self.frame:
            return self.frame[flag].astype(bool)
        return pd.Series(False, index=self.frame.index)

    @property
    def note(self) -> str:
        """What the table is, whether the data are synthetic, and the disclosure rule: the CSV's first line."""
        rule = (f"Disclosure control: {DATA_RULE_TEXT}. A suppressed cell is empty, and True in the column's "
                f"'...{FLAG}' flag." if self.controlled
                else "England as a whole: counts are not rounded or suppressed.")
        text = (f"# {self.caption.rstrip('.')}.{' ' + SYNTHETIC_NOTE if self.synthetic else ''} {rule} Units are in "
                "the headers; (%) is from 0 to 100. This first line is a note: the table starts on the next line.")
        return " ".join(text.split())  # one line, whatever the caption holds


def table_data(table: Table, *, controlled: bool, synthetic: bool) -> TableData:
    """The table's disclosure-controlled figures (Table.control) as the typed frame the data files hold."""
    values, suppressed = table.control(controlled)
    controlled = table.controlled(controlled)
    followers = set(table.followers()) if controlled and (table.counts or table.rates) else set()
    followers |= set(table.opportunity) if table.withheld else set()  # withheld: flagged in every row
    kinds = {header(col, kind): kind for col, kind in table.kinds().items()}
    if len(kinds) != len(table.kinds()):
        raise ValueError(f"table {table.caption!r}: two columns would have the same header in its data files")
    frame = pd.DataFrame(index=values.index)
    flags = {}
    for (col, kind), name in zip(table.kinds().items(), kinds):
        cells = values[col]  # a suppressed cell is already null
        if kind in PRECISION:
            cells = [None if pd.isna(v) else PRECISION[kind](v) for v in cells]
        frame[name] = pd.Series(list(cells), index=values.index, dtype=DTYPES[kind])
        if kind in ("count", "rate") or col in followers:
            flags[name + FLAG] = suppressed[col].astype(bool)
    for name, flag in flags.items():
        if name in frame:
            raise ValueError(f"table {table.caption!r}: a column is named like a flag: {name!r}")
        frame[name] = flag
    frame = frame.reset_index(drop=True)
    return TableData(table.caption, frame, kinds, synthetic, controlled)


def _metadata(data: TableData) -> dict:
    return {"caption": data.caption, "kinds": data.kinds, "synthetic": data.synthetic, "controlled": data.controlled,
            "note": data.note}


def csv_text(data: TableData) -> str:
    """The CSV: the note, then the header and the rows; numbers as plain numbers (no separators, no symbols), flags
    as True/False, text cells made inert."""
    frame = data.frame.copy()
    for name, kind in data.kinds.items():
        if kind == "text":
            frame[name] = [None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else inert(v)
                           for v in frame[name]]
    frame.columns = [inert(c) for c in frame.columns]
    out = io.StringIO()
    pd.DataFrame([[data.note]]).to_csv(out, index=False, header=False, lineterminator="\n")
    frame.to_csv(out, index=False, lineterminator="\n")
    return out.getvalue()


def write_table(directory: Path, stem: str, data: TableData) -> list[Path]:
    """Write `<stem>.parquet` and `<stem>.csv` into `directory` (the run's folder). The same data give the same
    bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    arrow = pa.Table.from_pandas(data.frame, preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(_metadata(data), ensure_ascii=False).encode()})
    parquet, csv = directory / f"{stem}.parquet", directory / f"{stem}.csv"
    pq.write_table(arrow, parquet)
    # with a byte-order mark, so that a spreadsheet reads the file as UTF-8 (the mark is on the note's line)
    csv.write_text(csv_text(data), encoding="utf-8-sig")
    return [parquet, csv]


def read_table(path: Path) -> TableData:
    """A table's Parquet file, as written by write_table."""
    import pyarrow.parquet as pq

    arrow = pq.read_table(path)
    meta = json.loads((arrow.schema.metadata or {}).get(METADATA_KEY, b"{}"))
    if not meta:
        raise ValueError(f"{path} is not a table written by ivanalysis (no '{METADATA_KEY.decode()}' metadata)")
    frame = arrow.to_pandas()
    return TableData(meta["caption"], frame, meta["kinds"], meta["synthetic"], meta["controlled"])
