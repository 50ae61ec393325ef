"""England -> region -> hub -> provider, and the commissioning areas within each hub, from params/geography.yaml.

Runs are for England, a region or a hub (`Area`). Commissioning areas (`CommissioningArea`, CCG- or ICB-like
populations) are the units of area-level comparisons such as similar peers; a run's `commissioning_areas` are the
ones it rolls up. They are not run geographies themselves: `get`, `hubs` and `run_geographies` never return them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from .config import GeographyFile, load_geography_file
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


@lru_cache(maxsize=4)
def load_geography(path: Path | None = None) -> Geography:
    return Geography(load_geography_file(path))
