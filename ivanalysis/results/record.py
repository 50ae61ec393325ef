"""results.json: what one run found, as one typed record. Its only writer is `write_results`, its only reader
`read_results`; the landing page, the hub packs, the status page, the results CSV and the scan read nothing else.

A run that succeeded and a run that failed have the same record: `status` says which. A failed run carries its
`error` and no figures (None), never zeros that could be mistaken for a result. Bump SCHEMA_VERSION whenever the
layout changes: a file written under another version is refused with a message that says to run it again.
The file carries a hash of its own content (`content_sha256`), so a figure changed after the run wrote it (by hand,
by a spreadsheet) is refused too, never published beside a run page that shows the real one.
"""
from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..catalogue import SchemeInfo
from ..config import SCENARIOS, Scenario
from ..errors import IVError
from ..geography import Area
from .scheme import KIND_LABELS, PAYER_LABELS, Kind, Payer, Period

SCHEMA_VERSION = 6

Variation = Literal["common_cause", "improvement_high", "improvement_low", "concern_high", "concern_low",
                    "neither_high", "neither_low"]
Assurance = Literal["consistent_pass", "consistent_fail", "hit_or_miss"]


class ResultsFileError(IVError):
    """A results.json that cannot be read as the results contract (not JSON, another version, a broken field)."""


class ResultsChangedError(ResultsFileError):
    """A results.json whose content no longer matches the hash its run wrote with it (edited by hand, say)."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _ByScenario(_Record):
    """A figure under each scenario."""

    def get(self, scenario: str) -> float:
        return getattr(self, scenario)


class ScenarioValues(_ByScenario):
    """A figure under the low, moderate and high scenarios."""

    low: float = Field(description="under the low scenario")
    moderate: float = Field(description="under the moderate scenario")
    high: float = Field(description="under the high scenario")


class PoundsRecord(_ByScenario):
    """Pounds a year under each scenario; below England '*' in every scenario where the run's opportunity is withheld
    (RunResult.withheld)."""

    low: float | Literal["*"] = Field(description="under the low scenario")
    moderate: float | Literal["*"] = Field(description="under the moderate scenario")
    high: float | Literal["*"] = Field(description="under the high scenario")

    @model_validator(mode="before")
    @classmethod
    def _from_values(cls, value):
        # exact figures are ScenarioValues wherever they are computed
        return value.model_dump() if isinstance(value, ScenarioValues) else value

    @property
    def withheld(self) -> bool:
        return "*" in (self.low, self.moderate, self.high)


class QuantityRecord(_ByScenario):
    """The opportunity in one of the scheme's natural units (grams, bed days, fractions ...), by scenario."""

    label: str = Field(description="what is counted, e.g. 'Immunoglobulin saved'")
    unit: str = Field(description="its unit, e.g. 'grams'")
    # below England a modelled quantity is disclosure-controlled like a count: a multiple of 5, or '*' (1 to 7)
    low: float | Literal["*"] = Field(description="under the low scenario")
    moderate: float | Literal["*"] = Field(description="under the moderate scenario")
    high: float | Literal["*"] = Field(description="under the high scenario")


