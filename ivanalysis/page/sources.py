"""A page's data sources: each input table with the national collection that holds it and whether an analyst of an
NHS England specialised commissioning hub can get it (declared once, with the table's schema), and the 'Not measured
here' box: the KPIs the scheme's Menu chapter names that the page does not compute, each with the national source that
would give it and why this book cannot (params/schemes/<id>.yaml, `not_measured`).

All of it is text from the schemas or the parameters: every cell is escaped by html_table, never read as markup.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..config import NotMeasured
from ..data.schemas import TABLES
from ..report.tables import html_table

NOTHING_LEFT_OUT = "The Menu names no KPI for this scheme that this page leaves out."


def tables_frame(tables: Sequence[str]) -> pd.DataFrame:
    """One row per input table: what it is, the national collection that holds it, whether a hub analyst can get it."""
    specs = [TABLES[name] for name in tables]
    return pd.DataFrame({"Table": [f"{s.title} ({s.name})" for s in specs],
                         "National collection": [s.source for s in specs],
                         "Can a hub analyst get it?": [s.access for s in specs]})


def not_measured_frame(items: Sequence[NotMeasured]) -> pd.DataFrame:
    return pd.DataFrame({"Menu KPI": [m.kpi for m in items], "National source": [m.source for m in items],
                         "Why this book cannot": [m.why for m in items]})


def data_sources_html(scheme_id: str, tables: Sequence[str], not_measured: Sequence[NotMeasured]) -> str:
    """The section as HTML: the input tables, then the 'Not measured here' box (or a line saying none is left out)."""
    parts = [html_table(tables_frame(tables), "Where this page's data come from, and whether a hub analyst can get "
                                              "them")]
    if not not_measured:
        parts.append(f"<p>{NOTHING_LEFT_OUT}</p>")
    else:
        box = html_table(not_measured_frame(not_measured),
                         f"Menu KPIs this page does not compute (params/schemes/{scheme_id}.yaml)")
        parts.append('<div class="admonition note iv-not-measured">\n'
                     f'<p class="admonition-title">Not measured here</p>\n{box}\n</div>')
    return "\n".join(parts)
