"""Loads and validates everything under params/ (pydantic). Unknown keys are errors, never silently ignored."""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError
from .paths import PARAMS_DIR

SCENARIOS: tuple[str, ...] = ("low", "moderate", "high")
Scenario = Literal["low", "moderate", "high"]
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"  # used in paths and URLs, so kept path-safe


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- geography.yaml -------------------------------------------------------------------------------------------------
class EnglandSpec(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str


class RegionSpec(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str


class HubSpec(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    name: str
    region: str
    population: int = Field(gt=0)


class ProviderSpec(_Strict):
    code: str = Field(pattern=CODE_PATTERN)
    hub: str
    name: str | None = None


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class CommissioningAreaSpec(_Strict):
    """A commissioning area (CCG- or ICB-like population) within one hub, with the variables peers are found by."""

    code: str = Field(pattern=CODE_PATTERN)
    hub: str
    population: int = Field(gt=0)
    name: str | None = None
    need_index: FiniteFloat = Field(default=1.0, gt=0, description="relative need per head, England = 1")
    demography: dict[str, FiniteFloat] = Field(min_length=1)


class GeographyFile(_Strict):
    england: EnglandSpec
    regions: list[RegionSpec] = Field(min_length=1)
    hubs: list[HubSpec] = Field(min_length=1)
    providers: list[ProviderSpec] = Field(min_length=1)
    areas: list[CommissioningAreaSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> GeographyFile:
        codes = [self.england.code] + [r.code for r in self.regions] + [h.code for h in self.hubs]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise ValueError(f"geography codes must be unique across England, regions and hubs: {dupes}")
        pcodes = [p.code for p in self.providers]
        dupes = sorted({c for c in pcodes if pcodes.count(c) > 1})
        if dupes:
            raise ValueError(f"provider codes must be unique: {dupes}")
        regions = {r.code for r in self.regions}
        for h in self.hubs:
            if h.region not in regions:
                raise ValueError(f"hub {h.code} names region {h.region!r}, which is not in regions")
        hubs = {h.code for h in self.hubs}
        for p in self.providers:
            if p.hub not in hubs:
                raise ValueError(f"provider {p.code} names hub {p.hub!r}, which is not in hubs")
        empty = sorted(hubs - {p.hub for p in self.providers})
        if empty:
            raise ValueError(f"hubs with no provider: {empty}")
        if self.areas:
            self._consistent_areas(set(codes) | set(pcodes), hubs)
        return self

    def _consistent_areas(self, other_codes: set[str], hubs: set[str]) -> None:
        acodes = [a.code for a in self.areas]
        dupes = sorted({c for c in acodes if acodes.count(c) > 1} | (set(acodes) & other_codes))
        if dupes:
            raise ValueError("area codes must be unique and differ from every other geography or provider code: "
                             f"{dupes}")
        for a in self.areas:
            if a.hub not in hubs:
                raise ValueError(f"area {a.code} names hub {a.hub!r}, which is not in hubs")
        variables = list(self.areas[0].demography)
        for a in self.areas[1:]:
            if sorted(a.demography) != sorted(variables):
                raise ValueError(f"area {a.code} has demography {sorted(a.demography)}, but area {self.areas[0].code} "
                                 f"has {sorted(variables)}: every area needs the same variables")
        # a hub is exactly the sum of its areas, so a hub's figures and its areas' figures agree
        for h in self.hubs:
            total = sum(a.population for a in self.areas if a.hub == h.code)
            if total == 0:
                raise ValueError(f"hub {h.code} has no area: once areas are given, every hub needs at least one")
            if total != h.population:
                raise ValueError(f"hub {h.code} has population {h.population:,} but its areas add up to {total:,}")


# --- schemes/<id>.yaml -----------------------------------------------------------------------------------------------
# A share (0 to 1), money, a count or duration, or a rate written <what>_per_<unit>: gbp_per_gram is a price,
# g_per_kg a dose, ddd_per_1000_bed_days a rate. Anything else is refused, so a typo cannot pass unnoticed.
PLAIN_UNITS = ("share", "gbp", "count", "ratio", "hours", "days", "weeks", "months", "years", "grams", "mg", "kg")
RATE_UNIT = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*_per_[a-z0-9]+(_[a-z0-9]+)*")


def _check_unit(unit: str) -> str:
    if unit not in PLAIN_UNITS and not RATE_UNIT.fullmatch(unit):
        raise ValueError(f"unit {unit!r} is not known: use one of {', '.join(repr(u) for u in PLAIN_UNITS)} or a rate "
                         "written <what>_per_<unit> such as 'gbp_per_gram'")
    return unit


Unit = Annotated[str, AfterValidator(_check_unit)]


class Assumption(_Strict):
    """One scenario assumption: a value per scenario, its unit, and where the value comes from."""

    label: str
    unit: Unit
    low: float
    moderate: float
    high: float
    source: str = Field(min_length=10)

    @model_validator(mode="after")
    def _in_range(self) -> Assumption:
        for s in SCENARIOS:
            v = getattr(self, s)
            if self.unit == "share" and not 0.0 <= v <= 1.0:
                raise ValueError(f"{s} = {v} is a share and must lie between 0 and 1")
            if v < 0:
                raise ValueError(f"{s} = {v} must not be negative")
        return self

    def value(self, scenario: str) -> float:
        return getattr(self, scenario)


class NotMeasured(_Strict):
    """A KPI the scheme's Menu chapter names that this book does not compute: the national source that would give
    it, and why this book cannot (shown on the page's 'Not measured here' box)."""

    kpi: str = Field(min_length=10, description="the KPI, in the Menu's words or close to them")
    source: str = Field(min_length=10, description="the national collection that would give it, or that none does")
    why: str = Field(min_length=10, description="why this book cannot compute it")


class NamedList(_Strict):
    """A list a scheme selects rows by (the drugs of a national table, say), with where it comes from: an assumption
    that is a set of names rather than a number, kept beside the numbers so an analyst can change it."""

    label: str
    values: tuple[str, ...] = Field(min_length=1)
    source: str = Field(min_length=10)


class ChangeDate(_Strict):
    """A date from which the scheme's measure is expected to change (a policy, a service starting): the trend chart's
    limits are recalculated there and the page estimates the shift (an interrupted time series). Its source says
    where the date comes from, or that no published source dates the change."""

    date: dt.date
    label: str = Field(min_length=3, max_length=40, description="what changed, in a few words: it labels the chart")
    source: str = Field(min_length=10)


class SchemeParams(_Strict):
    scheme: str
    period: str = Field(description="financial year of the headline figures, e.g. 2016/17")
    headline: str = Field(min_length=10, description="what the headline opportunity means, in one sentence")
    assumptions: dict[str, Assumption]
    lists: dict[str, NamedList] = Field(
        default_factory=dict, description="lists the scheme selects rows by, each with its source")
    not_measured: tuple[NotMeasured, ...] = Field(
        default=(), description="the Menu's KPIs for the scheme that the page does not compute")
    changes: tuple[ChangeDate, ...] = Field(
        default=(), description="dates from which the measure is expected to change, in order (benefits realisation)")

    def named_list(self, name: str) -> tuple[str, ...]:
        """The values of the list `name`, refused with a clear message when the file lacks it."""
        if name not in self.lists:
            raise ConfigError(f"params/schemes/{self.scheme}.yaml: the list {name!r} is missing (it has "
                              f"{', '.join(sorted(self.lists)) or 'no lists'})")
        return self.lists[name].values

    @field_validator("not_measured")
    @classmethod
    def _each_kpi_once(cls, v: tuple[NotMeasured, ...]) -> tuple[NotMeasured, ...]:
        names = [m.kpi for m in v]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"a KPI is listed more than once: {dupes}")
        return v

    @field_validator("changes")
    @classmethod
    def _changes_in_order(cls, v: tuple[ChangeDate, ...]) -> tuple[ChangeDate, ...]:
        dates = [c.date for c in v]
        if dates != sorted(set(dates)):
            raise ValueError(f"the change dates must be in order, each once: {[str(d) for d in dates]}")
        return v

    @field_validator("period")
    @classmethod
    def _fy(cls, v: str) -> str:
        m = re.fullmatch(r"(\d{4})/(\d{2})", v)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValueError(f"period {v!r} must be a financial year written like 2016/17")
        return v


# --- levers.yaml ----------------------------------------------------------------------------------------------------
class SchemeLevers(_Strict):
    """How a scheme's saving is achieved, from its chapter of the Menu: the levers a hub can pull, the Menu's case
    studies, and an owner or contact the hub names (shown only when filled)."""

    levers: tuple[str, ...] = Field(min_length=1, description="what to do, quoted or closely paraphrased from the Menu")
    case_studies: tuple[str, ...] = Field(default=(), description="the Menu's case studies; empty when it has none")
    contact: str = Field("", description="an owner or contact for the scheme; empty until one is named")
    source: str = Field(min_length=10, description="the Menu's chapter and the sections the text comes from")

    @field_validator("levers", "case_studies")
    @classmethod
    def _no_blank_entry(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if any(not text.strip() for text in v):
            raise ValueError("an entry is empty")
        return v


def _read_yaml(path: Path) -> dict:
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
        try:  # libyaml's loader, about ten times faster (the geography file is read by every run)
            data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # the pure-Python loader says where, with the line quoted
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _explain(path: Path, exc: ValidationError) -> ConfigError:
    lines = [f"{path}: {len(exc.errors())} problem(s)"]
    for err in exc.errors()[:10]:
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key (not allowed)" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  - {where}: {msg}")
    return ConfigError("\n".join(lines))


def load_geography_file(path: Path | None = None) -> GeographyFile:
    path = path or PARAMS_DIR / "geography.yaml"
    try:
        return GeographyFile.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, exc) from None


def load_scheme_params(scheme_id: str, required: dict[str, str] | None = None,
                       params_dir: Path | None = None) -> SchemeParams:
    """Read params/schemes/<id>.yaml; `required` maps each assumption the scheme uses to its unit.

    An assumption the scheme does not use is refused (a misspelt name would otherwise be silently ignored).
    """
    path = (params_dir or PARAMS_DIR) / "schemes" / f"{scheme_id}.yaml"
    try:
        params = SchemeParams.model_validate(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, exc) from None
    if params.scheme != scheme_id:
        raise ConfigError(f"{path}: 'scheme' is {params.scheme!r} but the file is for {scheme_id!r}")
    if required is not None:
        unknown = sorted(set(params.assumptions) - set(required))
        missing = sorted(set(required) - set(params.assumptions))
        if unknown:
            raise ConfigError(f"{path}: unknown assumption(s) {unknown}; this scheme uses {sorted(required)}")
        if missing:
            raise ConfigError(f"{path}: missing assumption(s) {missing}")
        for name, unit in required.items():
            if params.assumptions[name].unit != unit:
                raise ConfigError(f"{path}: assumption {name!r} must have unit {unit!r}, "
                                  f"not {params.assumptions[name].unit!r}")
    return params


def load_levers(path: Path | None = None, schemes: Collection[str] | None = None) -> dict[str, SchemeLevers]:
    """Read params/levers.yaml: scheme id -> its levers. With `schemes` (the ids of every scheme), an entry for any
    other id is refused (a misspelt id would never show), and so is a scheme without one."""
    path = path or PARAMS_DIR / "levers.yaml"
    try:
        levers = TypeAdapter(dict[str, SchemeLevers]).validate_python(_read_yaml(path))
    except ValidationError as exc:
        raise _explain(path, exc) from None
    if schemes is not None:
        unknown = sorted(set(levers) - set(schemes))
        missing = sorted(set(schemes) - set(levers))
        if unknown:
            raise ConfigError(f"{path}: no scheme has the id(s) {unknown}")
        if missing:
            raise ConfigError(f"{path}: no levers for the scheme(s) {missing}")
    return levers


@lru_cache(maxsize=1)
def geography_file() -> GeographyFile:
    return load_geography_file()


def check_scenario(scenario: str) -> str:
    if scenario not in SCENARIOS:
        raise ConfigError(f"unknown scenario {scenario!r}: choose one of {', '.join(SCENARIOS)}")
    return scenario
