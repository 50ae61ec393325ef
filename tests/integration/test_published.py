"""What a build publishes: no small count shown unsuppressed below England, no patient identifier anywhere.

The book is built from the tiny data set (2% of national volumes), where many hub counts are small, so a
disclosure slip would show. The scanner itself is tested on planted leaks, so a scan that finds nothing means
something.
"""
from __future__ import annotations

import json
import math
import shutil

import pytest

from ivanalysis.pipeline.scan import count_cells, disclosure_findings, identifier_findings, identifiers, scanned
from ivanalysis.results.record import content_sha256
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration


def test_no_unsuppressed_small_count_below_england(small_book):
    assert scanned(small_book) > 50
    assert disclosure_findings(small_book) == []
    # and the scan did look at count cells of hub pages
    hub_pages = list((small_book / "html" / "runs").rglob("LON.html"))
    assert hub_pages and any(count_cells(p.read_text()) for p in hub_pages)


def test_no_patient_identifier_is_published(small_book, tiny_data):
    assert len(identifiers(tiny_data)) > 1000
    assert identifier_findings(small_book, tiny_data) == []


def test_the_scans_find_planted_leaks(small_book, tiny_data, tmp_path):
    build = tmp_path / "_build"
    shutil.copytree(small_book / "runs", build / "runs")
    page = build / "html" / "runs" / "some_scheme" / "LON.html"
    page.parent.mkdir(parents=True)
    nhs = sorted(v for v in identifiers(tiny_data) if v.isdigit() and len(v) == 10)[0]
    page.write_text(f'<table><tr><td class="num count">3</td><td class="num count">1,234</td>'
                    f'<td class="num count">*</td><td class="num count">1,240</td></tr></table><p>{nhs}</p>')
    # planted by a run that wrote it (with its content hash), not by hand: a hand-edited file is refused outright
    results = next((build / "runs").glob("*/LON/results.json"))
    r = json.loads(results.read_text())
    r["kpis"].append({"name": "Planted", "value": 6, "unit": "count"})
    r["content_sha256"] = content_sha256(r)
    results.write_text(json.dumps(r))
    problems = [str(f) for f in disclosure_findings(build)]
    assert any("'3'" in p for p in problems) and any("'1,234'" in p for p in problems)
    assert any("Planted" in p for p in problems) and len(problems) == 3
    assert [f.artefact for f in identifier_findings(build, tiny_data)] == ["html/runs/some_scheme/LON.html"]


def test_every_run_page_offers_its_notebook_and_tables_and_the_landing_page_all_results(small_book):
    import csv
    import io
    import re

    page = (small_book / "html" / "runs" / "prostate_fractionation" / "LON.html").read_text()
    links = set(re.findall(r'href="([^"]*_downloads/[^"]+)"', page))
    names = {link.rsplit("/", 1)[1] for link in links}
    stem = "prostate_fractionation_LON"
    assert {"LON.ipynb",
            *(f"{stem}_{key}.{suffix}" for key in ("providers", "regimens") for suffix in ("csv", "parquet"))} <= names
    for link in links:
        assert (small_book / "html" / "runs" / "prostate_fractionation" / link).resolve().exists(), link
    link = next(link for link in links if link.endswith(f"/{stem}_providers.csv"))
    table = (small_book / "html" / "runs" / "prostate_fractionation" / link).resolve().read_text(encoding="utf-8-sig")
    note, table = table.split("\n", 1)  # the first line says what the table is
    assert "SYNTHETIC DATA" in note
    rows = list(csv.DictReader(io.StringIO(table)))
    assert rows and {"Provider", "Hub", "Courses (count)", "Saving (moderate) (GBP)"} <= set(rows[0])
    assert all(r["Courses (count) suppressed"] == "True" if r["Courses (count)"] == "" else
               int(r["Courses (count)"]) % 5 == 0 for r in rows)

    landing = (small_book / "html" / "index.html").read_text()
    assert re.search(r'href="[^"]*_downloads/[^"]+/results\.csv"', landing)
    results = list(csv.DictReader(io.StringIO(next((small_book / "html" / "_downloads").rglob("results.csv"))
                                              .read_text())))
    assert len(results) == len(registry.implemented()) * 11  # every scheme x geography, run or not
    ok = [r for r in results if r["geography"] == "ENG" and r["status"] == "ok"]
    # a net saving may be below 0 where what it costs exceeds what it saves (shared decision making's training)
    assert len(ok) == len(registry.implemented())
    assert all(math.isfinite(float(r["opportunity_gbp_moderate"])) for r in ok)
