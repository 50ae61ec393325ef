"""Check what a build publishes before anyone reads it: disclosure control and patient identifiers.

Two scans of every published artefact (the HTML book and its downloads, the executed notebooks, results.json, the
tables as data (CSV and Parquet), the hub workbooks (Excel) and PDF packs):

- disclosure: every figure that describes fewer people than England is controlled, on every page, England's
  included: count cells (class "count") of a page below England, or of any table that claims control (data-sdc),
  are 0, '*' (sdc.SMALL_MAX and below) or a multiple of 5, and a table shown exactly has no row naming a provider,
  area, hub or region; a run's table files follow the same rule, leave a suppressed cell empty, and show no money
  or figure beside a suppressed count in its row; results.json below England shows KPIs and modelled quantities
  controlled, and no pounds beside a suppressed quantity (they would give it back at England's pounds per unit);
  a scheme never has one hub withheld alone (England's figure less the other hubs' would give it back), nor a region
  shown with a hub of it withheld; a hub workbook's counts and quantities are controlled;
- identifiers: no value of an identifying column of the input tables (NHS numbers, patient, baby and record
  identifiers) appears anywhere, PDF text and workbook cells included.

`ivanalysis scan` runs both on the current build; the tests run them on a book built from small-count data, and an
adversary test tries to recover each suppressed value from everything published.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from ..config import SCENARIOS
from ..data.io import find_table, read_file
from ..data.schemas import TABLES
from ..errors import DataError
from ..geography import Geography, load_geography
from ..report import table_data
from ..results import ResultsFileError, read_results
from ..sdc import SUPPRESSED, SUPPRESSED_WORDS, is_quantity_unit

NATIONAL = "ENG"
TOKEN = re.compile(r"[A-Za-z0-9_-]{6,}")  # identifiers are at least 6 characters: shorter tokens are codes and years


@dataclass(frozen=True)
class Finding:
    artefact: str
    problem: str

    def __str__(self) -> str:
        return f"{self.artefact}: {self.problem}"


def _allowed(text: str) -> bool:
    """A published count below England: 0, '*', 'fewer than 8', blank or a multiple of 5 (thousands separators)."""
    t = text.strip().replace(",", "")
    if t in ("", SUPPRESSED, SUPPRESSED_WORDS, "0", "n/a"):
        return True
    try:
        v = float(t)
    except ValueError:
        return False
    return v == int(v) and int(v) % 5 == 0


@dataclass
class _Table:
    """A table of a page: the rule it claims (data-sdc), its row headers and its count cells' text."""

    sdc: str | None = None
    row_headers: list[str] = field(default_factory=list)
    count_cells: list[str] = field(default_factory=list)


