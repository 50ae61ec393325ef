"""The hub workbook as a calculator: each proportion it offers is what its scheme does, and the workbook,
recalculated by LibreOffice (Debian's libreoffice-calc-nogui), gives the book's figures to the pound and follows a
reader's inputs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ivanalysis.config import SCENARIOS
from ivanalysis.geography import load_geography
from ivanalysis.pipeline import packs

pytestmark = pytest.mark.integration


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the workbook must be recalculated)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def soffice() -> str:
    path = shutil.which("soffice")
    if path is None:
        _missing("LibreOffice not found: install Debian's 'libreoffice-calc-nogui' (`make libreoffice`)")
    return path


def recalculate(soffice: str, xlsx: Path, work: Path) -> Path:
    """The workbook as LibreOffice saves it after computing every formula (the workbook carries no computed values:
    each one read back is LibreOffice's). A profile of its own: no user's settings, no lock shared with another
    LibreOffice."""
    out = work / "recalculated"
    done = subprocess.run([soffice, "--headless", f"-env:UserInstallation={(work / 'profile').as_uri()}",
                           "--convert-to", "xlsx", "--outdir", str(out), str(xlsx)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and (out / xlsx.name).is_file(), (done.stdout, done.stderr)
    return out / xlsx.name


def test_each_proportion_the_workbook_offers_is_what_its_scheme_does(tiny_data):
    """packs.SCALINGS: for each scheme named, the named component of the headline halves when the assumption is halved
    (every scenario, all else held), and no other component moves: the calculator's formula is the scheme's own
    arithmetic. Run for England, where every component has data."""
    from ivanalysis.data.io import load_table
    from ivanalysis.schemes import registry

    geo = load_geography()
    for scheme_id, scaling in packs.SCALINGS.items():
        scheme = registry.scheme(scheme_id)
        tables = {n: load_table(tiny_data, n, geo, scheme.input_columns.get(n)) for n in scheme.tables}
        p = registry.params(scheme_id)
        a = p.assumptions[scaling.assumption]
        halved = p.model_copy(update={"assumptions": {
            **p.assumptions, scaling.assumption: a.model_copy(update={s: a.value(s) / 2 for s in SCENARIOS})}})

        def components(params_, scheme_id=scheme_id, tables=tables):
            result = registry.analyse_tables(scheme_id, tables, geo.england, geography=geo, params_=params_)
            return {c.label: c for c in result.opportunity.components}

        before, after = components(p), components(halved)
        assert scaling.component in before and before[scaling.component].in_totals, (scheme_id, list(before))
        for label, c in before.items():
            for s in SCENARIOS:
                expected = c.net.get(s) / 2 if label == scaling.component else c.net.get(s)
                assert after[label].net.get(s) == pytest.approx(expected, rel=1e-9, abs=1e-6), (scheme_id, label, s)
        assert any(before[scaling.component].net.get(s) for s in SCENARIOS), scheme_id  # something to scale


def _runs(build: Path, hub: str) -> list[dict]:
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((build / "runs").glob(f"*/{hub}/results.json"))]
    return [r for r in runs if r["status"] == "ok"]


def _linked_workbook(html: Path, hub: str) -> Path:
    """The workbook the hub pack page offers, resolved from the page as a browser would."""
    import re

    page = (html / "hubs" / f"{hub}.html").read_text(encoding="utf-8")
    href = re.search(rf'href="([^"]*/{hub}\.xlsx)"', page)
    assert href, f"hubs/{hub}.html has no link to its workbook"
    return (html / "hubs" / href.group(1)).resolve()


def _your_lines(ws) -> tuple[dict[int, list], dict[str, list]]:
    """The Summary's 'your' figures: scheme number -> [low, moderate, high], and year -> the totals."""
    rows = list(ws.iter_rows(values_only=True))
    header = rows.index(tuple(packs.SUMMARY_HEADER))
    schemes, totals = {}, {}
    for r in rows[header + 1:]:
        if isinstance(r[0], int):
            schemes[r[0]] = list(r[6:9])
        elif str(r[1]).startswith("All analysed schemes"):
            totals[r[2]] = list(r[6:9])
    return schemes, totals


def _cells(wb, sheet: str) -> dict[str, int]:
    rows = [r[0] for r in wb[sheet].iter_rows(values_only=True)]
    start = rows.index("Try your own figures")
    return {label: i + 1 for i, label in enumerate(rows[start:rows.index("Your figure (£)", start) + 1], start)
            if label}


def test_the_workbook_recalculated_gives_the_books_figures_and_follows_its_inputs(small_book, soffice, tmp_path):
    """Every hub's workbook, recalculated with its inputs as they are, gives each scheme's figure and each year's total
    as results.json has them, to the pound; with every share achieved at 50% and, on each sheet that offers one, the
    reader's value of its assumption at half the book's, each figure and total is what that arithmetic gives."""
    from openpyxl import load_workbook

    from ivanalysis.catalogue import BY_ID

    checked, withheld, largest_gap = 0, 0, 0.0
    for hub in load_geography().hubs():
        runs = _runs(small_book, hub.code)
        if not runs:
            continue
        xlsx = _linked_workbook(small_book / "html", hub.code)
        got = load_workbook(recalculate(soffice, xlsx, tmp_path / hub.code / "as-built"), data_only=True)
        schemes, totals = _your_lines(got["Summary"])
        years = {r["period"] for r in runs}
        # a withheld run has no figure to try one's own against, and adds nothing to its year's total
        held = [r for r in runs if r["withheld"]]
        runs = [r for r in runs if not r["withheld"]]
        withheld += len(held)
        assert all(schemes[r["scheme_number"]] == [None] * 3 for r in held), hub.code
        for r in runs:
            for s, value in zip(SCENARIOS, schemes[r["scheme_number"]], strict=True):
                largest_gap = max(largest_gap, abs(value - r["opportunity_gbp"][s]))
                assert value == pytest.approx(r["opportunity_gbp"][s], abs=0.5), (hub.code, r["scheme"], s)
            sheet = packs.sheet_name(r["scheme_number"], BY_ID[r["scheme"]].short)
            book = _cells(got, sheet)["The book's figure (£)"]
            assert [got[sheet].cell(book, c).value for c in (2, 3, 4)] == pytest.approx(
                [r["opportunity_gbp"][s] for s in SCENARIOS], abs=0.5), (hub.code, r["scheme"])
            checked += 1
        assert set(totals) == years
        for year in years:
            assert totals[year] == pytest.approx([sum(r["opportunity_gbp"][s] for r in runs if r["period"] == year)
                                                  for s in SCENARIOS], abs=0.5), (hub.code, year)
        print(f"\n{hub.code} as built: " + "; ".join(f"{y} moderate £{totals[y][1]:,.2f}" for y in sorted(years)))

        # a reader's inputs: half of every opportunity achieved, half the book's value of each proportional assumption
        wb = load_workbook(xlsx)
        expected = {}
        for r in runs:
            sheet = packs.sheet_name(r["scheme_number"], BY_ID[r["scheme"]].short)
            at, ws = _cells(wb, sheet), wb[sheet]
            ws.cell(at["Your share of the opportunity achieved"], 2).value = 0.5
            scaling = packs.SCALINGS.get(r["scheme"])
            part = {s: 0.0 for s in SCENARIOS}
            if scaling:
                mine = at[packs.YOUR_VALUE]
                for col in (2, 3, 4):
                    ws.cell(mine, col).value = ws.cell(mine, col).value / 2
                c = next(c for c in r["opportunity_components"] if c["label"] == scaling.component)
                book = r["provenance"]["assumptions"][scaling.assumption]
                part = {s: c["net"][s] / 2 if book[s] else 0.0 for s in SCENARIOS}  # a value of 0 cannot scale
            expected[r["scheme_number"]] = [0.5 * (r["opportunity_gbp"][s] - part[s]) for s in SCENARIOS]
        changed = tmp_path / hub.code / "changed" / xlsx.name
        changed.parent.mkdir(parents=True)
        wb.save(changed)
        got = load_workbook(recalculate(soffice, changed, tmp_path / hub.code / "changed"), data_only=True)
        schemes, totals = _your_lines(got["Summary"])
        for r in runs:
            assert schemes[r["scheme_number"]] == pytest.approx(expected[r["scheme_number"]], abs=0.5), \
                (hub.code, r["scheme"])
        for year in years:
            want = [sum(expected[r["scheme_number"]][i] for r in runs if r["period"] == year) for i in range(3)]
            assert totals[year] == pytest.approx(want, abs=0.5), (hub.code, year)
        print(f"{hub.code} at half: " + "; ".join(f"{y} moderate £{totals[y][1]:,.2f}" for y in sorted(years)))
    # the small book's three hubs, each with at most three runs without data; at 2% of national volumes many hub runs
    # are withheld (a modelled count of 1 to 7), and at least 20 are not
    assert checked + withheld >= 17 * 3 and checked >= 20, (checked, withheld)
    print(f"{checked} scheme figures checked ({withheld} withheld); largest gap from results.json £{largest_gap:.4f}")
