"""Assemble the Jupyter Book from results.json files and executed notebooks, then build it (warnings are errors).

Sources are staged in _build/book: hand-written pages copied from book/, generated pages (landing matrix, scheme
chapters, hub packs, data dictionary, build status) and the executed run notebooks. A file is rewritten only
when its content changes, so Sphinx rebuilds only what changed; when nothing changed the build is skipped.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

from ..catalogue import CATALOGUE, SchemeInfo
from ..config import SCENARIOS, SchemeLevers, load_levers
from ..data.io import read_manifest
from ..geography import Area, Geography, load_geography
from ..page.record import display_path, git_state
from ..paths import BOOK_SRC_DIR, ROOT, build_dir, html_dir, runs_dir
from ..report import fmt
from ..report.mdc import VARIATION_TEXT, WORDS_EXPLAINED, variation_icon
from ..results import KIND_LABELS, PAYER_LABELS, KpiRecord
from ..schemes import registry
from ..sdc import SUPPRESSED, SUPPRESSED_WORDS
from .runs_view import BookError, RunView, collect, one_line
from .runs_view import ranked as ranked_runs
from .templating import render


def stage_dir() -> Path:
    return build_dir() / "book"


PACKAGES = ("ivanalysis", "jupyter-book", "sphinx", "myst-nb", "papermill", "nbval", "pandas", "numpy", "pyarrow",
            "matplotlib", "seaborn", "statsmodels", "pandera", "pydantic")


class Stage:
    """Writes files into the staging folder only when their content changes, and forgets nothing it wrote."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: set[Path] = set()

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        data = content.encode("utf-8") if isinstance(content, str) else content
        if not path.exists() or path.read_bytes() != data:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        self.written.add(path)

    def copy(self, src: Path, rel: str) -> None:
        self.write(rel, src.read_bytes())

    def prune(self) -> None:
        """Remove staged files nobody wrote this time (a geography or scheme that left the book)."""
        for path in sorted(self.root.rglob("*"), reverse=True):
            if path.is_file() and path not in self.written:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()

    def digest(self) -> str:
        h = hashlib.sha256()
        for path in sorted(self.written):
            h.update(str(path.relative_to(self.root)).encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
        return h.hexdigest()


# --- pages -----------------------------------------------------------------------------------------------------------


MDC_ICONS = "images/mdc"  # where the staged book holds the Making Data Count icons


def _short_gbp(v: float | str | None) -> str:
    """Compact money for matrices: £5.8m, £0.4m, £12k, £0; '*' (withheld) as Markdown shows it."""
    if v is None:
        return "n/a"
    if v == SUPPRESSED:
        return WITHHELD
    sign, v = ("-" if round(v) < 0 else ""), abs(v)  # "-£0.1m" (a cost above the saving), never "£-0.1m"
    if v >= 1e5:
        return f"{sign}£{v / 1e6:,.1f}m"
    return f"{sign}£{v / 1e3:,.0f}k" if v >= 1e3 else f"{sign}£{v:,.0f}"


# A figure scaled to a year from the months of it the data hold (--annualise-partial-years; results.json's
# data.annualised_from_months) is marked wherever the book shows it, and so is a total or range that includes one
ANNUALISED = "†"


def _annualised_from(view: RunView) -> int | None:
    """The months of its year an analysed run's figures were scaled from to a whole year; None when the year was
    whole in the data (or the run has no figures)."""
    data = view.results.data if view.ok else None
    return data.annualised_from_months if data is not None else None


def _marked(text: str, *views: RunView) -> str:
    """A figure made from `views`, marked when any of them was annualised ("—", none in totals, is no figure)."""
    return text + ANNUALISED if text != "—" and any(_annualised_from(v) for v in views) else text


WITHHELD = "\\" + SUPPRESSED  # a withheld figure in the generated Markdown: '*', never the start of emphasis


def withheld_note(views: list[RunView]) -> str:
    """The footnote of the figures shown '*' among `views` because their run's opportunity is withheld, as Markdown
    ('' when none is): which schemes and areas, and why."""
    held = [v for v in views if v.withheld]
    if not held:
        return ""
    named = "; ".join(dict.fromkeys(f"{v.scheme.number}. {fmt.md_escape(v.scheme.short)}, "
                                    f"{fmt.md_escape(v.area.name)}" for v in held))
    return (f"{WITHHELD} withheld ({named}): where one of a hub's modelled quantities for a scheme is "
            f"{SUPPRESSED_WORDS} people or events, its pounds would give it away at the prices England's page shows, "
            "so its opportunity is withheld; and another hub's with it, so that England's figure less the other hubs' "
            "cannot give it back. Withheld figures are left out of every total and comparison.")


def annualised_note(views: list[RunView]) -> str:
    """The footnote of the figures marked ANNUALISED among `views`, as Markdown: from how many months of which year
    they were scaled ('' when none was). Runs scaled from different months are named, each under its months."""
    groups: dict[tuple[int, str], list[RunView]] = {}
    for v in views:
        if months := _annualised_from(v):
            groups.setdefault((months, v.results.period), []).append(v)
    if not groups:
        return ""

    def said(months: int, year: str, runs: list[RunView]) -> str:
        names = "" if len(groups) == 1 else " (" + "; ".join(dict.fromkeys(
            f"{v.scheme.number}. {fmt.md_escape(v.scheme.short)}" for v in runs)) + ")"
        return f"{months} {'month' if months == 1 else 'months'} of {year}{names}"

    return (f"{ANNUALISED} annualised from " + "; from ".join(said(m, y, runs) for (m, y), runs in groups.items())
            + " (`--annualise-partial-years`): the data hold only those months of the year, and the saving and "
              "quantities were scaled to twelve; a total or range marked so includes such a figure. The run's page "
              "says which months are missing.")


def results_csv(views: list[RunView]) -> str:
    """Every run's headline, one row per scheme and geography, for a spreadsheet; `annualised_from_months` says of a
    headline scaled to a year from part of one (--annualise-partial-years) from how many months (empty: a whole
    year)."""
    import pandas as pd

    from ..report.tables import csv_text

    rows = []
    for v in views:
        r = v.results
        o = r.opportunity_gbp if r and not v.withheld else None
        rows.append({"scheme_number": v.scheme.number, "scheme": v.scheme.id, "title": v.scheme.title,
                     "geography": v.area.code, "geography_name": v.area.name, "period": r.period if r else "",
                     "status": r.status if r else "not run", "scenario_shown": r.scenario if v.ok else "",
                     **{f"opportunity_gbp_{s}": "" if o is None else round(o.get(s)) for s in SCENARIOS},
                     "withheld": r.withheld if v.ok else "",
                     "annualised_from_months": _annualised_from(v) or ""})
    return csv_text(pd.DataFrame(rows))


def _status(view: RunView) -> str:
    """A run with no page: it failed, or it was never run."""
    return "failed" if view.results else "not run"


def _scenarios(view: RunView) -> list[str]:
    """An analysed run's opportunity in each scenario, as a matrix shows it."""
    return [_short_gbp(view.results.opportunity_gbp.get(s)) for s in SCENARIOS]


def _all_beside(view: RunView) -> bool:
    """An analysed run none of whose components is in totals: its headline is 0 because its savings are capacity,
    cost avoided, another payer's or kept apart, not because it found nothing (the pages show "—", not £0)."""
    return not any(c.in_totals for c in view.results.opportunity_components)


def _headline_cells(view: RunView) -> list[str]:
    """An analysed run's headline in each scenario for a table of schemes: "—" when everything stands beside it;
    marked when annualised."""
    return ["—"] * len(SCENARIOS) if _all_beside(view) else [_marked(m, view) for m in _scenarios(view)]


def _year_totals(views: list[RunView]) -> list[dict]:
    """The analysed runs' headlines added up one financial year at a time, the latest year first: a pound of 2016/17
    and a pound of 2017/18 are never added together."""
    totals = []
    for year in sorted({v.results.period for v in views}, reverse=True):
        same = [v for v in views if v.results.period == year and not v.withheld]  # a withheld figure adds nothing
        counted = [v for v in same if not _all_beside(v)]
        totals.append({"year": year, "schemes": len(counted),
                       "withheld": sum(v.withheld and not _all_beside(v) for v in views if v.results.period == year),
                       "annualised": any(_annualised_from(v) for v in counted),
                       **{s: _marked(_short_gbp(sum(v.results.opportunity_gbp.get(s) for v in same)), *counted)
                          for s in SCENARIOS}})
    return totals


def _components_apart(views: list[RunView]) -> tuple[list[dict], list[dict]]:
    """The components out of the hub's totals: those beside them (capacity, cost avoided, another payer's) and those
    the scheme keeps apart (Where to Look's overlapping gaps, a population formula), each with its year."""
    beside, apart = [], []
    for v in views:
        for c in v.results.opportunity_components:
            if c.in_totals:
                continue
            row = {"scheme": v.scheme, "doc": v.doc, "label": c.label, "kind": KIND_LABELS[c.kind],
                   "payer": PAYER_LABELS[c.payer], "year": c.year, "moderate": _marked(_short_gbp(c.net.moderate), v),
                   "why": c.outside_totals or c.why_not_in_totals}
            (apart if c.outside_totals else beside).append(row)
    return beside, apart


def _headline_value(view: RunView) -> str:
    """An analysed run's headline indicator, formatted by its unit."""
    return _kpi_value(view.results.kpis[0])


def _kpi_value(k: KpiRecord) -> str:
    """A KPI's value formatted by its unit ('*', a suppressed count, as it is); money in the generated pages' one
    compact style (£4.0m), as their tables and totals show it, never '£4 million' beside '£4.0m'."""
    return k.value if isinstance(k.value, str) else _by_unit(k.value, k.unit)


def _by_unit(v: float, unit: str) -> str:
    """A figure by its unit, money in the compact style of the generated pages."""
    return _short_gbp(v) if unit == "gbp" else fmt.by_unit(v, unit)


def _kpi_text(k: KpiRecord) -> str:
    """A KPI as a line to monitor: its name, value with its unit where the value alone does not say it (grams, days,
    a rate), and its target with whether it is met."""
    unit = "" if k.unit in ("share", "gbp", "count", "ratio") or k.unit.startswith("gbp_per_") else \
        " " + k.unit.replace("_per_", " per ").replace("_", " ")
    target = "" if k.target is None else (f" (target {_by_unit(k.target, k.unit)}"
                                          + {True: ", met)", False: ", not met)", None: ")"}[k.met])
    return f"{k.name}: {_kpi_value(k)}{unit}{target}"


def scheme_levers() -> dict[str, SchemeLevers]:
    """params/levers.yaml, with an entry for every scheme of the Menu and no other."""
    return load_levers(schemes=[s.id for s in CATALOGUE])


def _per_100k(view: RunView) -> float:
    """An analysed run's headline (moderate) per 100,000 people of its area."""
    return view.moderate() / view.area.population * 1e5


def _per_100k_text(value: float) -> str:
    """Money per 100,000 people: to the pound, in millions from £1m."""
    return f"£{value:,.0f}" if abs(value) < 1e6 else _short_gbp(value)


def _comparable(view: RunView, views: list[RunView]) -> list[RunView]:
    """The runs of the view's scheme that can stand beside it per head: analysed, of the same year, with a
    headline (a run whose savings all stand beside the headline has none to compare)."""
    return [v for v in views if v.ok and v.scheme.id == view.scheme.id and v.results.period == view.results.period
            and not _all_beside(v) and not v.withheld]


def _against_others(ranked: list[RunView], views: list[RunView]) -> list[dict]:
    """Each of the hub's schemes with a headline, per 100,000 people, beside England's and the other hubs'."""
    rows = []
    for v in ranked:
        if _all_beside(v):
            continue
        same = _comparable(v, views)
        england = next((w for w in same if w.area.is_national), None)
        in_hubs = [w for w in same if w.area.level == "hub"]
        hubs = [_per_100k(w) for w in in_hubs]
        england_text = "not run" if england is None else _marked(_per_100k_text(_per_100k(england)), england)
        if v.withheld:  # nothing of its figure, not even its rank among the others
            rows.append({"scheme": v.scheme, "doc": v.doc, "year": v.results.period, "hub": WITHHELD,
                         "england": england_text, "against": "withheld", "rank": "withheld", "range": "withheld"})
            continue
        mine = _per_100k(v)
        if england is None or _per_100k(england) == 0:
            against = "n/a"
        else:
            ratio = mine / _per_100k(england) - 1
            against = "as England" if round(ratio, 2) == 0 else \
                f"{fmt.pct(abs(ratio), 0)} {'above' if ratio > 0 else 'below'}"
        rows.append({"scheme": v.scheme, "doc": v.doc, "year": v.results.period,
                     "hub": _marked(_per_100k_text(mine), v),
                     "england": england_text, "against": against,
                     "rank": f"{1 + sum(x > mine for x in hubs)} of {len(hubs)}",
                     "range": _marked(f"{_per_100k_text(min(hubs))} to {_per_100k_text(max(hubs))}", *in_hubs)
                     if len(hubs) > 1 else "only this hub"})
    return rows


def landing(views: list[RunView], geo: Geography, synthetic: bool, matrix_alt: str | None) -> str:
    areas = geo.run_geographies()
    schemes = registry.implemented()
    by = {(v.scheme.id, v.area.code): v for v in views}
    rows = []
    for s in schemes:
        own = [by[(s.id, a.code)] for a in areas]
        cells = [{"ok": True, "doc": v.doc,
                  "money": "—" if _all_beside(v) else _marked(_short_gbp(v.results.opportunity_gbp.moderate), v)}
                 if v.ok
                 else {"ok": False, "status": _status(v)} for v in own]
        rows.append({"scheme": s, "years": ", ".join(sorted({v.results.period for v in own if v.ok})), "cells": cells})
    beside = any(c["ok"] and c["money"] == "—" for row in rows for c in row["cells"])
    return render("landing.md.j2", intro=(BOOK_SRC_DIR / "intro.md").read_text(encoding="utf-8").rstrip(),
                  synthetic=synthetic, matrix_alt=matrix_alt, areas=areas, rows=rows, beside=beside,
                  hubs=geo.hubs(), missing=[s for s in CATALOGUE if s not in schemes],
                  withheld=withheld_note([v for v in views if v.ok]),
                  annualised=annualised_note([v for v in views if v.ok and not _all_beside(v)]))


def scheme_page(info: SchemeInfo, views: list[RunView], synthetic: bool, chart_alt: str | None = None,
                levers: dict[str, SchemeLevers] | None = None) -> str:
    """A scheme's chapter: its opportunity for every geography and the year, the headline indicator and its target,
    the chart of hubs per 100,000 people against England (`chart_alt`: its alt text, None when there is no chart),
    and how the Menu says the saving is achieved (`levers`: params/levers.yaml, read when not given)."""
    levers = scheme_levers() if levers is None else levers
    own = [v for v in views if v.scheme.id == info.id]
    first_ok = next((v for v in own if v.ok), None)
    england = next((v for v in own if v.ok and v.area.is_national), None)
    rows = [{"ok": True, "name": v.area.name, "doc": v.doc, "scenarios": _headline_cells(v),
             "value": _headline_value(v)}
            if v.ok else {"ok": False, "name": v.area.name, "status": _status(v)} for v in own]
    kpi = first_ok.results.kpis[0] if first_ok else None
    return render("scheme_page.md.j2", info=info, synthetic=synthetic, rows=rows,
                  headline=first_ok.results.headline if first_ok else None,
                  indicator=kpi.name if kpi else None,
                  target=None if kpi is None or kpi.target is None else _by_unit(kpi.target, kpi.unit),
                  target_note=kpi.note if kpi else "",
                  years=", ".join(sorted({v.results.period for v in own if v.ok})),
                  chart_alt=chart_alt, england_doc=england.doc if england else None,
                  hubs_missing=[v.area.name for v in own if v.area.level == "hub" and not v.ok],
                  levers=levers[info.id], annualised=annualised_note([v for v in own if v.ok and not _all_beside(v)]),
                  withheld=withheld_note(own))


def scheme_chart(info: SchemeInfo, views: list[RunView], reuse: bytes | None = None) -> tuple[bytes, str] | None:
    """The scheme's headline per 100,000 people in each hub beside England's, as a PNG for its chapter, with alt text
    that says what it shows; None when no hub has a headline to compare (none analysed, or every saving stands
    beside the headline). `reuse`: the chart the last build staged, returned as it is when it shows the same figures
    drawn by the same code (drawing a chart for each of 20 schemes takes seconds on every build)."""
    own = [v for v in views if v.ok and v.scheme.id == info.id]
    england = next((v for v in own if v.area.is_national), None)
    hubs = [v for v in own if v.area.level == "hub"]
    if not hubs:
        return None
    year = (england or hubs[0]).results.period
    shown = [v for v in _comparable(england or hubs[0], views) if v.area.level == "hub" or v is england]
    if not any(v.area.level == "hub" for v in shown):
        return None
    england = england if any(v is england for v in shown) else None
    shown.sort(key=lambda v: -_per_100k(v))
    names = [v.area.name for v in shown]
    values = [_per_100k(v) for v in shown]
    hub_values = sorted(((_per_100k(v), v.area.name) for v in shown if v.area.level == "hub"), reverse=True)
    top, bottom = hub_values[0], hub_values[-1]
    found = (f"{top[1]} has the largest, {_per_100k_text(top[0])} per 100,000 people, and {bottom[1]} the smallest, "
             f"{_per_100k_text(bottom[0])}" if len(hub_values) > 1
             else f"{top[1]}: {_per_100k_text(top[0])} per 100,000 people")
    alt = (f"Bar chart of the moderate headline saving per 100,000 people in {year}, for {len(hub_values)} "
           f"{'hub' if len(hub_values) == 1 else 'hubs'}{' and England' if england else ''}. {found}"
           + (f"; England {_per_100k_text(_per_100k(england))}." if england else "."))
    title = f"{info.number}. {info.short}: headline per 100,000 people, {year}"
    key = _chart_key([title, names, values, england is not None])
    if reuse is not None and _png_key(reuse) == key:
        return reuse, alt
    import io

    from ..report.charts import bar_chart

    fig = bar_chart(names, values, title=title, x_label="£ a year per 100,000 people (net cash-releasing, moderate)",
                    value_format="gbp", highlight={england.area.name} if england else None)
    if england:  # the chart's legend says which bar is England, not just that one bar is highlighted
        for text, label in zip(fig.legends[0].get_texts(), ("England", "Hubs")):
            text.set_text(label)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={CHART_KEY: key})
    return buf.getvalue(), alt