class ComponentRecord(_Record):
    """One component of the opportunity: a kind of saving to one payer, in pounds a year for one financial year, by
    scenario. The headline (`opportunity_gbp`) is the sum of the `net` of the components `in_totals`."""

    label: str = Field(description="what is saved, e.g. 'Delayed critical care bed days'")
    kind: Kind = Field(description="; ".join(f"'{k}': {v}" for k, v in KIND_LABELS.items()))
    payer: Payer = Field(description="whose budget it falls to: "
                         + "; ".join(f"'{k}': {v}" for k, v in PAYER_LABELS.items()))
    year: str = Field(pattern=r"^\d{4}/\d{2}$", description="the financial year of the figures, e.g. '2017/18'")
    gross: PoundsRecord = Field(description="the saving before implementation costs, pounds a year ('*' withheld)")
    implementation_cost: PoundsRecord = Field(description="what it costs to make the saving, pounds a year ('*' "
                                              "withheld)")
    net: PoundsRecord = Field(description="gross less implementation cost, pounds a year ('*' withheld)")
    in_totals: bool = Field(description="true when it is cash-releasing to NHS England specialised commissioning and "
                            "nothing else keeps it out: only these add into the headline and into a hub's total")
    why_not_in_totals: str = Field(description="why it stays out of totals; empty when it is in them")
    outside_totals: str = Field("", description="why the scheme keeps it out of totals although it is cash-releasing "
                                "to specialised commissioning (Where to Look overlaps other schemes; a population "
                                "formula is not a measured gap): such components have a section of their own, "
                                "never a total; empty otherwise")
    note: str = Field("", description="why the kind and payer are what they are, where the Menu or the data leave "
                      "it open")

    @model_validator(mode="after")
    def _consistent(self) -> ComponentRecord:
        parts = (self.gross, self.implementation_cost, self.net)
        if any(p.withheld for p in parts):
            if not all(v == "*" for p in parts for v in (p.low, p.moderate, p.high)):
                raise ValueError("a withheld component has '*' for every figure, gross, cost and net alike")
            return self
        for s in SCENARIOS:
            if abs(self.gross.get(s) - self.implementation_cost.get(s) - self.net.get(s)) > ROUNDING:
                raise ValueError(f"net must be gross less implementation cost ({s} scenario)")
        if self.in_totals == bool(self.why_not_in_totals):
            raise ValueError("a component out of totals says why, and one in totals has no reason to be out")
        if self.in_totals and self.outside_totals:
            raise ValueError("a component the scheme keeps outside totals cannot be in them")
        return self


class KpiRecord(_Record):
    """A key performance indicator as the run's page shows it (below England a count is disclosure-controlled)."""

    name: str = Field(description="what it measures, e.g. 'Episodes at 1 g/kg or less'")
    value: float | str | None = Field(description="the value; '*' for a suppressed count below England; null "
                                      "when it cannot be computed")
    unit: str = Field(description="share | count | gbp | days | grams | ... (a share is a fraction, 0.5 = 50%)")
    target: float | None = Field(None, description="the target, in the same unit, if the scheme has one")
    higher_is_better: bool | None = Field(None, description="null when neither direction is better")
    met: bool | None = Field(None, description="whether the value meets the target; null without a target")
    note: str = Field("", description="where the figure or its target comes from")


class MeasureRecord(_Record):
    """The measure the scheme is about: its monthly trend (SPC) and how the area's providers compare (funnel)."""

    name: str = Field(description="e.g. 'Share of ITP episodes at 1 g/kg or less'")
    higher_is_better: bool = Field(description="whether a higher value is better")
    target: float | None = Field(description="the target, if the scheme has one")
    variation: Variation = Field(description="Making Data Count variation of the latest month")
    assurance: Assurance | None = Field(description="Making Data Count assurance against the target; null "
                                        "without a target")
    providers: int = Field(ge=0, description="the area's providers in the funnel plot")
    providers_worse_998: list[str] = Field(description="the area's providers beyond the 99.8% limit on the worse "
                                           "side, by code")


class DataCoverage(_Record):
    """The data the run read."""

    synthetic: bool = Field(description="true for the synthetic data set, false for an analyst's extract")
    first_month: str = Field(pattern=r"^\d{4}-\d{2}$", description="first month in the data, YYYY-MM")
    last_month: str = Field(pattern=r"^\d{4}-\d{2}$", description="last month in the data, YYYY-MM")
    annualised_from_months: int | None = Field(None, ge=1, le=11, description="when the headline year was not whole "
                                               "in the data and the analyst asked for annualised figures "
                                               "(--annualise-partial-years): the months the saving and quantities "
                                               "were scaled from (x 12/months); null when the year was whole")
    warnings: list[str] = Field(default_factory=list, description="what the page warns about the data beside the "
                                "figures: annualised figures, part of England missing, months missing at providers "
                                "(ivanalysis.data.coverage)")


class InputFile(_Record):
    """One input table as the run read it."""

    file: str = Field(description="its path, relative to the project when inside it, or its URL")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the SHA-256 of its bytes, in hexadecimal")


