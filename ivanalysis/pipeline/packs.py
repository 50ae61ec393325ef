"""Hub packs to take away: an Excel workbook and a PDF for each hub.

The workbook is built from what the book already collects (each run's results.json and the tables the run wrote
as data, already disclosure-controlled: report/table_data.py); it is staged with the book's sources, so an unchanged
build rewrites nothing (its bytes are deterministic). The PDF is printed by headless Chromium from the built HTML into
the new HTML folder before it is published: a cover (the data period, the day it was built, the contents with page
numbers), the hub pack page, then the hub's run pages, with a bookmark for each page and 'page N of M' in each footer.
Its links work wherever it is read: to its own pages, internal; to the rest of the book, the published book's address
(_config.yml html.baseurl) or, without one, relative to the PDF in the book's folder. A hub's PDF is made again only
when what it is printed from changed, and then only its parts (cover, pages) that changed are printed: the others are
taken from earlier prints (pdf_pages.py).
"""
from __future__ import annotations

import asyncio
import hashlib
import html as html_module
import io
import math
import os
import re
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from markupsafe import Markup

from ..config import SCENARIOS
from ..geography import Area
from ..report.mdc import ASSURANCE_TEXT, VARIATION_TEXT, WORDS_EXPLAINED
from ..report.table_data import TableData, read_table, run_tables
from ..results import KpiRecord
from ..sdc import RULE_TEXT, SUPPRESSED, WITHHELD_TEXT
from . import pdf_pages
from .pdf_pages import PLACE, PRINTED_FROM, SITE, Finishing, Heading, PrintStore, anchor
from .runs_view import BookError, RunView, collect, ranked
from .templating import markup, render

PACKS_DIR = "downloads/packs"  # in the staged book (workbooks) and in the HTML folder (PDFs)
PDF_VERSION = "5"  # part of each PDF's input hash: change it when the printing below changes
# The scale Chromium prints at (of the page as a reader's browser lays it out at A4's width): what it chose when it
# shrank a whole pack to fit its widest table. Fixed, so each part prints the same alone or with the others.
PRINT_SCALE = 0.85
PRINT_TABS = max(1, min(4, os.cpu_count() or 1))  # documents printed at once

# --- the Excel workbook ----------------------------------------------------------------------------------------------

GBP = '"£"#,##0'
UNIT_FORMATS = {"share": "0.0%", "gbp": GBP, "count": "#,##0", "days": "#,##0", "grams": "#,##0", "hours": "#,##0",
                "admissions": "#,##0", "providers": "#,##0", "areas": "#,##0", "fractions": "#,##0.0",
                "g_per_kg": "#,##0.0", "ratio": "0.00"}
STATUS_TEXT = {True: "analysed", False: "run failed", None: "not run"}
BESIDE_STATUS = "analysed: its savings stand beside the headline (see its sheet)"
WITHHELD_STATUS = "analysed: its opportunity is withheld"
SDC_NOTE = (f"Counts are disclosure-controlled: {RULE_TEXT} (totals from unrounded values, then rounded); a rate "
            "built on a count shown as * is * too. Money in tables is to the nearest £100.")
SYNTHETIC_NOTE = ("SYNTHETIC DATA: these figures come from generated data and synthetic provider codes, not from "
                  "real NHS organisations. No decision should be taken on these numbers.")
OVERLAP_NOTE = ("The totals add schemes whose opportunities may overlap (the same patients or spend can count in "
                "more than one scheme): read them as an order of magnitude, not a sum to bank.")

# a run's tables (report/table_data.py) as numbers, each kind with the format that shows it as the page does
TABLE_FORMATS = {"count": "#,##0", "rate": "0.0%", "money": GBP, "number": "#,##0.0"}
_RISKY = ("=", "+", "-", "@", "\t", "\r")


SHEET_NAME_MAX = 31  # Excel's limit
_JOINING = {"a", "and", "for", "in", "of", "on", "the", "to", "with"}  # never the last word of a shortened name


def sheet_name(number: int, short: str) -> str:
    """'09 Oral chemotherapy wastage': at most 31 characters (Excel's limit), no []:*?/\\. A longer name keeps its
    whole words that fit, not ending on a joining word, and says it is shortened: '13 Term admissions to neonatal…'."""
    name = re.sub(r"[\[\]:*?/\\]", "", f"{number:02d} {short}")
    if len(name) <= SHEET_NAME_MAX:
        return name
    words = name.split(" ")
    while len(words) > 2 and (len(" ".join(words)) + 1 > SHEET_NAME_MAX or words[-1].lower() in _JOINING):
        words.pop()
    shortened = " ".join(words)
    return (shortened if len(shortened) < SHEET_NAME_MAX else shortened[:SHEET_NAME_MAX - 1]) + "…"


def table_cells(data: TableData) -> list[list[tuple[object, str | None]]]:
    """A run's table, row by row, as (value, number format) for each shown column: numbers with the format that shows
    them as the page does (a rate, stored as a percentage, becomes a fraction under a % format), '*' for a suppressed
    cell, text as it is (the caller stores text as text, never as a formula), None for a missing figure."""
    import pandas as pd

    columns = [(name, kind, data.suppressed(name)) for name, kind in data.kinds.items()]
    rows = []
    for i in range(len(data.frame)):
        row = []
        for name, kind, suppressed in columns:
            v = data.frame[name].iloc[i]
            if suppressed.iloc[i]:
                row.append((SUPPRESSED, None))
            elif v is None or pd.isna(v):
                row.append((None, None))
            elif kind == "text":
                row.append((str(v), None))
            elif kind == "rate":
                row.append((round(float(v) / 100, 6), TABLE_FORMATS[kind]))
            else:
                row.append((int(v) if kind in ("count", "money") else float(v), TABLE_FORMATS[kind]))
        rows.append(row)
    return rows


# --- the calculator: what a reader of the workbook may change ---------------------------------------------------------


@dataclass(frozen=True)
class Scaling:
    """A component of a scheme's headline in proportion to one of its assumptions, all else held: the workbook lets
    a reader put in their own value of it. How the rest of a headline moves with an assumption (a benchmark, a target
    share, a threshold) goes through the scheme's analysis of the data, which no spreadsheet formula reproduces."""

    assumption: str  # its key in params/schemes/<id>.yaml
    component: str  # the component of the headline it scales, labelled as the scheme labels it
    why: str  # why the component is in proportion to it, for the reader


