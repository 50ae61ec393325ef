"""Tables for a page: disclosure control, number formats and accessible HTML (caption, column headers)."""
from __future__ import annotations

import html

import pandas as pd

from ..results import Table
from . import fmt
from ..sdc import SUPPRESSED, control_count, control_rate_allowed


def display_frame(table: Table, controlled: bool) -> pd.DataFrame:
    """Every cell as the text a reader sees. `controlled`: apply disclosure control (below national level)."""
    df = table.frame
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col in table.hidden:
            continue
        values = df[col]
        if col in table.counts:
            out[col] = [control_count(v) if controlled else fmt.number(v) for v in values]
            out[col] = [f"{v:,}" if isinstance(v, int) else v for v in out[col]]
        elif col in table.rates:
            num, den = table.rates[col]
            out[col] = [SUPPRESSED if controlled and not control_rate_allowed(n, d) else fmt.pct(v)
                        for v, n, d in zip(values, df[num], df[den])]
        elif col in table.money:
            out[col] = [fmt.gbp_table(v) for v in values]
        elif col in table.numbers:
            out[col] = [fmt.number(v, 1) for v in values]
        else:
            out[col] = ["" if fmt.is_missing(v) else str(v) for v in values]
    return out.reset_index(drop=True)


def csv_text(df: pd.DataFrame) -> str:
    """A table as CSV for spreadsheets, each cell as the page shows it (disclosure control included). A cell that a
    spreadsheet would run as a formula (=, +, @, or - not followed by a number) is prefixed with an apostrophe."""
    def inert(v) -> str:
        t = "" if v is None else str(v)
        risky = t[:1] in ("=", "+", "@", "\t", "\r") or (t[:1] == "-" and not t[1:2].isdigit() and t[1:2] != "£")
        return "'" + t if risky else t

    return df.map(inert).to_csv(index=False, lineterminator="\n")


def html_table(df: pd.DataFrame, caption: str, *, numeric: set[str] | None = None, row_header: bool = True,
               counts: set[str] | None = None, count_cells: set[tuple[int, str]] | None = None) -> str:
    """A plain, accessible HTML table: <caption>, <th scope="col">, the first column as row headers.

    Every cell is escaped: text from the data (codes, names) is never interpreted as HTML. Cells holding counts
    (columns in `counts`, or single cells (row number, column) in `count_cells`) carry class "count", so that a scan
    of the published pages can check each one is disclosure-controlled.
    """
    numeric, counts, count_cells = numeric or set(), counts or set(), count_cells or set()
    num = ' class="num"'
    head = "".join(f'<th scope="col"{num if c in numeric else ""}>{html.escape(str(c))}</th>' for c in df.columns)
    rows = []
    for r, rec in enumerate(df.itertuples(index=False)):
        cells = []
        for i, (col, v) in enumerate(zip(df.columns, rec)):
            text = html.escape(str(v))
            if i == 0 and row_header:
                cells.append(f'<th scope="row">{text}</th>')
            elif col in counts or (r, col) in count_cells:
                cells.append(f'<td class="num count">{text}</td>')
            else:
                cells.append(f'<td{num if col in numeric else ""}>{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<table class="iv-table">\n<caption>{html.escape(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def render(table: Table, controlled: bool) -> str:
    df = display_frame(table, controlled)
    numeric = set(table.counts) | set(table.rates) | set(table.money) | set(table.numbers)
    caption = table.caption + (" Counts of 1 to 7 are shown as *, others rounded to the nearest 5." if controlled
                               and table.counts else "")
    return html_table(df, caption, numeric=numeric, counts=set(table.counts) - set(table.hidden))
