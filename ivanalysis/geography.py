"""England -> region -> hub -> provider, and the commissioning areas within each hub, from params/geography.yaml.

Runs are for England, a region or a hub (`Area`). Commissioning areas (`CommissioningArea`, CCG- or ICB-like
populations) are the units of area-level comparisons such as similar peers; a run's `commissioning_areas` are the
ones it rolls up. They are not run geographies themselves: `get`, `hubs` and `run_geographies` never return them.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from .config import CODE_PATTERN, GeographyFile, load_geography_file
from .errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

LEVELS = ("england", "region", "hub")


@dataclass(frozen=True)
class Area:
    """A geography a run can be for: its providers are the ones whose rows the run analyses."""

    code: str
    name: str
    level: str  # england | region | hub
    region: str | None  # region code (hubs, regions), None for England
    population: int
    providers: tuple[str, ...]
    hubs: tuple[str, ...]
    commissioning_areas: tuple[str, ...] = ()  # the areas it rolls up (empty when the file defines none)

    @property
    def is_national(self) -> bool:
        return self.level == "england"


@dataclass(frozen=True)
class CommissioningArea:
    """A commissioning area within one hub: its population, relative need and demographic variables."""

    code: str
    name: str
    hub: str
    region: str
    population: int
    need_index: float  # relative need for specialised care per head, England = 1 (population-weighted)
    demography: Mapping[str, float] = field(hash=False)

    @property
    def weighted_population(self) -> float:
        """The population weighted for need: what a fair-shares comparison of spend per head divides by."""
        return self.population * self.need_index


class Geography:
    def __init__(self, spec: GeographyFile):
        self.spec = spec
        self.provider_hub = {p.code: p.hub for p in spec.providers}
        self.provider_name = {p.code: (p.name or p.code) for p in spec.providers}
        hub_providers = {h.code: tuple(p.code for p in spec.providers if p.hub == h.code) for h in spec.hubs}
        region_of = {h.code: h.region for h in spec.hubs}
        self.commissioning_areas: dict[str, CommissioningArea] = {
            a.code: CommissioningArea(a.code, a.name or a.code, a.hub, region_of[a.hub], a.population, a.need_index,
                                      MappingProxyType(dict(a.demography)))
            for a in spec.areas}
        hub_areas = {h.code: tuple(a.code for a in spec.areas if a.hub == h.code) for h in spec.hubs}
        areas: dict[str, Area] = {}
        all_providers = tuple(p.code for p in spec.providers)
        areas[spec.england.code] = Area(spec.england.code, spec.england.name, "england", None,
                                        sum(h.population for h in spec.hubs), all_providers,
                                        tuple(h.code for h in spec.hubs), tuple(self.commissioning_areas))
        for r in spec.regions:
            hubs = tuple(h.code for h in spec.hubs if h.region == r.code)
            areas[r.code] = Area(r.code, r.name, "region", r.code,
                                 sum(h.population for h in spec.hubs if h.region == r.code),
                                 tuple(p for h in hubs for p in hub_providers[h]), hubs,
                                 tuple(a for h in hubs for a in hub_areas[h]))
        for h in spec.hubs:
            areas[h.code] = Area(h.code, h.name, "hub", h.region, h.population, hub_providers[h.code], (h.code,),
                                 hub_areas[h.code])
        self.areas = areas

    @property
    def england(self) -> Area:
        return self.areas[self.spec.england.code]

    def hubs(self) -> list[Area]:
        return [self.areas[h.code] for h in self.spec.hubs]

    def run_geographies(self) -> list[Area]:
        """The book's default matrix: England and each hub."""
        return [self.england, *self.hubs()]

    def get(self, code: str) -> Area:
        try:
            return self.areas[code]
        except KeyError:
            known = ", ".join(self.areas)
            raise ConfigError(f"unknown geography {code!r}: known codes are {known}") from None

    def hub_of(self, provider: str) -> str:
        return self.provider_hub[provider]

    # --- commissioning areas -------------------------------------------------------------------------------------
    def commissioning_area(self, code: str) -> CommissioningArea:
        try:
            return self.commissioning_areas[code]
        except KeyError:
            raise ConfigError(f"unknown commissioning area {code!r}: params/geography.yaml defines "
                              f"{len(self.commissioning_areas)} areas, e.g. "
                              f"{', '.join(list(self.commissioning_areas)[:3]) or 'none'}") from None

    def areas_in(self, code: str) -> list[CommissioningArea]:
        """The commissioning areas of England, a region or a hub (its code as `get` takes it)."""
        return [self.commissioning_areas[a] for a in self.get(code).commissioning_areas]

    def area_table(self, code: str | None = None) -> pd.DataFrame:
        """One row per commissioning area (of geography `code`, or all): hub, region, population, need_index,
        weighted_population, then one column per demographic variable; indexed by area code."""
        import pandas as pd

        chosen = self.areas_in(code) if code else list(self.commissioning_areas.values())
        if not chosen:
            raise ConfigError("params/geography.yaml defines no commissioning areas (key 'areas')"
                              + (f" in {code}" if code else ""))
        rows = [{"area": a.code, "name": a.name, "hub": a.hub, "region": a.region, "population": a.population,
                 "need_index": a.need_index, "weighted_population": a.weighted_population, **a.demography}
                for a in chosen]
        return pd.DataFrame(rows).set_index("area")

    @property
    def demographic_variables(self) -> tuple[str, ...]:
        first = next(iter(self.commissioning_areas.values()), None)
        return tuple(first.demography) if first else ()