# Read from each scheme's module (the function named); tests/integration/test_workbook_calculator.py runs each scheme
# with the assumption halved and checks that the component halves and nothing else moves.
SCALINGS = {
    # area_opportunity(): the grams saved times the price per gram
    "immunoglobulin_itp": Scaling(
        "price_per_gram", "Immunoglobulin not given above 1 g/kg",
        "it is the grams of immunoglobulin not given times the price per gram"),
    # provider_savings(): the uptake times the sum of each switchable patient's saving
    "myositis_rituximab": Scaling(
        "uptake_share", "Maintenance immunoglobulin replaced by rituximab",
        "it is the share of switchable patients switched times each one's saving (the immunoglobulin no longer bought "
        "less the rituximab given instead)"),
    # provider_savings(): the packs no longer wasted and the extra instalments (reviews, dispensings) both times uptake
    "oral_chemo_wastage": Scaling(
        "uptake_share", "High-cost oral chemotherapy no longer wasted",
        "the packs no longer wasted, and the reviews and dispensings of the extra instalments netted off them, both "
        "grow in proportion to the supplies moved"),
    # opportunity() -> avoidable(): the spend without a valid approval times the avoidable share
    "ms_dmt": Scaling(
        "avoidable_share", "MS disease-modifying therapy outside the policy",
        "it is the spend without a valid approval times the share the policy avoids"),
    # provider_savings(): the spend without approval times the avoidable share (the spend above the PAS price apart)
    "obeticholic_acid": Scaling(
        "avoidable_share", "Obeticholic acid without Blueteq and MDT approval",
        "it is the spend without Blueteq and MDT approval times the share the funding rule avoids"),
    # provider_savings(): the doses moved times their mean drug cost times the purchase share
    "chemo_dose_banding": Scaling(
        "purchase_saving_share", "Purchase saving on doses moved to standard products",
        "it is the drug cost of the doses moved to standard products times the share saved on their purchase"),
}


@dataclass(frozen=True)
class Formula:
    """A cell's formula ('=B7-B8'): the only cells the workbook writes as formulas (text from data never is one)."""

    text: str


FONT = "Calibri"  # openpyxl's default for cells without a style
INPUT_FILL = "FFF2CC"  # the cells a reader may change: Excel's own colour for input cells
_LINK_COLOUR = "0563C1"
_SCENARIO_COLUMNS = {s: "BCD"[i] for i, s in enumerate(SCENARIOS)}  # low, moderate, high: the same columns on a sheet
BOOK_VALUE, YOUR_VALUE = "The book's value", "Your value"  # of the assumption named on the line above
SOURCE_WIDTH = 60  # characters: the column of the assumptions' sources, whose text wraps


class _Sheet:
    """Writes rows down a worksheet: text always as text, numbers with their format, formulas only as Formula, column
    widths from content."""

    def __init__(self, ws) -> None:
        self.ws, self.row, self.widths = ws, 0, {}

    def _style(self, name: str) -> str:
        """A named style, registered once per workbook: far cheaper than setting fonts and formats cell by cell."""
        from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

        wb = self.ws.parent
        if name not in wb.named_styles:
            style = NamedStyle(name=name)
            style.font = Font(name=FONT, size=11)  # the workbook's own font: a style without one reads as a serif
            if name == "iv-header":
                style.font = Font(name=FONT, size=11, bold=True)
                style.fill = PatternFill("solid", fgColor="DCE6F1")
                style.border = Border(bottom=Side(style="thin", color="005EB8"))
            elif name == "iv-bold":
                style.font = Font(name=FONT, size=11, bold=True)
            elif name == "iv-title":
                style.font = Font(name=FONT, size=14, bold=True)
            elif name == "iv-warn":
                style.font = Font(name=FONT, size=11, bold=True, color="9C0006")
            elif name == "iv-link":
                style.font = Font(name=FONT, size=11, color=_LINK_COLOUR, underline="single")
            elif name == "iv-wrap":  # a long text in a column of its own (a source)
                style.alignment = Alignment(wrap_text=True, vertical="top")
            else:  # "iv-num <format>", "iv-num-bold <format>" (a totals row), "iv-input <format>" (a cell to change)
                kind, fmt = name.split(" ", 1)
                style.font = Font(name=FONT, size=11, bold=kind == "iv-num-bold")
                style.number_format = fmt
                if kind == "iv-input":
                    edge = Side(style="thin", color="BF9000")
                    style.fill = PatternFill("solid", fgColor=INPUT_FILL)
                    style.border = Border(left=edge, right=edge, top=edge, bottom=edge)
            wb.add_named_style(style)
        return name

    def cell(self, col: int, value, number_format: str | None = None, *, style: str | None = None,
             measure: bool = True):
        if isinstance(value, Formula):
            c = self.ws.cell(row=self.row, column=col, value=value.text)  # '=...': openpyxl writes it as a formula
        else:
            c = self.ws.cell(row=self.row, column=col, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # openpyxl would store text starting with "=" as a formula
            if value[:1] in _RISKY:
                c.quotePrefix = True  # and Excel keeps it text when the cell is edited
        if number_format and isinstance(value, (int, float, Formula)):
            kind = {"iv-bold": "iv-num-bold", "iv-input": "iv-input"}.get(style or "", "iv-num")
            style = self._style(f"{kind} {number_format}")
        if style:
            c.style = self._style(style)
        if measure and value is not None:
            shown = ("£99,999,999" if isinstance(value, Formula) else f"{value:,.2f}" if isinstance(value, float)
                     else str(value))
            self.widths[col] = max(self.widths.get(col, 0), len(shown) + 2)
        return c

    def line(self, values: list, formats: list | None = None, *, style: str | None = None, header: bool = False,
             measure: bool = True) -> None:
        self.row += 1
        for col, value in enumerate(values, 1):
            self.cell(col, value, formats[col - 1] if formats and col <= len(formats) else None,
                      style="iv-header" if header else style, measure=measure)

    def inputs(self, label: str, values: list, number_format: str, *, share: bool) -> None:
        """A line of cells for the reader to change, after its label: a share from 0 to 1 (0% to 100%), anything
        else not below 0 (a spreadsheet refuses other entries)."""
        from openpyxl.worksheet.datavalidation import DataValidation

        self.line([label])
        check = DataValidation(type="decimal", operator="between" if share else "greaterThanOrEqual",
                               formula1="0", formula2="1" if share else None, showErrorMessage=True,
                               error="A share from 0% to 100%" if share else "A value of 0 or more")
        self.ws.add_data_validation(check)
        for col, value in enumerate(values, 2):
            check.add(self.cell(col, value, number_format, style="iv-input"))

    def link(self, col: int, sheet: str) -> None:
        """Make the cell at `col` on the current row a link to the top of the workbook's sheet `sheet`."""
        from openpyxl.utils import quote_sheetname
        from openpyxl.worksheet.hyperlink import Hyperlink

        c = self.ws.cell(row=self.row, column=col)
        c.hyperlink = Hyperlink(ref=c.coordinate, location=f"{quote_sheetname(sheet)}!A1", display=str(c.value))
        c.style = self._style("iv-link")

    def note(self, text: str, style: str | None = None) -> None:
        self.line([text], style=style, measure=False)  # a long note spills over empty cells; it sets no width

    def blank(self) -> None:
        self.row += 1

    def finish(self, freeze_below: int) -> None:
        from openpyxl.utils import get_column_letter

        self.ws.freeze_panes = f"A{freeze_below + 1}"
        for col, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(col)].width = min(max(width, 8), 60)