CHART_KEY = "ivanalysis-chart"  # the PNG text chunk that holds what a staged chart was drawn from


def _chart_key(shows: list) -> str:
    """What a chart shows and the code and matplotlib that draw it, hashed: the same key, the same picture."""
    import matplotlib

    from ..report import charts

    h = hashlib.sha256(json.dumps(shows).encode())
    h.update(Path(charts.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(matplotlib.__version__.encode())
    return h.hexdigest()


def _png_key(png: bytes) -> str | None:
    """The key a chart was drawn with (CHART_KEY), or None for a PNG without one or a file that is not a PNG."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(png)) as image:
            return image.text.get(CHART_KEY)
    except (UnidentifiedImageError, OSError):
        return None


def hub_pack(area: Area, views: list[RunView], synthetic: bool, pdf: bool = True,
             levers: dict[str, SchemeLevers] | None = None) -> str:
    """The hub's pack page, a briefing: a summary first (what the hub could save, in which year, how sure, what to do
    first), the schemes ranked by their headline, the hub against England and the other hubs per 100,000 people, and
    for each scheme the Menu's levers, case studies and the KPIs to monitor. `pdf`: whether this build prints the
    pack's PDF (it needs Chromium); `levers`: params/levers.yaml, read when not given."""
    levers = scheme_levers() if levers is None else levers
    own = [v for v in views if v.area.code == area.code]
    ranked = [v for v in ranked_runs(own) if v.ok]
    rows = []
    for v in ranked:
        k = v.results.kpis[0]
        rows.append({"scheme": v.scheme, "doc": v.doc, "year": v.results.period, "scenarios": _headline_cells(v),
                     "kpi_name": k.name,
                     "value": _headline_value(v), "target": None if k.target is None else _by_unit(k.target, k.unit),
                     "trend": VARIATION_TEXT[v.results.measure.variation],
                     "trend_icon": f"../{MDC_ICONS}/{v.results.measure.variation}.svg"})
    beside, apart = _components_apart(ranked)
    unavailable = [{"scheme": v.scheme, "status": "run failed" if v.results else "not run"} for v in own if not v.ok]
    saving = [v for v in ranked if not _all_beside(v) and not v.withheld and v.moderate() > 0]  # in rank order
    first = [{"scheme": v.scheme, "doc": v.doc, "year": v.results.period,
              "moderate": _marked(_short_gbp(v.moderate()), v), "lever": levers[v.scheme.id].levers[0]}
             for v in saving[:3]]
    actions = [{"scheme": v.scheme, "doc": v.doc, "levers": levers[v.scheme.id],
                "kpis": [_kpi_text(k) for k in v.results.kpis]} for v in ranked]
    totals = _year_totals(ranked)
    return render("hub_pack.md.j2", area=area, synthetic=synthetic, pdf=pdf, ranked=rows, totals=totals,
                  saving_totals=[t for t in totals if t["schemes"]], saving=len(saving),
                  beyond_chance=[v.scheme for v in saving if v.results.measure.providers_worse_998],
                  first=first, against=_against_others(ranked, views), actions=actions,
                  all_beside=any(_all_beside(v) for v in ranked), beside=beside, apart=apart,
                  unavailable=unavailable, population_millions=f"{area.population / 1e6:.1f}",
                  withheld=withheld_note(ranked),
                  words_explained=WORDS_EXPLAINED, providers=len(area.providers),
                  annualised=annualised_note(ranked + [w for v in ranked for w in _comparable(v, views)]))


def data_dictionary() -> str:
    from ..data.dictionary import columns, row_rules
    from ..data.schemas import TABLES

    tables = []
    for spec in TABLES.values():
        tables.append({"name": spec.name, "title": spec.title, "description": spec.description, "like": spec.like,
                       "key": spec.key, "source": spec.source, "access": spec.access,
                       "identifiers": spec.identifiers, "patient_column": spec.patient_column,
                       "users": [s for s in registry.implemented() if spec.name in registry.input_tables(s.id)],
                       "columns": [c | {"needed_by": _needed_by(spec, c["name"])} for c in columns(spec)],
                       "row_rules": row_rules(spec)})
    preface = (BOOK_SRC_DIR / "data_dictionary.md").read_text(encoding="utf-8").rstrip()
    return render("data_dictionary.md.j2", preface=preface, tables=tables)


def _needed_by(spec, column: str) -> str:
    """Who needs a column: every extract of the table (its key, date, provider or area), or the Menu numbers of the
    schemes that read it (an extract for other schemes may leave it out)."""
    if column in spec.required:
        return "every extract"
    numbers = [registry.get(s).number for s in registry.schemes_needing(spec.name, [column])]
    return ", ".join(map(str, sorted(numbers))) or "no scheme yet"


def results_schema() -> tuple[str, str]:
    """The reference page on results.json, generated from its model, and the model's JSON Schema (a download)."""
    from ..results import SCHEMA_VERSION, RunResult
    from ..results.record import FIGURES, PERIOD

    schema = RunResult.model_json_schema()
    defs = schema.get("$defs", {})
    order, todo = [], ["RunResult"]
    while todo:  # the file first, then each part in the order it is first used
        name = todo.pop(0)
        if name in order:
            continue
        order.append(name)
        todo += _refs(schema if name == "RunResult" else defs[name])
    models = []
    for name in order:
        model = schema if name == "RunResult" else defs[name]
        required = set(model.get("required", []))
        models.append({"name": name, "whole_file": name == "RunResult", "description": model.get("description", ""),
                       "fields": [{"name": field, "type": _schema_type(prop), "required": field in required,
                                   "description": prop.get("description", "")}
                                  for field, prop in model["properties"].items()]})
    preface = (BOOK_SRC_DIR / "results_schema.md").read_text(encoding="utf-8").rstrip()
    page = render("results_schema.md.j2", preface=preface, version=SCHEMA_VERSION, figures=FIGURES, period=PERIOD,
                  models=models)
    return page, json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _refs(schema) -> list[str]:
    """The models a JSON Schema fragment refers to, in order."""
    if isinstance(schema, dict):
        ref = schema.get("$ref", "")
        return ([ref.rsplit("/", 1)[1]] if ref else []) + [r for k, v in schema.items() if k not in ("$ref", "$defs")
                                                            for r in _refs(v)]
    if isinstance(schema, list):
        return [r for item in schema for r in _refs(item)]
    return []


def _schema_type(prop: dict) -> str:
    """A field's type as a reader says it, from its JSON Schema."""
    if "anyOf" in prop:
        kinds = [p for p in prop["anyOf"] if p.get("type") != "null"]
        text = " or ".join(_schema_type(p) for p in kinds)
        return text + (", or null" if len(kinds) < len(prop["anyOf"]) else "")
    if "$ref" in prop:
        return f"`{prop['$ref'].rsplit('/', 1)[1]}` (below)"
    if "const" in prop:
        return f"`{prop['const']}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_schema_type(prop['items'])}"
    if kind == "object":
        return f"map of name to {_schema_type(prop['additionalProperties'])}"
    if kind == "string" and prop.get("format") == "date":
        return "date (YYYY-MM-DD)"
    if kind == "string" and "pattern" in prop:
        return f"text matching `{prop['pattern']}`"
    if kind == "integer" and "minimum" in prop:
        return f"whole number from {prop['minimum']}" + (f" to {prop['maximum']}" if "maximum" in prop else "")
    return {"string": "text", "number": "number", "integer": "whole number", "boolean": "true or false"}[kind]


def status_page(views: list[RunView], data_dir: Path) -> str:
    manifest = read_manifest(data_dir)
    git = git_state()
    data = (f"synthetic, seed {manifest.get('seed')}, scale {manifest.get('scale')}" if manifest.get("synthetic")
            else "an analyst's extract")
    finished = [v.info["finished_at"] for v in views if v.info and v.info.get("finished_at")]
    from datetime import datetime

    latest = datetime.fromtimestamp(max(finished), UTC).strftime("%Y-%m-%d %H:%M UTC") if finished else "n/a"
    runs, failures = [], 0
    for v in views:
        status = v.results.status if v.results else "not run"
        note = ""
        if v.failure:
            failures += 1
            status = "failed (last good output shown)"
            note = one_line(v.failure.get("error", ""))
        elif v.results and not v.ok:
            failures += 1
            note = one_line(v.results.error)
        runs.append({"scheme": v.scheme, "area": v.area, "status": status, "note": note,
                     "duration": f"{v.info['duration_s']:.1f}" if v.info else ""})
    versions = []
    for p in PACKAGES:
        try:
            versions.append((p, version(p)))
        except PackageNotFoundError:
            versions.append((p, "not installed"))
    from .audit import status_section

    return render("status_page.md.j2", commit=git["commit"], dirty=git["dirty"], latest=latest, data=data,
                  data_path=display_path(data_dir).replace("`", ""), python=sys.version.split()[0], runs=runs,
                  failures=failures, supply_chain=status_section(), versions=versions)


def matrix_image(views: list[RunView], geo: Geography, reuse: bytes | None = None) -> tuple[bytes, str] | None:
    """Heatmap of the moderate headline per 100,000 people, England's and each hub's, coloured within each scheme's
    row, with alt text that says what it shows and that the table below it links each figure to its page (a picture
    cannot be clicked); None when no run was analysed. `reuse`: the heatmap the last build staged, returned as it is
    when it shows the same figures drawn by the same code (drawing it takes about 5 s)."""
    areas = geo.run_geographies()
    ok = [v for v in views if v.ok and v.area.code in {a.code for a in areas}]
    if not ok:
        return None
    import numpy as np
    import pandas as pd

    schemes = registry.implemented()
    years = {s.id: ", ".join(sorted({v.results.period for v in ok if v.scheme.id == s.id})) for s in schemes}
    # the year most schemes have goes in the title, any other beside its scheme's name: row labels wide enough to
    # say every year would leave the cells too narrow for their figures
    usual = Counter(y for y in years.values() if y).most_common(1)[0][0]
    rows = {s.id: f"{s.number}. {s.short}" + (f" ({years[s.id]})" if years[s.id] not in ("", usual) else "")
            for s in schemes}
    per_head = pd.DataFrame(np.nan, index=list(rows.values()), columns=[a.code for a in areas])
    beside = pd.DataFrame(False, index=per_head.index, columns=per_head.columns)
    held = beside.copy()
    for v in ok:
        if v.withheld:  # "*", shaded as nothing: neither its figure nor its rank in the row is shown
            held.loc[rows[v.scheme.id], v.area.code] = True
            continue
        per_head.loc[rows[v.scheme.id], v.area.code] = _per_100k(v)
        beside.loc[rows[v.scheme.id], v.area.code] = _all_beside(v)  # no headline: its savings stand beside it, not £0
    top = per_head.mask(beside).stack().sort_values(ascending=False)
    largest = (f" The largest is {top.index[0][0]} in {geo.get(top.index[0][1]).name} "
               f"({_per_100k_text(top.iloc[0])} per 100,000 people)." if len(top) else "")
    alt = (f"Heatmap of the moderate headline saving a year per 100,000 people, in {usual} (another year is beside its "
           f"scheme's name), for England and each hub.{largest} Each figure in the table below links to its page.")
    figures = per_head.astype(object).where(per_head.notna(), None).to_numpy().tolist()  # JSON: no NaN
    key = _chart_key([usual, list(per_head.index), list(per_head.columns), figures, beside.to_numpy().tolist(),
                      held.to_numpy().tolist(), version("seaborn")])
    if reuse is not None and _png_key(reuse) == key:
        return reuse, alt
    import io

    buf = io.BytesIO()
    matrix_figure(per_head, beside, usual, held).savefig(buf, format="png", metadata={CHART_KEY: key})
    return buf.getvalue(), alt


def matrix_figure(per_head, beside, year: str, held=None):
    """The heatmap (a matplotlib Figure) of `per_head` (schemes by geography, NaN: no result), England's column first
    and set apart, each row shaded from its own largest figure; `beside`: the cells whose savings all stand beside
    the headline; `year`: the year of the rows whose label gives none; `held`: the cells whose opportunity is withheld
    (sdc.withholding), shown as "*"."""
    import numpy as np
    import pandas as pd
    import seaborn as sns
    from matplotlib.figure import Figure

    from ..report.charts import SMALLEST_TEXT_PT, apply_style

    apply_style()
    # a row whose largest value is 0 (no opportunity anywhere) is all palest, and its labels still show
    shade = per_head.div(per_head.max(axis=1).replace(0, np.nan), axis=0).mask(per_head.notna() & per_head.eq(0), 0)
    # 1,000 px: beside the book's navigation at 1366 px, with a window's scroll bar, the chart is not scrolled
    fig = Figure(figsize=(10.0, 1.6 + 0.55 * len(per_head)), layout="constrained")
    ax = fig.add_subplot()
    held = pd.DataFrame(False, index=per_head.index, columns=per_head.columns) if held is None else held
    labels = per_head.map(lambda x: "" if pd.isna(x) else _per_100k_text(x)).mask(beside, "—").mask(held, "*")
    sns.heatmap(shade.mask(beside | held, 0), ax=ax, cmap="Blues", vmin=0, vmax=1, annot=labels, fmt="", cbar=False,
                linewidths=1, linecolor="white", annot_kws={"fontsize": SMALLEST_TEXT_PT})  # "£123,456" fits a cell
    # every cell says its value in words too: a geography with no result is labelled, not just left pale
    for i, j in zip(*np.where((per_head.isna() & ~beside & ~held).to_numpy())):
        ax.text(j + 0.5, i + 0.5, "no result", ha="center", va="center", fontsize=SMALLEST_TEXT_PT, color="#425563")
    ax.axvline(1, color="white", linewidth=4)  # England's column apart from the hubs'
    ax.grid(False)  # the book style's grid would show through cells with no result
    ax.set_yticklabels(per_head.index, rotation=0)
    ax.set_xticklabels(per_head.columns, rotation=0)
    ax.xaxis.tick_top()  # the codes above the columns, as the table below has them
    ax.tick_params(length=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    # the figure's title, from its left edge: the axes' own would start after the row labels and run off the right
    fig.suptitle(f"Headline a year per 100,000 people in {year} (another year is beside its scheme's name)\n"
                 "Net cash-releasing to specialised commissioning, moderate; England (ENG) and each hub\n"
                 "Darker = larger within the scheme's row; — = every saving stands beside the headline"
                 + ("\n* = withheld: the figure would give away a count too small to publish" if held.to_numpy().any()
                    else ""),
                 x=0.01, ha="left", fontsize=11)
    return fig


def toc(views: list[RunView], geo: Geography) -> str:
    template = yaml.safe_load((BOOK_SRC_DIR / "_toc.yml").read_text(encoding="utf-8"))
    schemes = []
    for info in registry.implemented():
        sections = [{"file": v.doc, "title": v.area.name} for v in views if v.scheme.id == info.id and v.ok]
        entry = {"file": f"schemes/{info.id}", "title": f"{info.number}. {info.short}"}
        if sections:
            entry["sections"] = sections
        schemes.append(entry)
    hubs = [{"file": f"hubs/{a.code}", "title": a.name} for a in geo.hubs()]
    for part in template["parts"]:
        if part.get("chapters") == "GENERATED_SCHEMES":
            part["chapters"] = schemes
        elif part.get("chapters") == "GENERATED_HUBS":
            part["chapters"] = hubs
    return yaml.safe_dump(template, sort_keys=False)


def effective_config(synthetic: bool) -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    if synthetic:
        config.setdefault("html", {})["announcement"] = (
            "Synthetic data: every figure in this book comes from generated data and synthetic provider codes, "
            "not from real NHS organisations.")
    return yaml.safe_dump(config, sort_keys=False)


# --- assembling and building -----------------------------------------------------------------------------------------
def stage(data_dir: Path, jobs: int = 1) -> Stage:
    """The book's sources staged from the runs (`jobs`: processes for the hub workbooks)."""
    geo = load_geography()
    views = collect(geo)
    synthetic = bool(read_manifest(data_dir).get("synthetic"))
    st = Stage(stage_dir())
    for src in sorted(BOOK_SRC_DIR.glob("*.md")):
        if src.name not in ("intro.md", "data_dictionary.md", "results_schema.md"):  # folded into generated pages
            st.copy(src, f"guide/{src.name}")
    for src in sorted((BOOK_SRC_DIR / "_static").glob("*")):
        st.copy(src, f"_static/{src.name}")
    for code in VARIATION_TEXT:  # the Making Data Count icons the hub packs show, drawn by the package
        st.write(f"{MDC_ICONS}/{code}.svg", variation_icon(code))
    staged = st.root / "images/matrix.png"
    image = matrix_image(views, geo, reuse=staged.read_bytes() if staged.is_file() else None)
    if image:
        st.write("images/matrix.png", image[0])
    st.write("index.md", landing(views, geo, synthetic, image[1] if image else None))
    levers = scheme_levers()
    for info in registry.implemented():
        staged = st.root / f"images/schemes/{info.id}.png"
        chart = scheme_chart(info, views, reuse=staged.read_bytes() if staged.is_file() else None)
        if chart:
            st.write(f"images/schemes/{info.id}.png", chart[0])
        st.write(f"schemes/{info.id}.md", scheme_page(info, views, synthetic, chart[1] if chart else None, levers))
    from ..report import table_data
    from . import packs
    from .browser import chromium_path

    pdf = chromium_path() is not None  # build() prints the PDFs with the same browser, or none
    for area in geo.hubs():
        st.write(f"hubs/{area.code}.md", hub_pack(area, views, synthetic, pdf=pdf, levers=levers))
    packs.stage_workbooks(st, geo.hubs(), views, synthetic, jobs)
    for v in views:
        if v.ok:
            run = runs_dir() / v.scheme.id / v.area.code
            st.copy(run / f"{v.area.code}.ipynb", f"{v.doc}.ipynb")
            for suffix in table_data.SUFFIXES:  # each table as Parquet and CSV, offered on the run's page
                for table in table_data.run_tables(run, v.scheme.id, v.area.code, suffix).values():
                    st.copy(table, f"runs/{v.scheme.id}/{table.name}")
    st.write("downloads/results.csv", results_csv(views))
    st.write("reference/data_dictionary.md", data_dictionary())
    st.write("status.md", status_page(views, data_dir))
    st.write("_toc.yml", toc(views, geo))
    page, json_schema = results_schema()
    st.write("reference/results_schema.md", page)
    st.write("downloads/results.schema.json", json_schema)
    st.write("_config.yml", effective_config(synthetic))
    st.prune()
    return st


# In the published book: the digest of what the book was staged from (fingerprint.book_inputs), and of the staged
# sources themselves (Stage.digest). The first spares staging when nothing it reads changed (it takes seconds:
# every page, ten workbooks); the second spares Sphinx when staging gave the same sources.
INPUTS_RECORD, STAGED_RECORD = ".iv-inputs", ".iv-digest"


def build(data_dir: Path, *, force: bool = False, jobs: int = 1, log=print) -> bool:
    """Stage the sources and run jupyter-book (-W: any warning fails). Returns False when skipped as unchanged."""
    from . import fingerprint

    inputs = fingerprint.book_inputs(data_dir)  # before staging: what changes meanwhile is seen by the next build
    published = (html_dir() / "index.html").exists() and not force
    if published and inputs is not None and fingerprint.recorded(html_dir() / INPUTS_RECORD) == inputs:
        return False
    st = stage(data_dir, jobs)
    digest = st.digest()
    if published and fingerprint.recorded(html_dir() / STAGED_RECORD) == digest:
        if inputs is not None:
            fingerprint.record(html_dir() / INPUTS_RECORD, inputs)
        return False
    src = stage_dir()
    # The book is built beside the published one and swapped in only when complete: a failed or interrupted build
    # leaves the last good book as it was. The new one starts as a copy, so Sphinx rewrites only changed pages.
    nxt = build_dir() / ".html-next"
    shutil.rmtree(nxt, ignore_errors=True)
    if html_dir().is_dir() and not force:
        shutil.copytree(html_dir(), nxt, symlinks=True)
    # as `jupyter-book build SRC --path-output <parent of _build> -W --keep-going -q`, with parallel Sphinx jobs
    # one Sphinx process more than `jobs`: Sphinx's main process merges what its readers and writers send while they
    # go on (on 2 cores, 3 processes took 20 s where 2 took 25)
    sphinx_jobs = jobs + 1 if jobs > 1 else 1
    cmd = [sys.executable, "-m", "ivanalysis.pipeline.sphinx_build", str(src), str(nxt), str(sphinx_jobs)]
    if force:
        cmd.append("--all")
    from concurrent.futures import ThreadPoolExecutor

    from .scan import disclosure_findings

    memo = build_dir() / "cache" / "scan.json"
    try:
        # The disclosure scan reads with one core while another process works: the runs' files (final now, half
        # of what it reads) while Sphinx builds the book, into its memo; the book's pages while Chromium prints
        # the PDFs (the scan does not read them)
        with ThreadPoolExecutor(1) as scanning:
            ahead = scanning.submit(disclosure_findings, build_dir(), book=False, memo=memo)
            started = time.time()
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            sphinx_s = time.time() - started
            ahead.exception()  # anything it could not do, the scan of the whole book does again
        output = (proc.stdout + proc.stderr).strip()
        (build_dir() / "book.log").write_text(output + "\n", encoding="utf-8")
        if proc.returncode != 0:
            warnings = [line for line in output.splitlines() if "WARNING" in line or "ERROR" in line]
            raise BookError("the Jupyter Book build failed (warnings are errors):\n  "
                            + "\n  ".join(warnings[:20] or output.splitlines()[-20:])
                            + f"\nFull log: {build_dir() / 'book.log'}")
        log(f"Sphinx built the pages in {sphinx_s:.1f} s")
        from . import packs

        with ThreadPoolExecutor(1) as scanning:
            scan = scanning.submit(disclosure_findings, build_dir(), html_dir=nxt, memo=memo)
            packs.publish_pdfs(nxt, log, force=force)  # into the new book: a failed build never publishes a half PDF
            # a book that publishes an uncontrolled figure is not published: the last good book stays
            findings = scan.result()
        if findings:
            raise BookError(f"the disclosure scan found {len(findings)} figure(s) that are not controlled; the book "
                            "was not published:\n  " + "\n  ".join(str(f) for f in findings[:20]))
        fingerprint.record(nxt / STAGED_RECORD, digest)
        if inputs is not None:
            fingerprint.record(nxt / INPUTS_RECORD, inputs)
        else:  # not the copy of the last book's
            (nxt / INPUTS_RECORD).unlink(missing_ok=True)
        old = build_dir() / f".html-old-{os.getpid()}"
        if html_dir().exists():
            os.replace(html_dir(), old)
        os.replace(nxt, html_dir())
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(nxt, ignore_errors=True)
    return True
