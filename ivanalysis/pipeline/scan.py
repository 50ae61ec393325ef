"""Check what a build publishes before anyone reads it: disclosure control and patient identifiers.

Two scans of every published artefact (the HTML book and its downloads, the executed notebooks, results.json and
the tables as data, CSV and Parquet):

- disclosure: below England, every count a page shows (table cells marked class "count", count KPIs in
  results.json) is 0, '*' (suppressed: sdc.SMALL_MAX and below) or a multiple of 5; in a run's table files
  (report/table_data.py) every count (a "... (count)" column) is 0, a multiple of 5 or empty, and empty wherever its
  "suppressed" flag is set;
- identifiers: no value of an identifying column of the input tables (NHS numbers, patient, baby and record
  identifiers) appears anywhere.

`ivanalysis scan` runs both on the current build; the tests run them on a book built from small-count data.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from ..data.io import find_table, read_file
from ..data.schemas import TABLES
from ..errors import DataError
from ..report import table_data
from ..results import ResultsFileError, read_results

NATIONAL = "ENG"
TOKEN = re.compile(r"[A-Za-z0-9_-]{6,}")  # identifiers are at least 6 characters: shorter tokens are codes and years


@dataclass(frozen=True)
class Finding:
    artefact: str
    problem: str

    def __str__(self) -> str:
        return f"{self.artefact}: {self.problem}"


def _allowed(text: str) -> bool:
    """A published count below England: 0, '*', blank or a multiple of 5 (with thousands separators)."""
    t = text.strip().replace(",", "")
    if t in ("", "*", "0", "n/a"):
        return True
    try:
        v = float(t)
    except ValueError:
        return False
    return v == int(v) and int(v) % 5 == 0


class _CountCells(HTMLParser):
    """The text of every table cell whose class list holds 'count'."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._depth = 0
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "td" and "count" in (dict(attrs).get("class") or "").split():
            self._depth, self._buf = 1, []
        elif self._depth:
            self._depth += 1

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1
            if tag == "td" and self._depth == 0:
                self.cells.append("".join(self._buf))
            elif self._depth == 0:
                self._depth = 0

    def handle_data(self, data):
        if self._depth:
            self._buf.append(data)


def count_cells(html: str) -> list[str]:
    parser = _CountCells()
    parser.feed(html)
    return parser.cells


def _geography_of(path: Path) -> str | None:
    """runs/<scheme>/<GEO>.html, runs/<scheme>/<GEO>/<GEO>.ipynb or results.json -> GEO; else None (not a run)."""
    parts = path.parts
    if "runs" not in parts:
        return None
    rest = parts[parts.index("runs") + 1:]
    if len(rest) == 2:  # <scheme>/<GEO>.html
        return Path(rest[1]).stem
    if len(rest) >= 3:  # <scheme>/<GEO>/<file>
        return rest[1]
    return None


def _published(build: Path) -> list[Path]:
    html = sorted(p for p in (build / "html").rglob("*") if p.suffix in (".html", ".csv", ".parquet", ".ipynb")) \
        if (build / "html").is_dir() else []
    runs = build / "runs"
    files = sorted(p for p in runs.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".json", ".csv", ".parquet")
                   and ".tmp" not in p.parts and "failed" not in p.parts) if runs.is_dir() else []
    return html + files


def table_counts(path: Path) -> list[tuple[str, str, bool]]:
    """Every count in a run's table file, as (column, the cell's text, whether it is flagged as suppressed). A CSV is
    read as a reader would, by its headers (its first line, a note, skipped); a Parquet file by its kinds."""
    count, flag = f" ({table_data.UNITS['count']})", table_data.FLAG
    if path.suffix == ".parquet":
        data = table_data.read_table(path)
        return [(name, "" if pd.isna(v) else str(v), bool(f))
                for name, kind in data.kinds.items() if kind == "count"
                for v, f in zip(data.frame[name], data.suppressed(name))]
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if rows and rows[0][:1] and rows[0][0].startswith("#"):
        rows = rows[1:]
    if not rows:
        return []
    head, body = rows[0], rows[1:]
    out = []
    for i, name in enumerate(head):
        if name.endswith(count):
            j = head.index(name + flag) if name + flag in head else None
            out += [(name, row[i], j is not None and row[j] == "True") for row in body]
    return out