def _kpi_value(kpi: KpiRecord) -> tuple[object, str | None]:
    fmt = GBP + ".00" if kpi.unit.startswith("gbp_per_") else UNIT_FORMATS.get(kpi.unit, "#,##0.00")
    return kpi.value, (fmt if isinstance(kpi.value, (int, float)) else None)


def _unit_text(unit: str) -> str:
    """'share' -> 'share (%)', 'gbp_per_gram' -> '£ per gram', 'bed_days_per_year' -> 'bed days per year'."""
    if unit.startswith("gbp_per_"):
        return "£ per " + unit[len("gbp_per_"):].replace("_", " ")
    return {"gbp": "£", "share": "share (%)"}.get(unit, unit.replace("_", " "))


def assumption_format(unit: str, values: list[float]) -> str:
    """How an assumption's values read in a cell: a share as a percentage, money in pounds (and pence where a value
    has them), other figures whole, or with the decimals they have."""
    whole = all(float(v).is_integer() for v in values)
    if unit == "share":
        return "0%" if all(float(v * 100).is_integer() for v in values) else "0.0%"
    if unit == "gbp" or unit.startswith("gbp_per_"):
        return GBP if whole else GBP + ".00"
    return "#,##0" if whole else "#,##0.0##"


SUMMARY_HEADER = ["No.", "Scheme", "Period", "Low (£)", "Moderate (£)", "High (£)", "Your low (£)",
                  "Your moderate (£)", "Your high (£)", "Headline indicator", "Value", "Unit", "Target",
                  "Monthly trend", "Status", "Sheet"]
_YOURS = "GHI"  # the Summary's columns of the reader's figures, low to high


def _summary(sh: _Sheet, area: Area, own: list[RunView], synthetic: bool, yours: dict[str, dict[str, str]]) -> None:
    """`yours`: scheme id -> scenario -> the cell of the reader's figure on the scheme's sheet ('Sheet'!$B$20)."""
    sh.note(f"Hub pack: {area.name}: Improving Value opportunities in pounds a year", "iv-title")
    sh.note(SYNTHETIC_NOTE if synthetic else "Figures from each scheme's run for this hub (its results.json).",
            "iv-warn" if synthetic else None)
    sh.note(OVERLAP_NOTE)
    sh.note("Schemes ranked by the moderate headline, as the hub pack page ranks them. Low, moderate and high are the "
            "book's figures; 'your' figures are what each scheme's sheet gives with your values in its yellow cells "
            "(they start at the book's). A scheme's name opens its sheet.")
    sh.blank()
    sh.line(SUMMARY_HEADER, header=True)
    header_row = sh.row
    for v in ranked(own):
        if not v.ok:
            sh.line([v.scheme.number, v.scheme.title, "", None, None, None, None, None, None, "", None, "", None, "",
                     STATUS_TEXT[False if v.results else None], ""])
            continue
        r = v.results
        kpi = r.kpis[0]
        value, value_fmt = _kpi_value(kpi)
        name = sheet_name(v.scheme.number, v.scheme.short)
        # £0 because every saving stands beside the headline (capacity, cost avoided, another payer's), not because
        # the run found nothing: the pack page shows "—", the status says why
        status = WITHHELD_STATUS if v.withheld else STATUS_TEXT[True] if any(
            c.in_totals for c in r.opportunity_components) else BESIDE_STATUS
        sh.line([v.scheme.number, v.scheme.title, r.period, *(r.opportunity_gbp.get(s) for s in SCENARIOS),
                 *(Formula(f"={yours[v.scheme.id][s]}") if yours.get(v.scheme.id) else None for s in SCENARIOS),
                 kpi.name, value, _unit_text(kpi.unit), kpi.target, VARIATION_TEXT[r.measure.variation],
                 status, name],
                [None, None, None, GBP, GBP, GBP, GBP, GBP, GBP, None, value_fmt, None, value_fmt, None, None, None])
        sh.link(2, name)
        sh.link(len(SUMMARY_HEADER), name)
    first, last = header_row + 1, sh.row
    ok = [v for v in own if v.ok]
    # one total a financial year, the latest first: a pound of 2016/17 and a pound of 2017/18 are never added; the
    # reader's totals add up the schemes' lines of that year, wherever a sort of the table puts them
    for year in sorted({v.results.period for v in ok}, reverse=True):
        same = [v for v in ok if v.results.period == year and not v.withheld]  # a withheld figure adds nothing
        held = sum(v.withheld for v in ok if v.results.period == year)
        totals = [sum(v.results.opportunity_gbp.get(s) for v in same) for s in SCENARIOS]
        sh.line([None, f"All analysed schemes, {year} ({len(same)}" + (f"; {held} withheld, not in it)" if held
                                                                         else ")"), year, *totals,
                 *(Formula(f'=SUMIF($C${first}:$C${last},"{year}",{c}${first}:{c}${last})') for c in _YOURS)],
                [None, None, None, *[GBP] * 6], style="iv-bold")
    sh.ws.auto_filter.ref = f"A{header_row}:P{last}"
    sh.blank()
    sh.note("Each scheme's sheet holds its indicators, what you can change, its assumptions with their sources, and "
            "its tables for this hub.")
    sh.note(WORDS_EXPLAINED)
    sh.finish(header_row)


