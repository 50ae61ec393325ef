"""The disclosure scan keeps what each artefact was found to hold (scan._Memo), so that a build scans only what
changed: the same findings come back without reading the artefacts again, a changed artefact is scanned again, and
nothing is kept across a change of the code."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from ivanalysis.pipeline import fingerprint, scan
from ivanalysis.pipeline.scan import disclosure_findings
from ivanalysis.report.table_data import table_data, write_table
from ivanalysis.results import Table

pytestmark = pytest.mark.unit


@pytest.fixture
def build(tmp_path):
    """A build with a leak in a hub's table file, in a hub page and in a hub's workbook (a sheet's count)."""
    build = tmp_path / "_build"
    run = build / "runs" / "s" / "LON"
    run.mkdir(parents=True)
    table = Table("Providers", pd.DataFrame({"Provider": ["P1", "P2"], "Patients": [12, 10]}), counts=("Patients",),
                  rows_are_the_area=True)  # written without control: its 12 is a finding
    write_table(run, "s_LON_providers", table_data(table, controlled=False, synthetic=True))
    page = build / "html" / "runs" / "s" / "LON.html"
    page.parent.mkdir(parents=True)
    page.write_text('<table><tr><td class="count">3</td><td class="count">10</td></tr></table>')
    wb = Workbook()
    wb.active.title = "Summary"
    wb.active.append(["Scheme", "Patients (count)"])
    wb.active.append(["s", 4])
    packs = build / "html" / "downloads" / "packs"
    packs.mkdir(parents=True)
    wb.save(packs / "LON.xlsx")
    return build


def _refusing(monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("an artefact was read again though it had not changed")

    for name in ("read_any_table", "page_tables", "_workbook_findings"):
        monkeypatch.setattr(scan, name, refused)


def test_the_same_artefacts_give_the_same_findings_without_being_read_again(build, tmp_path, monkeypatch):
    memo = tmp_path / "scan.json"
    first = sorted(map(str, disclosure_findings(build, memo=memo)))
    assert first == sorted(map(str, disclosure_findings(build)))  # as without a memo
    assert "html/downloads/packs/LON.xlsx [Summary]: count under 'Patients (count)' shows 4" in first
    assert "html/runs/s/LON.html: count cell shows '3'" in first
    assert any(f.startswith("runs/s/LON/s_LON_providers.csv: count in") for f in first)
    _refusing(monkeypatch)
    assert sorted(map(str, disclosure_findings(build, memo=memo))) == first


def test_a_changed_artefact_is_scanned_again(build, tmp_path):
    memo = tmp_path / "scan.json"
    disclosure_findings(build, memo=memo)
    page = build / "html" / "runs" / "s" / "LON.html"
    page.write_text('<table><tr><td class="count">5</td><td class="count">7</td></tr></table>')
    found = [str(f) for f in disclosure_findings(build, memo=memo) if "LON.html" in str(f)]
    assert found == ["html/runs/s/LON.html: count cell shows '7'"]


def test_the_same_bytes_elsewhere_are_judged_by_where_they_are(build, tmp_path):
    """A page's findings depend on whether it describes England or fewer people: England's copy of the same bytes
    is not a hub's."""
    memo = tmp_path / "scan.json"
    disclosure_findings(build, memo=memo)
    (build / "html" / "runs" / "s" / "ENG.html").write_bytes((build / "html" / "runs" / "s" / "LON.html").read_bytes())
    assert not [f for f in disclosure_findings(build, memo=memo) if "ENG.html" in str(f)]


def test_nothing_is_kept_across_a_change_of_the_code(build, tmp_path, monkeypatch):
    memo = tmp_path / "scan.json"
    disclosure_findings(build, memo=memo)
    monkeypatch.setattr(fingerprint, "code_inputs", lambda parts=None: "another version of the scan")
    read = []
    real = scan.page_tables
    monkeypatch.setattr(scan, "page_tables", lambda html: read.append(1) or real(html))
    disclosure_findings(build, memo=memo)
    assert read


def test_a_damaged_memo_is_scanned_through(build, tmp_path):
    memo = tmp_path / "scan.json"
    memo.write_text("{not json")
    assert sorted(map(str, disclosure_findings(build, memo=memo))) == sorted(map(str, disclosure_findings(build)))


def test_the_runs_scanned_ahead_are_not_read_again_with_the_book(build, tmp_path, monkeypatch):
    """A build scans the runs' files while Sphinx builds the book (book=False), then the whole book: the runs' files
    come from the memo."""
    memo = tmp_path / "scan.json"
    ahead = [str(f) for f in disclosure_findings(build, memo=memo, book=False)]
    assert ahead and all(f.startswith("runs/") for f in ahead)
    monkeypatch.setattr(scan, "read_any_table", lambda path: (_ for _ in ()).throw(AssertionError(path)))
    assert sorted(map(str, disclosure_findings(build, memo=memo))) == sorted(
        ahead + ["html/downloads/packs/LON.xlsx [Summary]: count under 'Patients (count)' shows 4",
                 "html/runs/s/LON.html: count cell shows '3'"])


def test_an_artefact_removed_before_it_is_read_is_not_published_so_not_checked(build, monkeypatch):
    """A build removes stale files from its new book (an older hub's workbook) while the scan goes on."""
    workbook = build / "html" / "downloads" / "packs" / "LON.xlsx"
    real = scan._published
    monkeypatch.setattr(scan, "_published", lambda *a, **k: [*real(*a, **k), workbook.with_name("OLD.xlsx")])
    assert not [f for f in disclosure_findings(build) if "OLD.xlsx" in str(f)]


def test_a_scan_of_the_runs_ahead_keeps_what_the_memo_holds_for_the_book(build, tmp_path, monkeypatch):
    """The scan of the runs' files ahead of the book (book=False) keeps the book's findings in the memo: the whole
    scan after it reads only the pages that changed (it used to read every page again, 4 s on the default book)."""
    memo = tmp_path / "scan.json"
    whole = sorted(map(str, disclosure_findings(build, memo=memo)))
    disclosure_findings(build, memo=memo, book=False)
    _refusing(monkeypatch)
    assert sorted(map(str, disclosure_findings(build, memo=memo))) == whole


def test_the_memo_follows_the_scans_code_not_the_schemes(tmp_path, monkeypatch):
    """The memo is kept while the scan's own code is the same (SCANNER_CODE): a scheme's module edited changes what
    its runs write (scanned again by their bytes), not how a file is judged."""
    package = tmp_path / "ivanalysis"
    (package / "pipeline").mkdir(parents=True)
    (package / "schemes").mkdir()
    (package / "pipeline" / "scan.py").write_text("scan = 1\n")
    (package / "schemes" / "s.py").write_text("s = 1\n")
    monkeypatch.setattr(fingerprint, "PACKAGE_DIR", package)
    before = fingerprint.code_inputs(["pipeline/scan.py"])
    (package / "schemes" / "s.py").write_text("s = 2  # edited\n")
    assert fingerprint.code_inputs(["pipeline/scan.py"]) == before
    (package / "pipeline" / "scan.py").write_text("scan = 2  # edited\n")
    assert fingerprint.code_inputs(["pipeline/scan.py"]) != before


def test_the_scans_code_is_every_module_it_loads():
    """SCANNER_CODE names every module of the package that importing the scan loads (in a new interpreter)."""
    import subprocess
    import sys

    from ivanalysis.pipeline.fingerprint import PACKAGE_DIR

    code = ("import sys, ivanalysis.pipeline.scan\n"
            "for m in list(sys.modules.values()):\n    print(getattr(m, '__file__', None) or '')")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    ours = [Path(f).resolve().relative_to(PACKAGE_DIR.resolve()).as_posix() for f in loaded
            if Path(f).resolve().is_relative_to(PACKAGE_DIR.resolve())]
    assert "pipeline/scan.py" in ours
    outside = [m for m in ours if not any(m == part or m.startswith(part + "/") for part in scan.SCANNER_CODE)]
    assert outside == []
