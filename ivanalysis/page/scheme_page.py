"""What a scheme notebook shows, section by section. A notebook is narrative plus one call per section.

    page = SchemePage.run("immunoglobulin_itp", geography="LON")
    page.header(); page.summary(); page.variation(); page.trend(); page.opportunity(); ...; page.record()

Every method displays its output (so a notebook cell is one line) and returns nothing.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from ..config import SCENARIOS, check_scenario
from ..data.coverage import Coverage, run_coverage
from ..data.io import location, read_manifest
from ..geography import load_geography
from ..paths import default_data_dir
from ..report import fmt
from ..report.mdc import icons_html
from ..report.table_data import table_data, table_stem, write_table
from ..report.tables import html_table, render
from ..results import KIND_LABELS, PAYER_LABELS, Period, RunResult, SchemeResult, write_results
from ..schemes import registry
from ..sdc import RULE_TEXT, SUPPRESSED, SUPPRESSED_WORDS, WITHHELD_SMALL, control_quantity, is_quantity_unit
from .glossary import link_terms
from .record import display_path, input_files, kpi_records, run_result
from .withholding import analysed

RESULTS_FILE = "results.json"
FLAG_TEXT = {"high_998": "above 99.8% limit", "high_95": "above 95% limit", "within": "within limits",
             "low_95": "below 95% limit", "low_998": "below 99.8% limit"}


def show_figure(fig, alt: str) -> None:
    """Display a chart as PNG with its alternative text (the finding, not the chart type).

    The pipeline moves the alt text into the cell's `mystnb.image.alt`, where the book reads it.
    """
    import io

    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    display(Image(data=buf.getvalue(), format="png", metadata={"alt": alt}))


def _value_fmt(value_format: str):
    """How a measure's values read in a sentence: 54.7%, 12.3 or £1,234."""
    return {"percent": fmt.pct, "gbp": fmt.gbp, "number": lambda v: fmt.number(v, 1)}[value_format]


def _change_fmt(value_format: str):
    """How a change in a measure reads: a share changes by percentage points (said once, before the figures), not by
    a per cent of itself."""
    if value_format == "percent":
        return lambda v: fmt.number(v * 100, 1)
    return _value_fmt(value_format)


def _changes_md(trend, changes, value_format: str) -> str:
    """Benefits realisation: at each change date of the params (`changes`) where the trend was rebased, the shift
    estimated by an interrupted time series fitted on the months between the neighbouring dates; the dates the
    area's months could not hold are named."""
    from ..stats.its import MIN_SIDE, at_rebases

    if not changes:
        return ""
    months = pd.DatetimeIndex(trend.data["x"])
    starts = [pd.Timestamp(g.start) for g in trend.groups[1:]]
    fits = dict(zip(starts, at_rebases(trend)))
    lines = []
    for c in changes:
        after = months[months >= pd.Timestamp(c.date)]
        fit = fits.get(after[0]) if len(after) else None
        when = f"{c.date:%-d %B %Y}"
        if fit is None:
            lines.append(f"- **{fmt.md_escape(c.label)}** ({when}): not estimated here, since the area's months do "
                         f"not give {MIN_SIDE} on each side of it and of the change next to it.")
            continue
        first, last = fit.data["x"].iloc[0], fit.data["x"].iloc[-1]
        lines.append(f"- **{fmt.md_escape(c.label)}** ({when}; segmented regression on {fit.points_before} months "
                     f"from {first:%B %Y} and {fit.points_after} to {last:%B %Y}, {fit.covariance} standard errors"
                     + ("; in percentage points" if value_format == "percent" else "") + "): "
                     + fit.summary(_change_fmt(value_format), total=False))
    return ("The limits are recalculated at each date from which the measure is expected to change (see the "
            "assumptions); an interrupted time series estimates each change:\n\n" + "\n".join(lines)
            + "\n\nAn interrupted time series credits the date with any step there: it assumes nothing else changed "
              "then and that the trend before would have gone on.")