def disclosure_findings(build: Path) -> list[Finding]:
    """Counts shown below England that are neither 0, '*' nor a multiple of 5."""
    findings = []
    for path in _published(build):
        geo = _geography_of(path)
        if geo in (None, NATIONAL):
            continue  # pages of England, and book pages of no single run (hub packs show money, not counts)
        rel = str(path.relative_to(build))
        if path.suffix == ".json" and path.name == "results.json":
            try:
                kpis = read_results(path).kpis or []
            except ResultsFileError as exc:  # what it shows cannot be checked: that is a finding in itself
                findings.append(Finding(rel, f"cannot be checked: {exc}"))
                continue
            for k in kpis:
                if k.unit == "count" and k.value is not None and not _allowed(str(k.value)):
                    findings.append(Finding(rel, f"KPI {k.name!r} shows the count {k.value}"))
            continue
        if path.suffix in (".csv", ".parquet"):
            try:
                counts = table_counts(path)
            except (OSError, ValueError, IndexError) as exc:  # a table that cannot be read cannot be checked
                findings.append(Finding(rel, f"cannot be checked: {exc}"))
                continue
            for name, text, flagged in counts:
                if flagged and text.strip():
                    findings.append(Finding(rel, f"suppressed count in {name!r} shows {text.strip()!r}"))
                elif not _allowed(text):
                    findings.append(Finding(rel, f"count in {name!r} shows {text.strip()!r}"))
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            nb = json.loads(text)
            text = "".join("".join(o.get("data", {}).get("text/html", []))
                           for c in nb.get("cells", []) for o in c.get("outputs", []))
        for cell in count_cells(text):
            if not _allowed(cell):
                findings.append(Finding(rel, f"count cell shows {cell.strip()!r}"))
    return findings


IDENTIFYING = re.compile(r"(^nhs_number$|patient|baby|_id$)")


def identifiers(data_dir: Path) -> set[str]:
    """Every value of an identifying column (NHS number, patient/baby/record ids) of the tables in `data_dir`."""
    values: set[str] = set()
    for name, spec in TABLES.items():
        try:
            path = find_table(data_dir, name)
        except DataError:
            continue
        cols = [c for c in spec.schema.columns if IDENTIFYING.search(c)]
        if not cols:
            continue
        df = read_file(path)
        for c in cols:
            if c in df:
                values.update(str(v) for v in df[c].dropna().unique() if len(str(v)) >= 6)
    return values


def identifier_findings(build: Path, data_dir: Path) -> list[Finding]:
    """Artefacts in which an identifier from the input tables appears."""
    ids = identifiers(data_dir)
    findings = []
    for path in _published(build):
        found = set(TOKEN.findall(_readable_text(path))) & ids
        if found:
            findings.append(Finding(str(path.relative_to(build)),
                                    f"{len(found)} identifier(s) from the input, e.g. {sorted(found)[0]}"))
    return findings


def _readable_text(path: Path) -> str:
    """The text of an artefact, without the base64 of images in notebooks (noise, not content); a Parquet file's as
    CSV."""
    if path.suffix == ".parquet":
        try:
            return pd.read_parquet(path).to_csv(index=False)
        except (OSError, ValueError):  # not a table: its bytes, as text
            pass
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix != ".ipynb":
        return text
    nb = json.loads(text)
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            o.get("data", {}).pop("image/png", None)
    return json.dumps(nb)


def scanned(build: Path) -> int:
    return len(_published(build))