def _calculator(sh: _Sheet, v: RunView, labels: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """'Try your own figures': the headline's components, each one's net as its saving less its cost (formulas), the
    book's figure as their sum, and the reader's figure from it: their share of the opportunity achieved and, where
    a component is in proportion to an assumption (SCALINGS), their value of it. Returns the cells of the reader's
    figure by scenario (absolute, on this sheet)."""
    r = v.results
    if v.withheld:
        sh.blank()
        sh.note(f"{WITHHELD_STATUS}: {WITHHELD_TEXT[r.withheld]}. So there is no figure here to try your own "
                "against; the scheme's page for England has the national one.")
        return {}
    counted = [c for c in r.opportunity_components if c.in_totals]
    scaling = SCALINGS.get(v.scheme.id)
    if scaling and (scaling.assumption not in r.provenance.assumptions
                    or scaling.component not in {c.label for c in r.opportunity_components}):
        raise BookError(f"packs.SCALINGS: {v.scheme.id}'s run has no assumption {scaling.assumption!r} or no "
                        f"component {scaling.component!r}: say again what its figure scales with")
    if scaling and scaling.component not in {c.label for c in counted}:
        scaling = None  # the component stands beside the headline here: nothing of the figure scales with it
    money = [None, *[GBP] * len(SCENARIOS)]
    sh.blank()
    sh.note("Try your own figures", "iv-bold")
    sh.note("Change the yellow cells: the figures below, this scheme's line on the Summary and the hub's totals "
            "follow. Each part's net is its saving less what it costs to make it.")
    sh.line(["Item", *(s.capitalize() for s in SCENARIOS)], header=True)
    nets = {}
    for c in counted:
        sh.line([f"{c.label}: saving (£)", *(c.gross.get(s) for s in SCENARIOS)], money)
        sh.line([f"{c.label}: cost of making it (£)", *(c.implementation_cost.get(s) for s in SCENARIOS)], money)
        sh.line([f"{c.label}: net (£)", *(Formula(f"={col}{sh.row - 1}-{col}{sh.row}")
                                         for col in _SCENARIO_COLUMNS.values())], money)
        nets[c.label] = sh.row
    sh.line(["The book's figure (£)", *(Formula("=" + "+".join(f"{col}{row}" for row in nets.values())) if nets
                                         else 0 for col in _SCENARIO_COLUMNS.values())], money, style="iv-bold")
    book = sh.row
    rows = {}
    if scaling:
        label, unit, _ = labels.get(scaling.assumption, (scaling.assumption, "", ""))
        values = [r.provenance.assumptions[scaling.assumption].get(s) for s in SCENARIOS]
        fmt = assumption_format(unit, values)
        sh.note(f"{label}:")
        sh.line([BOOK_VALUE, *values], [None, *[fmt] * len(SCENARIOS)])
        rows["book"] = sh.row
        sh.inputs(YOUR_VALUE, values, fmt, share=unit == "share")
        rows["yours"] = sh.row
    sh.inputs("Your share of the opportunity achieved", [1], "0%", share=True)
    share = sh.row

    def figure(col: str) -> Formula:
        whole = f"{col}{book}"
        if scaling:  # the scaled part at your value; a book's value of 0 gives nothing to scale from
            part, mine, theirs = f"{col}{nets[scaling.component]}", f"{col}{rows['yours']}", f"{col}{rows['book']}"
            whole = f"{whole}-{part}+IF({theirs}=0,{part},{part}*{mine}/{theirs})"
        return Formula(f"=$B${share}*({whole})")

    sh.line(["Your figure (£)", *(figure(col) for col in _SCENARIO_COLUMNS.values())], money, style="iv-bold")
    result = sh.row
    if not counted:
        sh.note("None of this scheme's savings is in its headline here (they are capacity, cost avoided, another "
                "payer's or kept apart: see its page), so its figure is £0.")
    elif scaling:
        label = labels.get(scaling.assumption, (scaling.assumption,))[0]
        sh.note(f"'{scaling.component}' is in proportion to '{label}': {scaling.why}.")
        if 0 in values:
            sh.note("A scenario whose value is 0 in the book has nothing to scale from: its figure keeps the book's.")
    else:
        sh.note("None of this scheme's assumptions moves its figure in proportion (its benchmarks, targets and "
                "thresholds work through the data), so only your share achieved is offered here.")
    sh.note(f"To try any other assumption, run the scheme's notebook with your values (params/schemes/{v.scheme.id}"
            ".yaml).")
    return {s: f"${col}${result}" for s, col in _SCENARIO_COLUMNS.items()}


def _scheme(sh: _Sheet, v: RunView, run_dir: Path, synthetic: bool) -> dict[str, str]:
    """A scheme's sheet; returns the cells of the reader's figure by scenario, as the Summary refers to them."""
    from openpyxl.utils import quote_sheetname

    from ..schemes import registry

    r = v.results
    sh.note(f"{v.scheme.number}. {v.scheme.title}: {v.area.name}, {r.period}", "iv-title")
    sh.note(r.headline)
    if synthetic:
        sh.note(SYNTHETIC_NOTE, "iv-warn")
    sh.note(SDC_NOTE)
    sh.note("Back to the Summary")
    sh.link(1, "Summary")
    frozen = sh.row
    sh.blank()
    units = r.opportunity_units
    sh.note(f"Opportunity a year (the page shows the {r.scenario} scenario)", "iv-bold")
    sh.line(["Scenario", "Opportunity (£)", *(f"{u.label} ({u.unit})" for u in units)], header=True)
    for s in SCENARIOS:
        sh.line([s, r.opportunity_gbp.get(s), *(u.get(s) for u in units)], [None, GBP, *("#,##0" for _ in units)])
    specs = registry.params(v.scheme.id).assumptions
    labels = {name: (a.label, a.unit, a.source) for name, a in specs.items()}
    yours = _calculator(sh, v, labels)
    sh.blank()
    sh.note("Indicators", "iv-bold")
    sh.line(["Indicator", "Value", "Unit", "Target", "Higher is better", "Met", "Note"], header=True)
    yes_no = {True: "yes", False: "no", None: ""}
    for kpi in r.kpis:
        value, value_fmt = _kpi_value(kpi)
        sh.line([kpi.name, value, _unit_text(kpi.unit), kpi.target, yes_no[kpi.higher_is_better],
                 yes_no[kpi.met], kpi.note], [None, value_fmt, None, value_fmt])
    m = r.measure
    sh.blank()
    sh.note("Monthly trend and provider comparison", "iv-bold")
    sh.line(["Item", "Value"], header=True)
    for item, value in [("Measure", m.name), ("Trend (SPC variation)", VARIATION_TEXT[m.variation]),
                        ("Assurance against target", ASSURANCE_TEXT[m.assurance]), ("Providers compared", m.providers),
                        ("Providers worse than the 99.8% limit", ", ".join(m.providers_worse_998) or "none"),
                        ("Data months", f"{r.data.first_month} to {r.data.last_month}")]:
        sh.line([item, value])
    assumptions = r.provenance.assumptions
    if assumptions:
        sh.blank()
        sh.note(f"Assumptions of this run, with their sources (params/schemes/{v.scheme.id}.yaml)", "iv-bold")
        sh.line(["Assumption", *(s.capitalize() for s in SCENARIOS), "Unit", "Parameter", "Source"], header=True)
        for name, values in assumptions.items():
            label, unit, source = labels.get(name, (name, "", "not in the scheme's parameters file now"))
            numbers = [values.get(s) for s in SCENARIOS]
            fmt = assumption_format(unit, numbers)
            sh.line([label, *numbers, _unit_text(unit), name], [None, fmt, fmt, fmt])
            text = " ".join(source.split())
            sh.cell(len(SCENARIOS) + 4, text, style="iv-wrap", measure=False)
            sh.widths[len(SCENARIOS) + 4] = SOURCE_WIDTH
            # a spreadsheet does not fit a row to wrapped text it opens: the row is made tall enough here
            sh.ws.row_dimensions[sh.row].height = 15 * max(1, math.ceil(len(text) / (SOURCE_WIDTH - 8)))
    for key, table in run_tables(run_dir, v.scheme.id, v.area.code).items():
        data = read_table(table)
        sh.blank()
        sh.note(f"Table: {key.replace('_', ' ')} (also {table.name} and .csv on the run page)", "iv-bold")
        sh.line(list(data.kinds), header=True)
        for cells in table_cells(data):
            sh.line([c[0] for c in cells], [c[1] for c in cells])
    sh.finish(frozen)
    return {s: f"{quote_sheetname(sh.ws.title)}!{cell}" for s, cell in yours.items()}


def workbook(area: Area, views: list[RunView], synthetic: bool) -> bytes:
    """The hub's workbook: a Summary sheet (the schemes ranked, the hub's totals a year), then a sheet per analysed
    scheme, in scheme order, each with a calculator whose figures the Summary's 'your' columns and totals follow.
    The same runs give the same bytes."""
    from openpyxl import Workbook
    from openpyxl.workbook.properties import CalcProperties
    from openpyxl.xml.functions import tostring

    from ..paths import runs_dir

    own = sorted((v for v in views if v.area.code == area.code), key=lambda v: v.scheme.number)
    wb = Workbook()
    wb.active.title = "Summary"
    yours = {}
    for v in own:
        if v.ok:
            ws = wb.create_sheet(sheet_name(v.scheme.number, v.scheme.short))
            yours[v.scheme.id] = _scheme(_Sheet(ws), v, runs_dir() / v.scheme.id / v.area.code, synthetic)
    _summary(_Sheet(wb["Summary"]), area, own, synthetic, yours)
    # no formula carries a value computed here: a spreadsheet computes them all on opening
    wb.calculation = CalcProperties(fullCalcOnLoad=True)
    # the document's dates are those of the latest run, so an unchanged build gives the same file
    finished = [v.info["finished_at"] for v in own if v.info and v.info.get("finished_at")]
    stamp = datetime.fromtimestamp(max(finished) if finished else 946684800, UTC).replace(tzinfo=None)
    wb.properties.creator = wb.properties.lastModifiedBy = "ivanalysis"
    wb.properties.title = f"Hub pack: {area.name}"
    raw = io.BytesIO()
    wb.save(raw)  # this sets the modified time to now: core.xml is written again below
    wb.properties.created = wb.properties.modified = stamp
    return _zip_fixed(raw.getvalue(), stamp, {"docProps/core.xml": tostring(wb.properties.to_tree())})


def _zip_fixed(data: bytes, stamp: datetime, replace: dict[str, bytes]) -> bytes:
    """The same zip with every member's time set to `stamp` (zipfile stamps each with the current time), and the
    members in `replace` replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, replace.get(item.filename) or src.read(item.filename))
    return out.getvalue()


def workbook_key(area: Area, views: list[RunView], synthetic: bool) -> str:
    """What the hub's workbook is made from (this code, the hub's results.json and tables): the build makes the
    workbook again only when this changes, as making ten workbooks takes seconds."""
    from importlib.metadata import version

    from ..paths import PARAMS_DIR, runs_dir

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(repr((version("openpyxl"), synthetic, area.code, area.name, VARIATION_TEXT)).encode())
    for v in sorted((v for v in views if v.area.code == area.code), key=lambda v: v.scheme.number):
        h.update(repr((v.scheme.number, v.scheme.title, v.scheme.short, v.ok, bool(v.results),
                       (v.info or {}).get("finished_at"))).encode())
        if v.ok:
            run = runs_dir() / v.scheme.id / v.area.code
            # the parameters file too: the sheet shows each assumption's label and source from it
            for path in [run / "results.json", *run_tables(run, v.scheme.id, v.area.code).values(),
                         PARAMS_DIR / "schemes" / f"{v.scheme.id}.yaml"]:
                h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def stage_workbooks(st, areas: list[Area], views: list[RunView], synthetic: bool, jobs: int = 1) -> None:
    """Stage each hub's workbook (and the key of what it was made from, beside it), made again only when its inputs
    changed; those to make, `jobs` at a time (a workbook takes about 0.6 s: ten of them, when a scheme changed)."""
    keys = {area.code: workbook_key(area, views, synthetic) for area in areas}
    made: dict[str, bytes] = {}
    for area in areas:
        path, key_path = st.root / PACKS_DIR / f"{area.code}.xlsx", st.root / PACKS_DIR / f".{area.code}.xlsx.key"
        if path.is_file() and key_path.is_file() and key_path.read_text().strip() == keys[area.code]:
            made[area.code] = path.read_bytes()
    todo = [area for area in areas if area.code not in made]
    made |= dict(zip([a.code for a in todo], _made_apart(todo, views, synthetic, jobs)))
    for area in areas:
        st.write(f"{PACKS_DIR}/{area.code}.xlsx", made[area.code])
        st.write(f"{PACKS_DIR}/.{area.code}.xlsx.key", keys[area.code] + "\n")


_FORKED: tuple = ()  # what the forked processes making workbooks read (inherited, not sent to them)


def _workbook_apart(i: int) -> bytes:
    areas, views, synthetic = _FORKED
    return workbook(areas[i], views, synthetic)


def _made_apart(areas: list[Area], views: list[RunView], synthetic: bool, jobs: int) -> list[bytes]:
    """Each area's workbook, in forked processes when there are several, `jobs` > 1 and this process has no other
    thread (a fork copies only the thread that forks, and a lock another thread holds would never be released);
    else one after another."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _FORKED
    if len(areas) < 2 or jobs < 2 or threading.active_count() > 1 or os.name != "posix":
        return [workbook(area, views, synthetic) for area in areas]
    _FORKED = (areas, views, synthetic)
    try:
        with ProcessPoolExecutor(min(jobs, len(areas)), mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_workbook_apart, range(len(areas))))
    except BrokenProcessPool:  # a process that died (killed, out of memory): made here instead, or the error said
        return [workbook(area, views, synthetic) for area in areas]
    finally:
        _FORKED = ()


