"""What the book and the hub packs know of the runs: each run's results.json (read as the results model), its run.json
and its last failure. Both the book (pipeline/book.py) and the packs (pipeline/packs.py) read runs through here,
so neither imports the other's module for it. (BookError, which both raise, is ivanalysis.errors'.)"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..catalogue import SchemeInfo
from ..errors import BookError as BookError  # raised by the book and the packs, which import it from here
from ..geography import Area, Geography
from ..paths import runs_dir
from ..results import RunResult, read_results
from ..schemes import registry


@dataclass
class RunView:
    """What the book knows of one run: its results.json and run.json, and whether a page exists."""

    scheme: SchemeInfo
    area: Area
    results: RunResult | None
    info: dict | None
    failure: dict | None

    @property
    def ok(self) -> bool:
        return self.results is not None and self.results.ok

    @property
    def doc(self) -> str:
        return f"runs/{self.scheme.id}/{self.area.code}"

    @property
    def withheld(self) -> bool:
        """An analysed run below England whose opportunity is withheld (results.json `withheld`): its pounds are '*',
        and it stays out of every total and comparison."""
        return self.ok and bool(self.results.withheld)

    def moderate(self) -> float | None:
        """The headline in the moderate scenario; None for a run not analysed or withheld."""
        return self.results.opportunity_gbp.moderate if self.ok and not self.withheld else None


def ranked(own: list[RunView]) -> list[RunView]:
    """A hub's runs as its pack page and workbook rank them: the analysed ones by the moderate headline, largest first
    (ties in scheme order; withheld ones after them), then the others in scheme order."""
    by_number = sorted(own, key=lambda v: v.scheme.number)
    return sorted((v for v in by_number if v.ok), key=lambda v: (v.withheld, -(v.moderate() or 0))) \
        + [v for v in by_number if not v.ok]


def one_line(error: str | None, limit: int = 300) -> str:
    """A failure's message for a cell of a table: its lines joined into one (a line break would end the table's row
    and the strict book build with it), cut at `limit` characters; the run's page and log keep the whole message."""
    text = " ".join(line.strip() for line in (error or "").splitlines() if line.strip())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def collect(geo: Geography) -> list[RunView]:
    """Every implemented scheme for every run geography. A results.json that is not the results contract stops the
    build with a message naming it (results.ResultsFileError), rather than showing the run as not run."""
    views = []
    for info in registry.implemented():
        for area in geo.run_geographies():
            d = runs_dir() / info.id / area.code
            results = read_results(d / "results.json") if (d / "results.json").exists() else None
            views.append(RunView(info, area, results, _read_json(d / "run.json"), _read_json(d / "last_failure.json")))
    return views