class RunParameters(_Record):
    """The parameters the run was asked for."""

    scheme: str = Field(description="the scheme's id")
    geography: str = Field(description="the geography's code")
    scenario: Scenario = Field(description="the scenario the page shows")
    period: str | None = Field(description="the financial year; null when a failed run was not given one (the "
                               "scheme's default year applies)")
    data_dir: str = Field(description="the data folder or URL")


class Provenance(_Record):
    """Where the figures come from: the code, the inputs, the parameters and the assumptions."""

    package_version: str = Field(description="the version of ivanalysis that made the run")
    git_commit: str = Field(description="the commit the code came from, or 'unknown'")
    git_dirty: bool | None = Field(description="whether the working tree had changes; null when unknown")
    inputs: dict[str, InputFile] | None = Field(description="table name -> the file read; null for a failed run")
    parameters: RunParameters = Field(description="what the run was asked for")
    assumptions: dict[str, ScenarioValues] | None = Field(description="the scheme's assumptions by scenario; null "
                                                          "for a failed run")


class RunResult(_Record):
    """One run's results.json: a scheme for a geography, its headline opportunity, KPIs, data and provenance."""

    schema_version: Literal[6] = Field(SCHEMA_VERSION, description="the layout of this file")
    scheme: str = Field(description="the scheme's id, e.g. 'immunoglobulin_itp'")
    scheme_number: int = Field(ge=1, le=20, description="its number in the Menu of Opportunities")
    title: str = Field(description="the scheme's title in the Menu")
    theme: str = Field(description="the Menu's theme the scheme belongs to")
    geography: str = Field(description="the geography's code, e.g. 'LON'")
    geography_name: str = Field(description="its name, e.g. 'London'")
    geography_level: Literal["england", "region", "hub"] = Field(description="what kind of area it is")
    period: str | None = Field(description="the financial year of the headline figures, e.g. '2016/17'")
    period_start: date | None = Field(description="its first day")
    period_end: date | None = Field(description="its last day")
    status: Literal["ok", "failed"] = Field(description="'ok' when the run produced its figures, else 'failed'")
    error: str | None = Field(description="why the run failed; null when it succeeded")
    scenario: Scenario = Field(description="the scenario the page shows")
    headline: str | None = Field(description="what the headline opportunity means, in one sentence")
    opportunity_gbp: PoundsRecord | None = Field(description="the headline: the net cash-releasing saving to NHS "
                                                 "England specialised commissioning, in pounds a year for `period`, "
                                                 "by scenario (0 when the scheme has none); the sum of the net of "
                                                 "the components in totals; '*' when withheld")
    withheld: Literal["", "small", "complement"] = Field("", description=(
        "below England, why the run's opportunity (its pounds and modelled quantities, '*' throughout) is withheld: "
        "'small' (a modelled quantity is a count of 1 to 7, which the pounds would give away) or 'complement' "
        "(withheld with another area's, so that England's less the other areas' cannot give that one back); empty "
        "when shown"))
    opportunity_components: list[ComponentRecord] | None = Field(description="every component of the opportunity, "
                                                                 "those in the headline and those beside it")
    opportunity_units: list[QuantityRecord] | None = Field(description="the opportunity in the scheme's own units")
    kpis: list[KpiRecord] | None = Field(description="the indicators, the headline one first")
    measure: MeasureRecord | None = Field(description="the measure's trend and provider comparison")
    data: DataCoverage | None = Field(description="the data the run read")
    provenance: Provenance = Field(description="where the figures come from")
    content_sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description=(
        "the SHA-256 of every other field of this file (as JSON with sorted keys and no spaces), written with it: a "
        "file changed afterwards is refused, and a build runs it again. Always in the file; null only in memory"))

    @model_validator(mode="after")
    def _figures_match_status(self) -> RunResult:
        if self.status == "ok":
            missing = [name for name in (*PERIOD, *FIGURES) if getattr(self, name) is None]
            missing += [f"provenance.{name}" for name in ("inputs", "assumptions")
                        if getattr(self.provenance, name) is None]
            if missing:
                raise ValueError(f"a run with status 'ok' needs {', '.join(missing)}")
            if self.error is not None:
                raise ValueError("a run with status 'ok' has no error")
            counted = [c for c in self.opportunity_components if c.in_totals]
            pounds = [self.opportunity_gbp, *(p for c in self.opportunity_components
                                              for p in (c.gross, c.implementation_cost, c.net))]
            if self.withheld:
                if not all(f.get(s) == "*" for f in (*pounds, *self.opportunity_units) for s in SCENARIOS):
                    raise ValueError("a withheld run has '*' for every pound and every modelled quantity")
                return self
            if any(p.withheld for p in pounds):
                raise ValueError("pounds are '*' only in a withheld run (`withheld` says why)")
            for s in SCENARIOS:
                gap = abs(sum(c.net.get(s) for c in counted) - self.opportunity_gbp.get(s))
                if gap > ROUNDING * (1 + len(counted)):
                    raise ValueError(f"opportunity_gbp must be the sum of the net of the components in totals ({s})")
        else:
            present = [name for name in FIGURES if getattr(self, name) is not None]
            if present:
                raise ValueError(f"a failed run has no figures, but this one has {', '.join(present)}")
            if not self.error:
                raise ValueError("a failed run says why: its error is empty")
        return self

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @classmethod
    def failed(cls, scheme: SchemeInfo, area: Area, period: str | None, scenario: str, error: str,
               provenance: Provenance) -> RunResult:
        """The record of a run that never produced a result."""
        return cls(**identity(scheme, area, period), status="failed", error=error, scenario=scenario, headline=None,
                   opportunity_gbp=None, opportunity_components=None, opportunity_units=None, kpis=None, measure=None,
                   data=None, provenance=provenance)