# --- the PDF ---------------------------------------------------------------------------------------------------------

COVER = "iv-cover"  # the cover's name among the parts of a pack (the others: each page's top, anchor(i))


@dataclass(frozen=True)
class PdfSection:
    page: str  # in the built book: "hubs/LON.html", "runs/atain_neonatal/LON.html"
    title: str  # its bookmark and its line in the contents: "13. Term admissions to neonatal units"
    year: str  # the financial year of its headline figures; "" for the hub pack page


@dataclass(frozen=True)
class PdfPack:
    """What a hub's PDF holds (its pages in order), and what its cover and footer say of them."""

    title: str  # "Hub pack: London"
    book: str  # the book's title (_config.yml)
    sections: tuple[PdfSection, ...]
    months: str  # the months of data its schemes read, "April 2015 to March 2018"; "" when none was analysed
    years: str  # the financial years of their headline figures, "2016/17 and 2017/18"
    synthetic: bool


def month_text(month: str) -> str:
    """'2015-04' -> 'April 2015'."""
    return f"{datetime.strptime(month, '%Y-%m'):%B %Y}"


def date_text(day: date) -> str:
    """7 December 2026."""
    return f"{day.day} {day:%B %Y}"


def _listed(items: list[str]) -> str:
    return " and ".join(items) if len(items) < 3 else f"{', '.join(items[:-1])} and {items[-1]}"


