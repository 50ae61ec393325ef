"""Empty tables for an analyst to fill (`ivanalysis template`): per table, a CSV holding only its header row, in the
schema's order, and a README.md saying what each column holds and the rules `validate` checks.

The CSV has no example row: an example left in a filled extract would be read as data and counted, a wrong answer
nobody would see. The README gives the rules (and the dates' format) instead.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..errors import ConfigError
from .dictionary import columns, row_rules
from .schemas import TABLES, TableSpec

README = "README.md"


def tables_named(names: Iterable[str] | None) -> list[TableSpec]:
    """The tables asked for, in the order asked (all, when none are named); an unknown name is refused."""
    names = [n.strip() for item in (names or []) for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise ConfigError(f"no table {', '.join(map(repr, unknown))}: the tables are {', '.join(TABLES)}")
    return [TABLES[n] for n in dict.fromkeys(names)] if names else list(TABLES.values())


def write_templates(out_dir: Path, names: Iterable[str] | None = None, *, force: bool = False) -> list[Path]:
    """Write `<table>.csv` (the header row) for each table asked for, and README.md; return the files written.

    A file already there is never overwritten without `force`: it may be an extract being filled."""
    specs = tables_named(names)
    targets = [out_dir / f"{s.name}.csv" for s in specs] + [out_dir / README]
    there = [p for p in targets if p.exists()]
    if there and not force:
        raise ConfigError(f"{', '.join(str(p) for p in there)} already exist(s): an extract being filled is never "
                          "overwritten. Choose another --out folder, or give --force to replace them")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir} is a file, not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        with (out_dir / f"{spec.name}.csv").open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerow(list(spec.schema.columns))
    (out_dir / README).write_text(readme(specs), encoding="utf-8")
    return targets


def _cell(text: str) -> str:
    """Text in a Markdown table cell: a vertical bar would end the cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def readme(specs: list[TableSpec]) -> str:
    lines = ["# Tables to fill", "",
             "Each CSV here holds one table's header row. Fill one row per record below it, save as UTF-8 CSV with "
             "commas between fields and decimal points (2.5, not 2,5), then check the folder with "
             "`ivanalysis validate --data-dir <this folder>`. A table may also be given as Parquet with the same "
             "columns. Extra columns are allowed and ignored.", "",
             "If your extract names its columns differently, keep its names and give a mapping to ours with "
             "`--columns mapping.yaml` (on `validate`, `run` and `build`): table by table, `their name: our name`.",
             "",
             "Dates are written YYYY-MM-DD (optionally with a time, hh:mm:ss, and an offset such as +01:00, which "
             "is read as UK local time). A run refuses a headline financial year with months missing from a table "
             "unless `--annualise-partial-years` is given.", ""]
    for spec in specs:
        period = ("its quarter (written as the quarter's first day, e.g. 2017-04-01)" if spec.cadence == "quarter"
                  else "its month")
        lines += [f"## `{spec.name}.csv`: {spec.title}", "", spec.description, "",
                  f"One row per `{spec.key}`. `{spec.date_column}` places a row in {period} and the financial year. "
                  f"Like the {spec.like}. Where it comes from: {spec.source} Can a hub analyst get it? {spec.access}",
                  "", f"Every extract of it needs {', '.join(f'`{c}`' for c in spec.required)}; any other column is "
                  "needed only by the schemes that read it (the book's data dictionary lists them), and may be left "
                  "out of an extract for other schemes.",
                  "", "| Column | Type | Value required | Rules | Description |", "|---|---|---|---|---|"]
        for c in columns(spec):
            lines.append(f"| `{c['name']}`{' (identifying)' if c['identifying'] else ''} | {c['kind']} | "
                         f"{'no (may be empty)' if c['nullable'] else 'yes'} | {_cell(c['rules'])} | "
                         f"{_cell(c['description'])} |")
        if row_rules(spec):
            lines += ["", f"Rules across a row: {row_rules(spec)}."]
        lines.append("")
    return "\n".join(lines)
