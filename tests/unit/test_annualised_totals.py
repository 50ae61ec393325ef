"""A figure annualised from part of a year (--annualise-partial-years; results.json's data.annualised_from_months)
is marked wherever the book shows it (the hub pack, the landing matrix, a scheme's chapter, results.csv), and a
total or range that includes one says so, with a footnote of the months it was scaled from."""
from __future__ import annotations

import csv
import io

import pytest
from test_hub_totals import BED_DAYS, _cash, _run

from ivanalysis.geography import load_geography
from ivanalysis.pipeline import book
from ivanalysis.pipeline.runs_view import RunView

pytestmark = pytest.mark.unit

NOTE = ("† annualised from 9 months of 2017/18 (`--annualise-partial-years`): the data hold only those months of the "
        "year, and the saving and quantities were scaled to twelve")


def annualised(view: RunView, months: int = 9) -> RunView:
    """The run as one whose figures were scaled to a year from `months` months of it."""
    data = view.results.data.model_copy(update={"annualised_from_months": months})
    return RunView(view.scheme, view.area, view.results.model_copy(update={"data": data}), None, None)


@pytest.fixture
def views() -> list[RunView]:
    """ITP of 2017/18 annualised from 9 months (with a saving beside its total); oral chemotherapy of 2017/18 and
    antifungal stewardship of 2016/17 whole."""
    return [annualised(_run("immunoglobulin_itp", "2017/18",
                            [_cash("2017/18", 600_000, 1_000_000, 1_400_000), BED_DAYS])),
            _run("oral_chemo_wastage", "2017/18", [_cash("2017/18", 200_000, 500_000, 800_000)]),
            _run("antifungal_stewardship", "2016/17", [_cash("2016/17", 300_000, 700_000, 900_000)])]


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_hub_pack_marks_an_annualised_figure_and_the_total_that_includes_it(views):
    hub = book.hub_pack(views[0].area, views, False, pdf=False)
    assert "| [1. Immunoglobulin for ITP](../runs/immunoglobulin_itp/LON.ipynb) | £0.6m† | £1.0m† | £1.4m† |" in hub
    assert "| [2. Antifungal stewardship](../runs/antifungal_stewardship/LON.ipynb) | £0.3m | £0.7m | £0.9m |" in hub
    assert ("**Net cash-releasing saving to NHS England specialised commissioning, 2017/18: £1.5m† a year "
            "(moderate)**; £0.8m† low, £2.2m† high (2 schemes of 2017/18; the total includes figures annualised "
            "from part of the year).") in hub
    assert "2016/17: £0.7m a year (moderate)**; £0.3m low, £0.9m high (1 scheme of 2016/17)." in hub  # whole
    assert "**£1.5m† a year in 2017/18**" in hub  # the summary's total
    assert "| Bed days released | capacity released, valued | provider | 2017/18 | £0.3m† |" in hub  # beside it
    assert "(../runs/immunoglobulin_itp/LON.ipynb), £1.0m† a year in 2017/18" in hub  # what to do first
    assert flat(hub).count(NOTE) == 2  # in the summary, and under the totals


def test_a_hub_pack_with_nothing_annualised_has_no_mark(views):
    whole = [_run("immunoglobulin_itp", "2017/18", [_cash("2017/18", 600_000, 1_000_000, 1_400_000)])] + views[1:]
    hub = book.hub_pack(whole[0].area, whole, False, pdf=False)
    assert "†" not in hub and "annualised" not in hub


def test_runs_scaled_from_different_months_are_named_under_theirs(views):
    mixed = views[:1] + [annualised(views[1], 6)] + views[2:]
    note = flat(book.annualised_note(mixed))
    assert note.startswith("† annualised from 9 months of 2017/18 (1. Immunoglobulin for ITP); from 6 months of "
                           "2017/18 (9. Oral chemotherapy wastage) (`--annualise-partial-years`)")
    assert book.annualised_note(views[1:]) == ""


def test_the_landing_matrix_and_the_chapter_mark_it(views):
    geo = load_geography()
    everywhere = {(v.scheme.id, v.area.code): v for v in views}
    allv = [everywhere.get((info.id, area.code)) or RunView(info, area, None, None, None)
            for info in book.registry.implemented() for area in geo.run_geographies()]
    landing = book.landing(allv, geo, False, None)
    assert "  - [£1.0m†](runs/immunoglobulin_itp/LON.ipynb)" in landing
    assert "  - [£0.5m](runs/oral_chemo_wastage/LON.ipynb)" in landing
    assert NOTE in flat(landing)
    chapter = book.scheme_page(views[0].scheme, allv, False)
    assert "| £0.6m† | £1.0m† | £1.4m† |" in chapter and NOTE in flat(chapter)
    assert "†" not in book.scheme_page(views[1].scheme, allv, False)


def test_results_csv_says_the_months_a_headline_was_annualised_from(views):
    rows = {r["scheme"]: r for r in csv.DictReader(io.StringIO(book.results_csv(views)))}
    assert rows["immunoglobulin_itp"]["annualised_from_months"] == "9"
    assert rows["immunoglobulin_itp"]["opportunity_gbp_moderate"] == "1000000"  # the figure itself stays a number
    assert rows["oral_chemo_wastage"]["annualised_from_months"] == ""