def pdf_pack(area: Area, views: list[RunView], book: str, synthetic: bool) -> PdfPack:
    """The hub's PDF: the hub pack page, then its analysed schemes as the pack ranks them (by the moderate
    opportunity); the data period is that of the schemes it holds."""
    held = [v for v in ranked([v for v in views if v.area.code == area.code]) if v.ok]
    data = [v.results.data for v in held]
    return PdfPack(
        title=f"Hub pack: {area.name}", book=book,
        sections=(PdfSection(f"hubs/{area.code}.html", f"Hub pack: {area.name}", ""),
                  *(PdfSection(f"{v.doc}.html", f"{v.scheme.number}. {v.scheme.title}", v.results.period)
                    for v in held)),
        months=(f"{month_text(min(d.first_month for d in data))} to {month_text(max(d.last_month for d in data))}"
                if data else ""),
        years=_listed(sorted({v.results.period for v in held})), synthetic=synthetic)


def site_root(config: dict) -> str:
    """Where the PDF's links to the rest of the book point: the published book's address, `html.baseurl` in
    _config.yml (Jupyter Book's key, which also gives every page its canonical address), when it is set; else the
    book's root relative to the PDF, which sits in the book's downloads/packs/ folder."""
    base = str((config.get("html") or {}).get("baseurl") or "").strip()
    if not base:
        return "../" * len(PACKS_DIR.split("/"))
    if urlsplit(base).scheme not in ("http", "https") or not urlsplit(base).netloc:
        raise BookError(f"_config.yml: html.baseurl must be the published book's http(s) address, not {base!r}")
    return base.rstrip("/") + "/"


def publish_pdfs(html: Path, log=print, *, force: bool = False, store: Path | None = None) -> None:
    """Print every hub's PDF into the new HTML folder `html`, or say in one line why there are none (no Chromium: the
    hub pages say so too, as staging asked the same question). force: print every hub again. store: where the prints
    are kept from one build to the next (print_pdfs), _build/cache/pdf-prints unless given."""
    import yaml

    from ..geography import load_geography
    from ..paths import ROOT, build_dir
    from .browser import chromium_path

    if chromium_path() is None:
        shutil.rmtree(html / PACKS_DIR, ignore_errors=True)  # never publish PDFs of an older book
        log("PDF hub packs not produced: Chromium not found (install Debian's 'chromium' package or set "
            "IVANALYSIS_CHROMIUM); the hub pages say so")
        return
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}
    geo = load_geography()
    views = collect(geo)
    synthetic = any(v.results.data.synthetic for v in views if v.ok)
    print_pdfs(html, {a.code: pdf_pack(a, views, str(config.get("title", "")), synthetic) for a in geo.hubs()},
               log, force=force, site=site_root(config), store=store or build_dir() / "cache" / "pdf-prints")


def print_pdfs(html: Path, packs: dict[str, PdfPack], log=print, *, site: str, force: bool = False,
               store: Path | None = None) -> None:
    """Write each hub's PDF to html/downloads/packs/<HUB>.pdf: a cover with its contents, then its pages, with a
    bookmark for each page and, under it, its sections; its links go to its own pages or to the book at `site`
    (site_root), never to the folder it was printed from.

    packs: hub code -> what its PDF holds. A hub's PDF is made again only when the document made from its pages (or
    the print CSS) changed since it was made (a non-forced build starts from a copy of the last book, PDFs included,
    and each PDF says what it was made from: printed_from): the date on a PDF is the day it was made. Then only its
    parts (the cover, each page) that are not in `store` (pdf_pages.PrintStore: the prints of earlier builds, a
    folder for each hub) are printed, each hub's in one document; without a store, or with `force`, all of them.
    Nothing but the PDFs is published in their folder.
    Raises BookError when a page is missing or Chromium fails: the build then publishes nothing."""
    out = html / PACKS_DIR
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.iterdir():  # hubs that left the book; a hidden file an older build kept beside the PDFs
        if stale.name.startswith(".") or stale.name.split(".")[0] not in packs:
            stale.unlink()
    if store is not None and store.is_dir():
        for gone in store.iterdir():  # the prints kept for hubs that left the book
            if gone.name not in packs:
                shutil.rmtree(gone, ignore_errors=True)
    css = html / "_static" / "iv-print.css"
    built = date_text(date.today())
    todo: dict[str, _PackPrint] = {}
    for code, pack in packs.items():
        for section in pack.sections:
            if not (html / section.page).is_file():
                raise BookError(f"cannot print the {code} hub pack: {section.page} is not in the built book")
        document = pack_document(html, pack, site)
        footer = render("pack_footer.html.j2", pack=pack)
        # the day it is made is left out: an unchanged pack keeps the PDF (and the date) it has
        digest = pack_digest(html, document.render("") + footer, css)
        if force or printed_from(out / f"{code}.pdf") != digest:
            # a part: what it prints from (alone, with the footer); the cover says the day
            parts = {part: pack_digest(html, document.render(built if part == COVER else "", {part}) + footer, css)
                     for part in document.parts()}
            kept = PrintStore(None if store is None else store / code, earlier=not force)
            todo[code] = _PackPrint(pack, document, digest, footer, parts, kept,
                                    [part for part, d in parts.items() if not kept.has(d)])
    if not todo:
        log(f"PDF hub packs unchanged ({len(packs)})")
        return
    start = time.time()

    def finish(code: str, pdf: bytes | None) -> bytes | None:
        """The hub's PDF, from its parts kept and those just printed (`pdf`); None when Chromium shrank a part printed
        apart to fit something wider than the sheet: its sheets would not match the others', the hub is printed
        whole (every sheet shrunk alike, as a reader's browser prints a page)."""
        job = todo[code]
        if pdf is not None:
            reader = pdf_pages.read_print(pdf)
            sheets = pdf_pages.sheets_of_parts(reader, [(job.parts[part], part) for part in job.missing])
            if not job.whole and pdf_pages.shrunk_parts(reader, sheets, 0.75 * PRINT_SCALE):  # 0.75: points a pixel
                return None
            job.kept.add(pdf, sheets)
        made = pdf_pages.make_pdf(Finishing(
            job.kept, tuple(job.parts.values()), tuple(s.title for s in job.pack.sections), job.document.headings,
            job.pack.title, code, site, built, job.digest))
        job.kept.keep_only(list(job.parts.values()))
        return made

    printed = _print_and_finish(todo, built, finish, log)
    for code in todo:
        (out / f".{code}.pdf.tmp").write_bytes(printed[code])
        (out / f".{code}.pdf.tmp").replace(out / f"{code}.pdf")
    pages = sum(len(todo[code].pack.sections) for code in todo)
    fresh = sum(len(job.missing) for job in todo.values())
    parts = sum(len(job.parts) for job in todo.values())
    log(f"PDF hub packs: {len(todo)} of {len(packs)} made ({pages} page{'s' * (pages != 1)} of the book; {fresh} of "
        f"their {parts} parts printed, the others kept from earlier prints) in {time.time() - start:.1f} s: {out}")