# An analyst's own providers (--providers providers.csv of `validate`, `run` and `build`, and so seen by their workers
# and kernels): columns code, name (may be empty) and hub, merged with the providers of params/geography.yaml
PROVIDERS = "IVANALYSIS_PROVIDERS"


def load_geography(path: Path | None = None) -> Geography:
    """params/geography.yaml (or `path`), with the providers of $IVANALYSIS_PROVIDERS when it names a CSV file."""
    providers = os.environ.get(PROVIDERS, "").strip()
    if not providers:
        return _load_geography(path, None, None)
    try:
        stamp = Path(providers).stat().st_mtime_ns  # a changed file is read again
    except OSError:
        raise ConfigError(f"the providers file {providers} (--providers or ${PROVIDERS}) does not exist") from None
    return _load_geography(path, providers, stamp)


@lru_cache(maxsize=4)
def _load_geography(path: Path | None, providers: str | None, stamp: int | None) -> Geography:
    spec = load_geography_file(path)
    return Geography(with_providers(spec, Path(providers)) if providers else spec)


def with_providers(spec: GeographyFile, csv_path: Path) -> GeographyFile:
    """The geography with the providers of a CSV file (columns code, name, hub; name may be empty) added. A provider
    the file already lists may be given again with its own hub (its name is then the CSV's); each row is checked
    and a wrong one refused, naming its line."""
    import csv

    where = f"providers file {csv_path}"
    try:
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            rows = list(reader)
            header = [h.strip() for h in reader.fieldnames or []]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{where}: cannot be read as UTF-8 CSV: {exc}") from None
    if not rows:
        raise ConfigError(f"{where}: no providers (a header row code,name,hub and one row per provider)")
    missing = [c for c in ("code", "hub") if c not in header]
    if missing:
        raise ConfigError(f"{where}: column(s) {', '.join(missing)} missing: the header must be code,name,hub "
                          f"(found {','.join(header)})")
    hubs = [h.code for h in spec.hubs]
    known = {p.code: p for p in spec.providers}
    added: dict[str, dict] = {}
    for line, row in enumerate(rows, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        code, hub, name = row.get("code", ""), row.get("hub", ""), row.get("name", "")
        if not re.match(CODE_PATTERN, code):
            raise ConfigError(f"{where}, line {line}: code {code!r} must be up to 40 letters, digits, - or _, "
                              "starting with a letter or digit")
        if hub not in hubs:
            raise ConfigError(f"{where}, line {line}: hub {hub!r} of provider {code} is not a hub of the geography "
                              f"({', '.join(hubs)})")
        if code in added:
            raise ConfigError(f"{where}, line {line}: provider {code} is listed twice")
        if code in known and known[code].hub != hub:
            raise ConfigError(f"{where}, line {line}: provider {code} is in hub {known[code].hub} in the geography "
                              f"file, not {hub}: a provider belongs to one hub")
        added[code] = {"code": code, "hub": hub, "name": name or None}
    providers = [added.pop(p.code, None) or p.model_dump() for p in spec.providers] + list(added.values())
    return GeographyFile.model_validate({**spec.model_dump(), "providers": providers})