# a successful run has all of these; a failed run has none of FIGURES (its period is known when it was asked for)
PERIOD = ("period", "period_start", "period_end")
FIGURES = ("headline", "opportunity_gbp", "opportunity_components", "opportunity_units", "kpis", "measure", "data")
ROUNDING = 0.011  # pounds: figures are recorded to the penny, so a net and its parts may differ by a rounded penny


def identity(scheme: SchemeInfo, area: Area, period: str | None) -> dict[str, Any]:
    """The fields that say which run a record is of: the scheme, the geography and the financial year."""
    dates = Period.financial_year(period) if period else None
    return {"scheme": scheme.id, "scheme_number": scheme.number, "title": scheme.title, "theme": scheme.theme,
            "geography": area.code, "geography_name": area.name, "geography_level": area.level, "period": period,
            "period_start": dates.start.date() if dates else None, "period_end": dates.end.date() if dates else None}


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def content_sha256(data: dict) -> str:
    """The hash results.json carries of the rest of its content: a figure edited by hand no longer matches it."""
    rest = {k: v for k, v in data.items() if k != "content_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
                          ).hexdigest()


def write_results(path: Path, result: RunResult) -> None:
    """Write a run's results.json (atomically), with the hash of its content."""
    data = result.model_dump(mode="json", exclude={"content_sha256"})
    write_json(path, {**data, "content_sha256": content_sha256(data)})


def read_results(path: Path) -> RunResult:
    """Read and validate a run's results.json. Raises ResultsFileError naming the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ResultsFileError(f"{path} is not a results.json: it holds a {type(data).__name__}, not an object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ResultsFileError(f"{path} was written with results.json schema version {version}; this version of "
                               f"ivanalysis reads version {SCHEMA_VERSION}: run the scheme for this geography again")
    recorded = data.pop("content_sha256", None)
    try:
        result = RunResult.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'the record'}: {e['msg']}" for e in exc.errors()[:5])
        more = f" (and {exc.error_count() - 5} more)" if exc.error_count() > 5 else ""
        raise ResultsFileError(f"{path} is not a valid results.json (schema version {SCHEMA_VERSION}): "
                               f"{problems}{more}") from None
    if recorded != content_sha256(data):
        said = "has no content hash" if recorded is None else "does not match the content hash written with it"
        raise ResultsChangedError(f"{path} {said}: it was changed after its run wrote it, so its figures are not "
                                  "what the run computed. Run the scheme for this geography again (a build does "
                                  "that by itself) rather than editing the file")
    return result