def _print_and_finish(todo: dict[str, _PackPrint], built: str, finish: Callable[[str, bytes | None], bytes | None],
                      log) -> dict[str, bytes]:
    """Each hub's PDF: its parts to print printed, the hubs' documents two at a time, each made as soon as printed
    (`finish`); a hub a part of which was too wide to print apart printed whole; a hub with nothing to print made
    from its kept parts."""
    printed: dict[str, bytes] = {}
    for _ in range(2):  # then the hubs a part of which was too wide to print apart, whole
        to_print = {code: job for code, job in todo.items() if job.missing and code not in printed}
        if not to_print:
            break
        with tempfile.TemporaryDirectory(prefix="ivanalysis-print-") as tmp:
            documents = {}
            for code, job in to_print.items():
                documents[code] = Path(tmp) / f"{code}.html"
                parts = None if job.whole else set(job.missing)
                documents[code].write_text(job.document.render(built, parts), encoding="utf-8")
            try:
                # its own thread, hence its own event loop: the caller may be inside one (a sync Playwright session)
                with ThreadPoolExecutor(1) as thread:
                    printed |= {code: pdf for code, pdf in thread.submit(asyncio.run, _print_documents(
                        documents, {code: job.footer for code, job in to_print.items()}, finish)).result().items()
                        if pdf is not None}
            except BookError:  # from finishing a PDF: it already says which hub and what is missing
                raise
            except Exception as exc:  # Playwright's own errors: a browser that did not start, a page that did not load
                raise BookError(f"printing the PDF hub packs failed: {type(exc).__name__}: {exc}") from None
        for code, job in to_print.items():
            if code not in printed:
                log(f"PDF hub pack {code}: a page is wider than an A4 sheet at the print scale; the pack is printed "
                    "whole, shrunk to fit it")
                job.whole, job.missing = True, list(job.parts)
                job.kept = PrintStore(job.kept.folder, earlier=False)
    for code in todo:
        if code not in printed:  # every part of it kept from earlier prints: put together again, nothing printed
            printed[code] = finish(code, None)
    return printed


@dataclass
class _PackPrint:
    """A hub's PDF to make: what it holds, its document, the digest it is made from (printed_from), its footer, its
    parts (part -> digest; the cover, then each page), the prints kept, the parts to print, and whether it is printed
    whole."""

    pack: PdfPack
    document: PackDocument
    digest: str
    footer: str
    parts: dict[str, str]
    kept: PrintStore
    missing: list[str]
    whole: bool = False  # printed as one document, shrunk alike: a part was too wide to print apart


_ARTICLE = re.compile(r'<article class="bd-article"[^>]*>(.*?)</article>', re.S)
_STYLESHEET = re.compile(r'<link [^>]*rel="stylesheet"[^>]*>')
_LOADED = re.compile(r'(\s(?:src|href))="([^"#][^"]*)"')  # a stylesheet's address (in the head), an image's
_IMAGE = re.compile(r'(\ssrc)="([^"#][^"]*)"')
_LINK = re.compile(r'(\shref)="([^"]*)"')
_ID = re.compile(r'(\sid)="([^"]*)"')


_PERMALINK = re.compile(r'<a class="headerlink" href="#([^"]+)"')


def _text(heading_html: str) -> str:
    """A heading's text, without its permalink."""
    text = re.sub(r"<[^>]+>", "", heading_html.split('<a class="headerlink"')[0])
    return " ".join(html_module.unescape(text).split())


_ANY_HEADING = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_ID_ATTRIBUTE = re.compile(r'\sid="([^"]*)"')


def _heading_places(article: str) -> tuple[str, list[tuple[int, Heading]]]:
    """The article with each heading a place of its own to bookmark, and its headings in order: (level, (text, id)).
    A place is a named destination in the PDF only if a link points at it, so a heading's permalink points at the
    heading itself, not its section (a section may begin at the foot of a sheet whose heading is carried to the
    next, kept with the text after it; a bookmark opens the sheet the heading is on); a heading without a permalink
    gets an empty link to itself."""
    headings: list[tuple[int, Heading]] = []

    def one(m: re.Match) -> str:
        level, attributes, inner = m.groups()
        link = _PERMALINK.search(inner)
        own = _ID_ATTRIBUTE.search(attributes)
        # docutils never writes two hyphens in a row in an id: neither place is one the page has
        place = own.group(1) if own else f"{link.group(1)}--heading" if link else f"heading--{len(headings)}"
        if not own:
            attributes = f' id="{place}"{attributes}'
        if link:
            inner = f"{inner[:link.start(1)]}{place}{inner[link.end(1):]}"
        else:
            inner += f'<a class="iv-place" href="#{place}"></a>'
        headings.append((int(level), (_text(inner), html_module.unescape(place))))
        return f"<h{level}{attributes}>{inner}</h{level}>"

    return _ANY_HEADING.sub(one, article), headings


@dataclass(frozen=True)
class PackDocument:
    """What Chromium prints for a hub (pack_document), to render whole or in parts: the stylesheets of the book's
    pages, each page's article (its id, its markup), and each page's title and other headings, with the places they
    are at, for the PDF's bookmarks."""

    pack: PdfPack
    site: str
    stylesheets: tuple[Markup, ...]
    articles: tuple[tuple[str, Markup], ...]
    headings: tuple[tuple[Heading, list[Heading]], ...]

    def parts(self) -> list[str]:
        """The pack's parts, in order: the cover, then each page (by the id of its top)."""
        return [COVER, *(part for part, _ in self.articles)]

    def render(self, built: str, parts: set[str] | None = None) -> str:
        """The document of all the pack's parts, or of those named (the cover says `built`, the day)."""
        return render("pack_document.html.j2", pack=self.pack, built=built, site=self.site,
                      stylesheets=self.stylesheets, cover=parts is None or COVER in parts,
                      articles=[a for a in self.articles if parts is None or a[0] in parts],
                      contents=[(PLACE + anchor(i), s) for i, s in enumerate(self.pack.sections)])


def print_document(html: Path, pack: PdfPack, built: str, site: str) -> tuple[str, list[tuple[Heading, list[Heading]]]]:
    """The whole document Chromium prints for a hub (pack_document), and its pages' headings."""
    document = pack_document(html, pack, site)
    return document.render(built), list(document.headings)


