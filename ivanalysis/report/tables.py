"""Tables for a page: the disclosure-controlled figures as text, and accessible HTML (caption, column headers)."""
from __future__ import annotations

import html

import pandas as pd

from ..results import Table
from ..sdc import RULE_TEXT, SUPPRESSED
from . import fmt


def display_frame(table: Table, controlled: bool) -> pd.DataFrame:
    """Every shown cell as the text a reader sees, from the disclosure-controlled data (Table.control): '*' where a
    cell is suppressed. `controlled`: the page is an area's below England (Table.controlled says whether the table
    is controlled there)."""
    values, suppressed = table.control(controlled)
    controlled = table.controlled(controlled)
    out = pd.DataFrame(index=values.index)
    for col, kind in table.kinds().items():
        cells, hidden = values[col], suppressed[col]
        if kind == "count":
            # below England a count is a whole number (rounded to 5) or missing; England's are shown as they are
            text = [("" if pd.isna(v) else f"{int(v):,}") if controlled else fmt.number(v) for v in cells]
        elif kind == "rate":
            text = [fmt.pct(v) for v in cells]
        elif kind == "money":
            text = [fmt.gbp_table(v) for v in cells]
        elif kind == "number":
            text = [fmt.number(v, 1) for v in cells]
        else:
            text = ["" if fmt.is_missing(v) else str(v) for v in cells]
        out[col] = [SUPPRESSED if h else t for t, h in zip(text, hidden)]
    return out.reset_index(drop=True)


def inert(value) -> str:
    """A text cell for a CSV, made safe for a spreadsheet: text it would run as a formula (=, +, @, or - not followed
    by a number) is prefixed with an apostrophe."""
    t = "" if value is None else str(value)
    risky = t[:1] in ("=", "+", "@", "\t", "\r") or (t[:1] == "-" and not t[1:2].isdigit() and t[1:2] != "£")
    return "'" + t if risky else t


def csv_text(df: pd.DataFrame) -> str:
    """A table of text as CSV for spreadsheets, every cell made inert (see `inert`)."""
    return df.map(inert).to_csv(index=False, lineterminator="\n")


def html_table(df: pd.DataFrame, caption: str, *, numeric: set[str] | None = None, row_header: bool = True,
               counts: set[str] | None = None, count_cells: set[tuple[int, str]] | None = None,
               sdc: str | None = None) -> str:
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
    mark = f' data-sdc="{sdc}"' if sdc else ""
    return (f'<table class="iv-table"{mark}>\n<caption>{html.escape(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>")


def render(table: Table, controlled: bool) -> str:
    df = display_frame(table, controlled)
    controlled = table.controlled(controlled)
    numeric = set(table.counts) | set(table.rates) | set(table.money) | set(table.numbers)
    caption = table.caption
    if controlled and table.counts:
        # a sentence of its own after the caption (never run into it), its last words kept together when it wraps
        end = "" if caption.rstrip().endswith(".") else "."
        rule = f"{RULE_TEXT[0].upper()}{RULE_TEXT[1:]}."
        caption = f"{caption.rstrip()}{end} " + (rule[:rule.rfind(" ")] + "\u00a0" + rule[rule.rfind(" ") + 1:])
    return html_table(df, caption, numeric=numeric, counts=set(table.counts) - set(table.hidden),
                      sdc="controlled" if controlled else "exact")
