"""England -> region -> hub -> provider, from params/geography.yaml."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .config import GeographyFile, load_geography_file
from .errors import ConfigError

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

    @property
    def is_national(self) -> bool:
        return self.level == "england"


class Geography:
    def __init__(self, spec: GeographyFile):
        self.spec = spec
        self.provider_hub = {p.code: p.hub for p in spec.providers}
        self.provider_name = {p.code: (p.name or p.code) for p in spec.providers}
        hub_providers = {h.code: tuple(p.code for p in spec.providers if p.hub == h.code) for h in spec.hubs}
        areas: dict[str, Area] = {}
        all_providers = tuple(p.code for p in spec.providers)
        areas[spec.england.code] = Area(spec.england.code, spec.england.name, "england", None,
                                        sum(h.population for h in spec.hubs), all_providers,
                                        tuple(h.code for h in spec.hubs))
        for r in spec.regions:
            hubs = tuple(h.code for h in spec.hubs if h.region == r.code)
            areas[r.code] = Area(r.code, r.name, "region", r.code,
                                 sum(h.population for h in spec.hubs if h.region == r.code),
                                 tuple(p for h in hubs for p in hub_providers[h]), hubs)
        for h in spec.hubs:
            areas[h.code] = Area(h.code, h.name, "hub", h.region, h.population, hub_providers[h.code], (h.code,))
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


@lru_cache(maxsize=4)
def load_geography(path: Path | None = None) -> Geography:
    return Geography(load_geography_file(path))