def pack_document(html: Path, pack: PdfPack, site: str) -> PackDocument:
    """A hub's pages as one HTML document for Chromium to print (a page printed alone costs about 2.5 times as much:
    each one loads and lays out the theme again): a cover (the pack's title, data period, the day and contents),
    then each page's article from a new sheet. What loads (images, stylesheets) gets its absolute file:// address, as
    the pages sit in different folders; the head is the stylesheets of the first page (every page of the book has the
    same ones), so print CSS applies as when a reader prints a page. Links: within a page, internal links; to another
    page the pack holds (or a place in it), an address under PLACE (pdf_pages: a page may be printed without it),
    and each place such a link points at gets a link of its own in its page, so the PDF has a destination for it; to
    the rest of the book, an address under SITE (the PDF points it at `site`, the cover says where); others (https)
    as they are."""
    root = html.resolve().as_uri() + "/"
    index = {section.page: i for i, section in enumerate(pack.sections)}
    articles, headings, head = [], [], []
    places: list[set[str]] = [{anchor(i)} for i in range(len(pack.sections))]  # each page's top, at least
    for i, section in enumerate(pack.sections):
        path = (html / section.page).resolve()
        text = path.read_text(encoding="utf-8")
        found = _ARTICLE.findall(text)
        if len(found) != 1:
            raise BookError(f"cannot print {section.page}: expected one <article class=\"bd-article\">, found "
                            f"{len(found)}")
        article, placed = _heading_places(found[0])
        h1 = [h for level, h in placed if level == 1]
        if len(h1) != 1:
            raise BookError(f"cannot print {section.page}: expected one <h1> (the page's title), found {len(h1)}")
        headings.append(((h1[0][0], anchor(i, h1[0][1])),
                         [(text, anchor(i, place)) for level, (text, place) in placed if level > 1]))

        def absolute(m: re.Match, base: str = path.as_uri()) -> str:
            return f'{m.group(1)}="{html_module.escape(urljoin(base, html_module.unescape(m.group(2))))}"'

        def link(m: re.Match, base: str = path.as_uri(), i: int = i, page: str = section.page) -> str:
            href = html_module.unescape(m.group(2))
            if href.startswith("#"):
                target = "#" + anchor(i, href[1:])
            else:
                url = urljoin(base, href)
                if url.startswith(root):
                    rel, _, fragment = url[len(root):].partition("#")
                    if rel not in index:
                        target = SITE + url[len(root):]
                    elif index[rel] == i:
                        target = "#" + anchor(i, fragment)
                    else:
                        places[index[rel]].add(anchor(index[rel], fragment))
                        target = PLACE + anchor(index[rel], fragment)
                elif urlsplit(url).scheme == "file":
                    raise BookError(f"cannot print {page}: it links to {href}, outside the book")
                else:
                    target = url
            return f'{m.group(1)}="{html_module.escape(target)}"'

        def own_id(m: re.Match, i: int = i) -> str:
            return f'{m.group(1)}="{html_module.escape(anchor(i, html_module.unescape(m.group(2))))}"'

        if i == 0:
            head = [markup(_LOADED.sub(absolute, tag)) for tag in _STYLESHEET.findall(text)]
        articles.append(_ID.sub(own_id, _LINK.sub(link, _IMAGE.sub(absolute, article))))
    # the places other pages (and the contents) link to, first in each article: empty links, which take no room
    return PackDocument(pack, site, tuple(head), tuple(
        (anchor(i), markup("".join(f'<a class="iv-place" href="#{html_module.escape(p)}"></a>'
                                   for p in sorted(places[i])) + article))
        for i, article in enumerate(articles)), tuple(headings))


_LOCAL = re.compile(r'"(file://[^"]*)"')  # an address of print_document's that loads a file of the book


def pack_digest(html: Path, document: str, css: Path) -> str:
    """What a PDF is printed from: its document (print_document), the print CSS and the bytes of every file the
    document loads (stylesheets, images), each named by its path in the book. Not the book's folder (a build prints
    in a new one) nor a query on an address: Sphinx adds '?v=<checksum>' to a stylesheet's address on the pages an
    incremental build writes and not on those a full build writes, which alone made every hub's document differ
    after a forced build; the file's bytes are what print."""
    root = html.resolve().as_uri()
    loaded: dict[str, bytes] = {}

    def local(m: re.Match) -> str:
        url = urlsplit(html_module.unescape(m.group(1)))
        name = url._replace(query="", fragment="").geturl().removeprefix(root)
        if name not in loaded:
            path = Path(unquote(url.path))
            loaded[name] = hashlib.sha256(path.read_bytes()).digest() if path.is_file() else b"missing"
        return f'"{name}{"#" + url.fragment if url.fragment else ""}"'

    h = hashlib.sha256(f"{PDF_VERSION} {PRINT_SCALE}".encode() + (css.read_bytes() if css.exists() else b""))
    h.update(_LOCAL.sub(local, document).encode())
    for name in sorted(loaded):
        h.update(name.encode() + b"\0" + loaded[name])
    return h.hexdigest()


def printed_from(pdf: Path) -> str | None:
    """The digest of what a hub's PDF was printed from, which the PDF keeps in its document information (so nothing
    is published beside it); None without a PDF, or when it does not say."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not pdf.is_file():
        return None
    try:
        return str((PdfReader(pdf).metadata or {}).get(PRINTED_FROM) or "") or None
    except (PyPdfError, OSError, ValueError):
        return None


async def _print_documents(documents: dict[str, Path], footers: dict[str, str],
                           finish: Callable[[str, bytes], bytes | None]) -> dict[str, bytes | None]:
    """Each hub's document printed to PDF bytes by one Chromium, two at a time (a document waits on files and the
    browser's processes as much as on the CPU). `footers`: each page's footer. `finish(code, pdf)` makes the PDF
    what is kept, as soon as it is printed, in a thread (two at a time): Chromium prints the next ones meanwhile."""
    from .browser import chromium_async

    queue, printed, finishing = list(documents), {}, []
    at_once = asyncio.Semaphore(PRINT_TABS)

    async def finished(code: str, pdf: bytes) -> None:
        async with at_once:
            printed[code] = await asyncio.to_thread(finish, code, pdf)

    async with chromium_async() as browser:
        # no JavaScript: printing needs none (iv-print.css hides what scripts would fold away), and pages load
        # faster; nothing is fetched from the network, the book is local files
        context = await browser.new_context(java_script_enabled=False)
        await context.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())

        async def tab() -> None:
            page = await context.new_page()
            while queue:
                code = queue.pop(0)
                await page.goto(documents[code].as_uri(), wait_until="load")
                pdf = await page.pdf(
                    format="A4", print_background=True, prefer_css_page_size=True, scale=PRINT_SCALE,
                    tagged=False, outline=False,  # the bookmarks are made from the headings' places (_bookmarks)
                    margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                    display_header_footer=True, header_template="<span></span>", footer_template=footers[code])
                finishing.append(asyncio.create_task(finished(code, pdf)))

        await asyncio.gather(*(tab() for _ in range(PRINT_TABS)))
    await asyncio.gather(*finishing)
    return printed