class _Tables(HTMLParser):
    """Every table of a page, with the text of its row headers and of its cells whose class list holds 'count'."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._cell: str | None = None  # "count" or "row" while inside such a cell
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append(_Table(a.get("data-sdc")))
        elif tag == "td" and "count" in (a.get("class") or "").split():
            self._cell, self._buf = "count", []
        elif tag == "th" and a.get("scope") == "row":
            self._cell, self._buf = "row", []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell:
            if not self.tables:
                self.tables.append(_Table())
            text = "".join(self._buf)
            (self.tables[-1].count_cells if self._cell == "count" else self.tables[-1].row_headers).append(text)
            self._cell = None

    def handle_data(self, data):
        if self._cell:
            self._buf.append(data)


def page_tables(html: str) -> list[_Table]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def count_cells(html: str) -> list[str]:
    return [c for t in page_tables(html) for c in t.count_cells]


def _geography_of(path: Path) -> str | None:
    """runs/<scheme>/<GEO>.html, runs/<scheme>/<GEO>/<GEO>.ipynb or results.json -> GEO; a hub pack
    (packs/<HUB>.html, .xlsx, .pdf) -> HUB; else None (not a run)."""
    parts = path.parts
    if "packs" in parts and path.suffix in (".html", ".xlsx", ".pdf"):
        return path.stem
    if "runs" not in parts:
        return None
    rest = parts[parts.index("runs") + 1:]
    if len(rest) == 2:  # <scheme>/<GEO>.html
        return Path(rest[1]).stem
    if len(rest) >= 3:  # <scheme>/<GEO>/<file>
        return rest[1]
    return None


def _published(build: Path, html_dir: Path | None = None, *, book: bool = True) -> list[Path]:
    """Every artefact of a build: the book (`html_dir`, by default build/html; none with `book` False) and the runs'
    outputs."""
    suffixes = (".html", ".csv", ".parquet", ".ipynb", ".json", ".xlsx", ".pdf")
    folder = html_dir or build / "html"
    html = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in suffixes) \
        if book and folder.is_dir() else []
    runs = build / "runs"
    files = sorted(p for p in runs.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".json", ".csv", ".parquet")
                   and ".tmp" not in p.parts and "failed" not in p.parts) if runs.is_dir() else []
    return html + files


def subnational_names(geography: Geography | None = None) -> set[str]:
    """The codes and names of everything below England (providers, commissioning areas, hubs, regions): a row that
    names one describes fewer people than the whole of England, whatever page it is on."""
    geo = geography or load_geography()
    names = set(geo.provider_hub) | set(geo.provider_name.values())
    names |= {c for c in geo.commissioning_areas} | {a.name for a in geo.commissioning_areas.values()}
    names |= {a.code for a in geo.areas.values() if not a.is_national}
    names |= {a.name for a in geo.areas.values() if not a.is_national}
    return {n for n in names if n}


def _names_a_subnational_row(values, names: set[str]) -> str | None:
    for v in values:
        text = "" if v is None else str(v).strip().lstrip("'")
        if text in names:
            return text
    return None


def table_counts(path: Path) -> list[tuple[str, str, bool]]:
    """Every count in a run's table file, as (column, the cell's text, whether it is flagged as suppressed)."""
    data = read_any_table(path)
    return [(name, "" if pd.isna(v) else str(v), bool(f))
            for name, kind in data.kinds.items() if kind == "count"
            for v, f in zip(data.frame[name], data.suppressed(name))]


def read_any_table(path: Path) -> table_data.TableData:
    """A run's table file as TableData: a Parquet file by its metadata; a CSV as a reader would read it, by its
    note (first line) and headers: '(count)', '(%)' and '(GBP)' name the kinds, '... suppressed' the flags."""
    if path.suffix == ".parquet":
        return table_data.read_table(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    note = rows[0][0] if rows and rows[0][:1] and rows[0][0].startswith("#") else ""
    rows = rows[1:] if note else rows
    if not rows:
        return table_data.TableData("", pd.DataFrame(), {}, False, "Disclosure control" in note)
    head, body = rows[0], rows[1:]
    units = {f" ({u})": k for k, u in table_data.UNITS.items()}
    kinds = {}
    for name in head:
        if name.endswith(table_data.FLAG):
            continue
        kinds[name] = next((k for u, k in units.items() if name.endswith(u)), "text")
    frame = pd.DataFrame(body, columns=head, dtype=object)
    for name, kind in kinds.items():
        if kind in ("count", "money", "rate"):
            values = pd.to_numeric(frame[name].replace("", None))
            whole = values.dropna().eq(values.dropna().round()).all()
            # as the Parquet file holds them: whole numbers stay whole ('12', never '12.0'), so the text is checked
            frame[name] = values.astype("Int64") if kind != "rate" and whole else values
    for name in head:
        if name.endswith(table_data.FLAG):
            frame[name] = frame[name] == "True"
    return table_data.TableData("", frame, kinds, False, "Disclosure control" in note)


def _table_findings(rel: str, data: table_data.TableData, below_england: bool, names: set[str]) -> list[Finding]:
    """A run's table as data: counts controlled wherever its rows are below England, and nothing in a row that gives
    a suppressed count away (money or a figure shown beside it, unless the column is not flagged as following it)."""
    findings = []
    frame = data.frame
    if not (data.controlled or below_england):
        text_cols = [n for n, k in data.kinds.items() if k == "text"]
        for _, row in frame[text_cols].iterrows():
            name = _names_a_subnational_row(row.tolist(), names)
            if name:
                return [Finding(rel, f"exact counts for {name!r}, a row below England")]
        return []
    hidden_rows = pd.Series(False, index=frame.index)
    for name, kind in data.kinds.items():
        if kind not in ("count", "rate"):
            continue
        flagged = data.suppressed(name)
        hidden_rows |= flagged
        for v, f in zip(frame[name], flagged):
            text = "" if pd.isna(v) else str(v)
            if f and text.strip():
                findings.append(Finding(rel, f"suppressed {kind} in {name!r} shows {text.strip()!r}"))
            elif kind == "count" and not _allowed(text):
                findings.append(Finding(rel, f"count in {name!r} shows {text.strip()!r}"))
    for name, kind in data.kinds.items():
        if kind in ("money", "number") and name + table_data.FLAG in frame:
            shown = frame.loc[hidden_rows, name].dropna()
            if len(shown):
                findings.append(Finding(rel, f"{name!r} shows {shown.iloc[0]} beside a suppressed count"))
    return findings


def _results_findings(rel: str, path: Path) -> list[Finding]:
    try:
        r = read_results(path)
    except ResultsFileError as exc:  # what it shows cannot be checked: that is a finding in itself
        return [Finding(rel, f"cannot be checked: {exc}")]
    findings = [Finding(rel, f"KPI {k.name!r} shows the count {k.value}") for k in r.kpis or []
                if k.unit == "count" and k.value is not None and not _allowed(str(k.value))]
    for q in r.opportunity_units or []:
        for s in SCENARIOS:
            v = q.get(s)
            if is_quantity_unit(q.unit) and not _allowed(str(abs(v)) if not isinstance(v, str) else v):
                findings.append(Finding(rel, f"modelled {q.label!r} ({s}) shows {v}"))
    starred = [q.label for q in r.opportunity_units or []
               if is_quantity_unit(q.unit) and SUPPRESSED in (q.low, q.moderate, q.high)]
    if starred and not r.withheld:  # the pounds over England's pounds per unit give the quantity back
        findings.append(Finding(rel, f"the pounds are shown beside the suppressed modelled {starred[0]!r}"))
    return findings


def complement_findings(build: Path, geography: Geography | None = None) -> list[Finding]:
    """Differences that give a withheld hub back (sdc.withholding): a scheme with one hub withheld while England's
    figure and every other hub's are published; a region's figure published while one of its hubs is withheld."""
    from ..geography import load_geography

    geo = geography or load_geography()
    findings = []
    for scheme_dir in sorted(p for p in (build / "runs").glob("*") if p.is_dir()):
        published, withheld = set(), set()
        for area in (*geo.hubs(), *(a for a in geo.areas.values() if a.level == "region")):
            try:
                record = json.loads((scheme_dir / area.code / "results.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if record.get("status") == "ok":
                published.add(area.code)
                if record.get("withheld"):
                    withheld.add(area.code)
        hubs = [h.code for h in geo.hubs()]
        held = [c for c in hubs if c in withheld]
        if len(held) == 1 and len(hubs) > 1 and all(c in published for c in hubs):
            findings.append(Finding(f"runs/{scheme_dir.name}/{held[0]}/results.json",
                                    "the only hub withheld: its figures are England's less the other hubs'"))
        for region in sorted(published - withheld - set(hubs)):
            mine = [h.code for h in geo.hubs() if h.region == region and h.code in withheld]
            if mine:
                findings.append(Finding(f"runs/{scheme_dir.name}/{region}/results.json",
                                        f"the region's figures are shown while its hub {mine[0]}'s are withheld: "
                                        "the region's less its other hubs' give them back"))
    return findings


def _workbook_findings(rel: str, path: Path) -> list[Finding]:
    """A hub workbook (below England throughout): every cell under a '(count)' header, or under a header naming a
    quantity's unit in a sheet's opportunity block, is controlled."""
    from openpyxl import load_workbook

    findings = []
    wb = load_workbook(path, read_only=True, data_only=True)
    for ws in wb.worksheets:
        columns: dict[int, str] = {}
        for row in ws.iter_rows(values_only=True):
            texts = ["" if v is None else str(v) for v in row]
            if any(t.endswith(" (count)") for t in texts):
                columns = {i: t for i, t in enumerate(texts) if t.endswith(" (count)")}
                continue
            if texts[:2] == ["Scenario", "Opportunity (£)"]:
                columns = {i: t for i, t in enumerate(texts) if i >= 2
                           and is_quantity_unit(t.rsplit("(", 1)[-1].rstrip(")"))}
                continue
            if not any(texts):
                columns = {}
                continue
            for i, header in columns.items():
                if i < len(row) and row[i] is not None and not _allowed(str(row[i]).replace(".0", "")):
                    findings.append(Finding(f"{rel} [{ws.title}]", f"count under {header!r} shows {row[i]}"))
    return findings


def _text_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8", errors="replace"))
        return "".join("".join(o.get("data", {}).get("text/html", []))
                       for c in nb.get("cells", []) for o in c.get("outputs", []))
    return path.read_text(encoding="utf-8", errors="replace")


def disclosure_findings(build: Path, geography: Geography | None = None, *,
                        html_dir: Path | None = None, memo: Path | None = None, book: bool = True) -> list[Finding]:
    """What a build publishes that describes fewer people than England without disclosure control: on every page,
    England's included (a provider's row is sub-national wherever it is), in every artefact: HTML pages and
    notebooks (count cells, and the rule each table claims), run tables as CSV and Parquet (counts, flags, money
    beside a suppressed count), results.json (KPIs and modelled quantities, pounds beside a suppressed one, a hub
    withheld alone: complement_findings) and the hub workbooks. `html_dir`: the book to scan, if not build/html (a
    new book before it is published); `book` False: the runs' outputs alone (a build scans them into its memo while
    Sphinx builds the book). `memo`: a file that keeps what each artefact was found to hold, by its content, so that
    a build scans only what changed (_Memo). An artefact removed before it is read is not published, so not checked
    (a build removes stale files from the new book as the scan goes on)."""
    names = subnational_names(geography)
    kept = _Memo(memo, names, partial=not book)
    findings = []
    for path in _published(build, html_dir, book=book):
        geo = _geography_of(path)
        below = geo not in (None, NATIONAL)
        rel = str(path.relative_to(html_dir.parent if html_dir and path.is_relative_to(html_dir) else build))
        if (check := _check_of(path, geo, below, names)) is None:
            continue
        try:
            key = kept.key(path, "none" if geo is None else "below" if below else "national")
            if (known := kept.get(key)) is not None:
                findings += [Finding(rel + tail, problem) for tail, problem in known]
                continue
            found = check(rel)
        except FileNotFoundError:
            continue
        except (OSError, ValueError, IndexError, KeyError) as exc:  # what cannot be read cannot be checked
            findings.append(Finding(rel, f"cannot be checked: {exc}"))
            continue
        kept.put(key, rel, found)
        findings += found
    kept.save()
    return findings + complement_findings(build, geography)


def _check_of(path: Path, geo: str | None, below: bool, names: set[str]) -> Callable[[str], list[Finding]] | None:
    """How an artefact is checked (a function of its name as findings give it), or None when nothing in it can
    disclose: results.json of England, a table file of no run, a PDF (its pages are the HTML pages scanned)."""
    if path.suffix == ".json":
        return (lambda rel: _results_findings(rel, path)) if path.name == "results.json" and below else None
    if path.suffix in (".csv", ".parquet"):
        return (lambda rel: _table_findings(rel, read_any_table(path), below, names)) if geo is not None else None
    if path.suffix == ".xlsx":
        return (lambda rel: _workbook_findings(rel, path)) if below else None
    if path.suffix not in (".html", ".ipynb"):
        return None

    def page(rel: str) -> list[Finding]:
        findings = []
        for table in page_tables(_text_of(path)):
            if below or table.sdc == "controlled":
                findings += [Finding(rel, f"count cell shows {c.strip()!r}") for c in table.count_cells
                             if not _allowed(c)]
            elif table.sdc == "exact" and (name := _names_a_subnational_row(table.row_headers, names)):
                findings.append(Finding(rel, f"a table shown exactly has a row for {name!r}, below England"))
        return findings

    return page


# The package's code the scan's verdicts follow from: this module and what it imports (a test checks the list against
# what importing it loads). Editing a scheme's analysis changes what its runs write, which the memo sees by their
# bytes, not how a file is judged: the memo is kept.
SCANNER_CODE = ("__init__.py", "catalogue.py", "config.py", "data", "errors.py", "geography.py", "memo.py", "paths.py",
                "pipeline/__init__.py", "pipeline/scan.py", "pipeline/fingerprint.py", "report", "results", "sdc.py")


class _Memo:
    """What each artefact was found to hold, kept in a file between builds: an artefact's findings follow from its
    bytes, its kind (suffix, results.json or not) and whether it describes England, fewer people or no area, so
    they are kept under those; all of it is forgotten when the scan's code (SCANNER_CODE), the installed versions or
    the names below England change. Without a file, nothing is kept. A build's new book is mostly the last one's
    pages and every run's files unchanged: scanning all of them took 12 s of CPU for 220 runs. `partial`: the scan
    reads part of what is published (the runs' files, ahead of the book), so what it keeps for the rest stays."""

    def __init__(self, path: Path | None, names: set[str], *, partial: bool = False) -> None:
        from .fingerprint import code_inputs

        self.path, self.used, self.partial = path, {}, partial
        self.version = "" if path is None else hashlib.sha256(
            (code_inputs(SCANNER_CODE) + "\n" + "\n".join(sorted(names))).encode()).hexdigest()
        self.known = {}
        if path is not None:
            try:
                saved = json.loads(path.read_text(encoding="utf-8"))
                self.known = saved["findings"] if saved.get("version") == self.version else {}
            except (OSError, ValueError, KeyError, TypeError):
                self.known = {}

    def key(self, path: Path, area: str) -> str | None:
        if self.path is None:
            return None
        kind = "results" if path.name == "results.json" else path.suffix
        return f"{hashlib.sha256(path.read_bytes()).hexdigest()} {kind} {area}"

    def get(self, key: str | None) -> list[list[str]] | None:
        found = self.known.get(key) if key else None
        if found is not None:
            self.used[key] = found
        return found

    def put(self, key: str | None, rel: str, found: list[Finding]) -> None:
        """Kept without the artefact's name: a finding's artefact is the name, or the name and a sheet."""
        if key and all(f.artefact.startswith(rel) for f in found):
            self.used[key] = [[f.artefact[len(rel):], f.problem] for f in found]

    def save(self) -> None:
        """Only what this scan saw, so the file does not grow with every build (and, after a partial scan, what was
        kept for the rest: the whole scan that follows it drops what it no longer sees)."""
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            kept = {**self.known, **self.used} if self.partial else self.used
            tmp.write_text(json.dumps({"version": self.version, "findings": kept}), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:  # a memo that cannot be written only costs time
            pass


def identifiers(data_dir: Path) -> set[str]:
    """Every value of an identifying column (each table's declared `identifiers`: NHS numbers, patient, baby and
    record ids) of the tables in `data_dir`."""
    values: set[str] = set()
    for name, spec in TABLES.items():
        if not spec.identifiers:
            continue
        try:
            path = find_table(data_dir, name)
        except DataError:
            continue
        df = read_file(path)
        for c in spec.identifiers:
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


def pdf_page_texts(path: Path) -> list[str]:
    """The text of each page of a PDF, read by PDFium as a viewer shows it: a ligature (the "ff" of a hash, say) as
    its letters, where pypdf split the token there; and about twenty times faster than pypdf on a hub pack."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def _readable_text(path: Path) -> str:
    """The text of an artefact, without the base64 of images in notebooks (noise, not content); a Parquet file's as
    CSV; a workbook's cells; a PDF's text."""
    if path.suffix == ".parquet":
        try:
            return pd.read_parquet(path).to_csv(index=False)
        except (OSError, ValueError):  # not a table: its bytes, as text
            pass
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        return "\n".join(" ".join("" if v is None else str(v) for v in row)
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
    if path.suffix == ".pdf":
        return "\n".join(pdf_page_texts(path))
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