@dataclass
class SchemePage:
    result: SchemeResult
    scenario: str
    data_dir: Path
    output_dir: Path | None
    parameters: dict
    manifest: dict
    coverage: Coverage | None = None  # what the data cover of the headline year and of England (data/coverage.py)
    # below England, why the run's opportunity (pounds and modelled quantities) is withheld (page/withholding.py)
    withheld: str = ""
    # the glossary's terms this page has linked already: each is linked once, where the page first writes it
    linked_terms: set[str] = dataclasses.field(default_factory=set, init=False, repr=False)

    # --- building -----------------------------------------------------------------------------------------------
    @classmethod
    def run(cls, scheme: str, *, geography: str = "ENG", data_dir: str | Path | None = None,
            scenario: str = "moderate", period: str | None = None, output_dir: str | Path | None = None) -> SchemePage:
        """Validate the parameters, load and validate the tables, analyse. Errors name what is wrong."""
        check_scenario(scenario)
        geo = load_geography()
        data = location(data_dir) if data_dir else default_data_dir()
        area = geo.get(geography)
        # the data must cover the headline year whole (or be annualised, as asked) before any figure is made of them
        coverage = run_coverage(data, registry.input_tables(scheme), Period.financial_year(
            period or registry.params(scheme).period), area, geo)
        result, withheld = analysed(scheme, area, data, period, geo, coverage)
        if withheld:  # the tables' columns that share the opportunity between rows are withheld with it
            result = dataclasses.replace(result, tables={k: dataclasses.replace(t, withheld=True)
                                                         for k, t in result.tables.items()})
        parameters = {"scheme": scheme, "geography": geography, "scenario": scenario,
                      "period": result.period.label, "data_dir": display_path(data)}
        return cls(result, scenario, data, Path(output_dir) if output_dir else None, parameters, read_manifest(data),
                   coverage, withheld)

    @property
    def controlled(self) -> bool:
        """Disclosure control applies to everything below England."""
        return not self.result.area.is_national

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest.get("synthetic"))

    # --- sections -----------------------------------------------------------------------------------------------
    def header(self) -> None:
        r = self.result
        lines = [f"**{r.area.name}** ({r.area.level}) · headline year **{r.period.label}** · data from "
                 f"{r.data_months[0]:%B %Y} to {r.data_months[1]:%B %Y} · scenario shown: **{self.scenario}**"]
        if self.synthetic:
            lines.append("> **Synthetic data.** Every figure on this page comes from the synthetic data set that "
                         "`ivanalysis synth` generates (seed "
                         f"{self.manifest.get('seed')}). Providers are synthetic codes, not real trusts: no "
                         "figure here describes a real organisation.")
            if r.scheme.calibrated_to:  # calibration is not validation: say which figures were tuned in
                lines[-1] += (" The generator was tuned so that England's figures reproduce the Menu's "
                              f"({r.scheme.calibrated_to}): that England's page shows them checks this book's "
                              "arithmetic, not the Menu.")
        lines += [f"> {w}" for w in (self.coverage.warnings(r) if self.coverage else [])]
        self._md("\n\n".join(lines))

    def summary(self) -> None:
        r = self.result
        text = [self._headline_sentence()]
        if self.coverage is not None and self.coverage.annualised_from:  # said beside the figure, as at the top
            text[0] += (f" *Annualised: scaled from the {self.coverage.annualised_from} months of {r.period.label} in "
                        "the data to a year (see the warning at the top of the page).*")
        for q in r.quantities:
            v = q.values
            text.append(f"- {q.label} ({q.unit}): withheld" if self.withheld else
                        f"- {q.label}: {self._quantity(v.get(self.scenario))} {q.unit} "
                        f"(low {self._quantity(v.low)}, high {self._quantity(v.high)})")
        self._md("\n".join(text))
        display(HTML(link_terms(self._components_table(), self.linked_terms)))  # the kinds: capacity released ...
        display(HTML(self._kpi_table()))

    @property
    def _year(self) -> str:
        """The financial year of the headline."""
        return self.result.opportunity.year or self.result.period.label

    def _headline_sentence(self) -> str:
        """The headline, the net cash-releasing saving to specialised commissioning, with its year; what else the
        scheme finds stands beside it (the components table)."""
        o, s = self.result.opportunity, self.scenario
        name = f"Net cash-releasing saving to specialised commissioning, {self._year}"
        if self.withheld:
            return f"**{name}: withheld.** {self._withheld_sentence()}"
        if not o.in_totals:
            reasons = list(dict.fromkeys(r for c in o.components for r in c.why_not_in_totals.split("; ")))
            return (f"**{name}: none.** Every component of this scheme's saving stands beside the headline, not in "
                    f"it ({'; '.join(reasons)}): see the table below.")
        h = o.headline
        text = (f"**{name} ({s}): {fmt.gbp(h.get(s))} a year** (range {fmt.gbp(h.low)} to {fmt.gbp(h.high)} across "
                "the low, moderate and high scenarios).")
        if o.beside:
            text += " The other components stand beside it, not in it: see the table below."
        return text

    def _withheld_sentence(self) -> str:
        """Why the run's opportunity is withheld, and where the reader finds a figure instead."""
        area = self.result.area.name
        if self.withheld == WITHHELD_SMALL:
            why = (f"At least one of this scheme's modelled quantities for {area} is {SUPPRESSED_WORDS} people or "
                   "events, and its pounds, at the prices England's page shows, would give it away")
        elif self.result.area.level == "region":
            why = (f"One of its hubs' figures for this scheme is withheld, and {area}'s less its other hubs' would "
                   "give it back")
        else:
            why = (f"Another area's figures for this scheme are too small to publish, and England's figure less the "
                   f"other areas' would give them back: {area}'s are withheld with them (complementary suppression)")
        return (f"{why}. So every figure of the opportunity is withheld here, in the tables' savings and in the hub's "
                "pack, and left out of the hub's totals; England's page shows the scheme's national opportunity.")

    def _pounds(self, value: float) -> str:
        return SUPPRESSED if self.withheld else fmt.gbp(value)

    def _components_table(self) -> str:
        """Every component of the opportunity: its kind, payer and year, gross, implementation cost and net."""
        s = self.scenario
        rows = [{"Component": c.label, "Kind": KIND_LABELS[c.kind], "Payer": PAYER_LABELS[c.payer], "Year": c.year,
                 f"Gross ({s})": self._pounds(c.gross.get(s)),
                 f"Implementation cost ({s})": self._pounds(c.implementation_cost.get(s)),
                 **{f"Net, {sc}": self._pounds(c.net.get(sc)) for sc in SCENARIOS},
                 "In the headline": "yes" if c.in_totals else f"no: {c.why_not_in_totals}"}
                for c in self.result.opportunity.components]
        money = {f"Gross ({s})", f"Implementation cost ({s})", *(f"Net, {sc}" for sc in SCENARIOS)}
        caption = (f"The opportunity by component, {self.result.area.name}: pounds a year in the financial year "
                   f"shown (gross and implementation cost in the {s} scenario)"
                   + (f"; {SUPPRESSED}: withheld (see above)" if self.withheld else ""))
        return html_table(pd.DataFrame(rows), caption, numeric=money)

    def _md(self, text: str) -> None:
        """Display Markdown in which every place name (from params/geography.yaml) is inert: a name holding HTML,
        a link or emphasis shows as the characters it is, on every page."""
        from ..report.fmt import md_escape

        names = {self.result.area.name} | {a.name for a in load_geography().run_geographies()}
        for name in sorted(names, key=len, reverse=True):
            escaped = md_escape(name)
            if escaped != name and name in text:
                text = text.replace(name, escaped)
        display(Markdown(link_terms(text, self.linked_terms)))

    def _quantity(self, v: float) -> str:
        """A modelled quantity (patients switched, bed days released): below England it may count people, so it is
        disclosure-controlled like a count; in England small values keep a decimal."""
        if fmt.is_missing(v):
            return fmt.number(v)
        if self.controlled:
            c = control_quantity(v)
            return SUPPRESSED_WORDS if c == SUPPRESSED else f"{c:,}"
        return fmt.number(v, 1) if abs(v) < 10 and v != round(v) else fmt.number(v)

    def _kpi_table(self) -> str:
        rows = []
        for k, rec in zip(self.result.kpis, kpi_records(self.result)):  # records are disclosure-controlled
            value = rec.value
            shown = value if isinstance(value, str) else fmt.by_unit(value, k.unit)
            rows.append({"Indicator": k.name, "Value": shown,
                         "Target": "" if k.target is None else fmt.by_unit(k.target, k.unit),
                         "Against target": {True: "met", False: "not met", None: ""}[k.met], "Note": k.note})
        caption = f"Key performance indicators, {self.result.area.name}, {self.result.period.label}"
        counts = {(i, "Value") for i, k in enumerate(self.result.kpis) if k.unit == "count"}
        return html_table(pd.DataFrame(rows), caption, numeric={"Value", "Target"}, count_cells=counts,
                          sdc="controlled" if self.controlled else "exact")

    def variation(self) -> None:
        """Funnel plot of every provider in England; the area's providers highlighted."""
        from ..report.charts import funnel_chart

        m = self.result.measure
        highlight = None if self.result.area.is_national else set(self.result.area_providers)
        one = m.unit_name[:-1] if m.unit_name.endswith("s") else m.unit_name
        fig = funnel_chart(m.funnel, title=f"{m.name}, by {one}, {self.result.period.label}",
                           x_label=m.denominator_label.capitalize(), y_label=m.value_label, unit_name=m.unit_name,
                           highlight=highlight, value_format=m.value_format, centre_label="England")
        finding = m.funnel.summary(fmt=_value_fmt(m.value_format), higher_is_better=m.higher_is_better,
                                   unit_name=m.unit_name)
        show_figure(fig, f"Funnel plot, {m.name} by {one}. {finding}")
        self._md(f"Funnel plot: {finding}")  # the words the glossary explains, linked there

    def trend(self) -> None:
        """Making Data Count chart of the area's monthly figure."""
        from ..report.charts import spc_chart

        m = self.result.measure
        changes = self.result.params.changes
        fig = spc_chart(m.trend, title=f"{m.name}, {self.result.area.name}, by month", y_label=m.value_label,
                        value_format=m.value_format, markers={pd.Timestamp(c.date): c.label for c in changes})
        finding = m.trend.summary(fmt=_value_fmt(m.value_format))
        show_figure(fig, f"SPC chart, {m.name} by month. {finding}")
        self._md(finding)
        display(HTML(link_terms(icons_html(m.trend.variation, m.trend.assurance), self.linked_terms)))
        if changes:
            self._md(_changes_md(m.trend, changes, m.value_format))

    def chart(self, key: str) -> None:
        """One of the scheme's further charts (SchemeResult.charts), with its finding as alt text and caption."""
        from ..report.charts import bar_chart, line_chart, spc_chart

        c = self.result.charts[key]
        if self.withheld and c.opportunity:
            self._md(f"*{c.title}: withheld with the opportunity (see the summary).*")
            return
        if c.kind == "bar":
            fig = bar_chart(c.frame[c.x].tolist(), c.frame[c.y].tolist(), title=c.title, x_label=c.value_label,
                            value_format=c.value_format, highlight=c.highlight or None)
        elif c.kind == "spc":
            lines = ({str(name): g.set_index(c.x)[c.y] for name, g in c.frame.groupby(c.series, sort=False)}
                     if c.series else {})
            fig = spc_chart(c.spc, title=c.title, y_label=c.value_label, value_format=c.value_format, lines=lines,
                            markers=c.markers)
        else:
            fig = line_chart(c.frame, x=c.x, y=c.y, series=c.series, title=c.title, y_label=c.value_label,
                             value_format=c.value_format, markers=c.markers)
        show_figure(fig, f"{c.title}. {c.finding}")
        self._md(c.finding)

    def table(self, key: str) -> None:
        display(HTML(render(self.result.tables[key], self.controlled)))

    def _shown(self, key: str):
        """A table as the page shows it: funnel positions in words."""
        t = self.result.tables[key]
        if "Funnel position" not in t.frame:
            return t
        frame = t.frame.copy()
        frame["Funnel position"] = frame["Funnel position"].map(FLAG_TEXT).fillna("")
        return dataclasses.replace(t, frame=frame)

    def providers(self) -> None:
        display(HTML(render(self._shown("providers"), self.controlled)))

    def opportunity(self) -> None:
        """The scenarios: the assumptions each uses and what they give."""
        r = self.result
        # the headline is free text from params/schemes/<id>.yaml: shown as the characters it is, never as markup
        self._md(f"{fmt.md_escape(r.params.headline)} {r.opportunity_note}")
        df = r.scenario_table.reset_index()
        shown = pd.DataFrame({"Item": df["item"]})
        # a modelled quantity (not an assumption, not money, a share or a rate) reads as in the summary above: below
        # England it is controlled as a count, one rendering of one figure on the page
        assumed = {a.label for a in r.params.assumptions.values()}
        modelled = [item not in assumed and is_quantity_unit(unit) for item, unit in zip(df["item"], df["unit"])]
        # withheld: every figure the scenarios give (not the assumptions, which are public) is withheld
        outputs = [item not in assumed for item in df["item"]] if self.withheld else [False] * len(df)
        for s in SCENARIOS:
            shown[s.capitalize()] = [SUPPRESSED if out else self._quantity(v) if q
                                     else fmt.pct(v, 0 if round(v * 100, 6) == round(v * 100) else 1)
                                     if unit == "share" else fmt.by_unit(v, unit)
                                     for v, unit, q, out in zip(df[s], df["unit"], modelled, outputs)]
        quantities = {(i, s.capitalize()) for i, q in enumerate(modelled) if q for s in SCENARIOS}
        caption = f"Scenarios for {r.area.name}, {r.period.label}" + (
            f"; {SUPPRESSED}: withheld, with the opportunity (see the summary)" if self.withheld else "")
        display(HTML(html_table(shown, caption,
                                numeric={s.capitalize() for s in SCENARIOS}, count_cells=quantities,
                                sdc="controlled" if self.controlled else "exact")))
        notes = [f"- **{fmt.md_escape(c.label)}** ({KIND_LABELS[c.kind]}, {PAYER_LABELS[c.payer]}, {c.year}): "
                 f"{fmt.md_escape(c.note)}" for c in r.opportunity.components if c.note]
        if notes:
            self._md("How each component of the opportunity is counted:\n\n" + "\n".join(notes))

    def assumptions(self) -> None:
        rows = [{"Assumption": a.label, "Source": a.source} for a in self.result.params.assumptions.values()]
        rows += [{"Assumption": f"{n.label}: {', '.join(n.values)}", "Source": n.source}
                 for n in self.result.params.lists.values()]  # lists the scheme selects rows by
        rows += [{"Assumption": f"Change date: {c.label}, {c.date:%-d %B %Y}", "Source": c.source}
                 for c in self.result.params.changes]  # where the trend is rebased
        display(HTML(html_table(pd.DataFrame(rows), "Where each assumption comes from (params/schemes/"
                                f"{self.result.scheme.id}.yaml)")))

    def caveats(self) -> None:
        items = list(self.result.caveats)
        if self.controlled:
            items.append(f"Counts below England are disclosure-controlled: {RULE_TEXT}; rates built on such small "
                         "counts are suppressed.")
        self._md("\n".join(f"- {c}" for c in items))

    def provenance(self) -> None:
        prov = self._run_result.provenance
        rows = [{"Item": "Package version", "Value": prov.package_version},
                {"Item": "Git commit", "Value": prov.git_commit + (" (with local changes)" if prov.git_dirty else "")}]
        rows += [{"Item": f"Input: {name}", "Value": f"{f.file} (sha256 {f.sha256[:16]}...)"}
                 for name, f in prov.inputs.items()]
        rows += [{"Item": f"Parameter: {k}", "Value": str(v)} for k, v in prov.parameters.model_dump().items()]
        display(HTML(html_table(pd.DataFrame(rows), "Provenance of this page")))

    # --- results --------------------------------------------------------------------------------------------------
    @functools.cached_property
    def _run_result(self) -> RunResult:
        """What results.json records of this run."""
        inputs = input_files(self.data_dir, registry.input_tables(self.result.scheme.id))
        return run_result(self.result, scenario=self.scenario, parameters=self.parameters, inputs=inputs,
                          synthetic=self.synthetic, coverage=self.coverage, withheld=self.withheld)

    def record(self) -> None:
        """Glue the headline figures for the page's narrative; when the run has an output_dir, write results.json
        and each table as data (report/table_data.py)."""
        from myst_nb import glue

        o = self.result.opportunity_gbp
        for s in SCENARIOS:
            glue(f"opportunity_{s}", self._pounds(o.get(s)), display=False)
        # the narrative reads "is about {headline} a year": a withheld one says so where the sentence stands
        glue("headline", f"{SUPPRESSED} (withheld: see below)" if self.withheld else fmt.gbp(o.get(self.scenario)),
             display=False)
        glue("area", self.result.area.name, display=False)
        glue("period", self.result.period.label, display=False)
        if self.output_dir is not None:
            write_results(self.output_dir / RESULTS_FILE, self._run_result)
            # the page's tables as data (Parquet, and CSV for a spreadsheet), disclosure control applied
            for key in self.result.tables:
                data = table_data(self._shown(key), controlled=self.controlled, synthetic=self.synthetic)
                write_table(self.output_dir, table_stem(self.result.scheme.id, self.result.area.code, key), data)

    def data_sources(self) -> None:
        """Where each input table comes from and whether a hub analyst can get it, and the 'Not measured here' box:
        the Menu's KPIs for the scheme that this page does not compute (page/sources.py)."""
        from .sources import data_sources_html

        scheme = self.result.scheme.id
        display(HTML(data_sources_html(scheme, registry.input_tables(scheme), self.result.params.not_measured)))
