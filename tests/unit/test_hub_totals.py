"""A hub's total adds only same-year savings that release cash to specialised commissioning; everything else is
listed beside it or apart, each pound with its year, and the landing matrix shows "—" where nothing is in totals."""
from __future__ import annotations

import pytest
from test_packs import HUB, results

from ivanalysis.catalogue import BY_ID
from ivanalysis.geography import load_geography
from ivanalysis.pipeline import book
from ivanalysis.pipeline.runs_view import RunView
from ivanalysis.results import ComponentRecord, RunResult, ScenarioValues
from ivanalysis.results.record import identity

pytestmark = pytest.mark.unit

KPI = {"name": "Share", "value": 0.5, "target": None, "unit": "share", "higher_is_better": None, "met": None,
       "note": ""}


def _money(low: float, moderate: float, high: float) -> ScenarioValues:
    return ScenarioValues(low=low, moderate=moderate, high=high)


def _run(scheme: str, year: str, components: list[ComponentRecord]) -> RunView:
    """An analysed London run of `scheme` for `year` whose headline is the net of its components in totals."""
    counted = [c for c in components if c.in_totals]
    headline = _money(*(sum(c.net.get(s) for c in counted) for s in ("low", "moderate", "high")))
    record = results(scheme, 1.0, 1.0, 1.0, KPI).model_dump()
    record.update(identity(BY_ID[scheme], HUB, year), opportunity_gbp=headline.model_dump(),
                  opportunity_components=[c.model_dump() for c in components])
    return RunView(BY_ID[scheme], HUB, RunResult.model_validate(record), None, None)


def _cash(year: str, low: float, moderate: float, high: float) -> ComponentRecord:
    return ComponentRecord(label="Drugs not bought", kind="cash_releasing", payer="nhse_specialised", year=year,
                           gross=_money(low, moderate, high), implementation_cost=_money(0, 0, 0),
                           net=_money(low, moderate, high), in_totals=True, why_not_in_totals="")


BED_DAYS = ComponentRecord(label="Bed days released", kind="capacity_released", payer="provider", year="2017/18",
                           gross=_money(100_000, 300_000, 400_000), implementation_cost=_money(0, 0, 0),
                           net=_money(100_000, 300_000, 400_000), in_totals=False,
                           why_not_in_totals="capacity, not cash; falls to the provider")
GAP = ComponentRecord(label="Spend above peers", kind="cash_releasing", payer="nhse_specialised", year="2017/18",
                      gross=_money(1e6, 3e6, 5e6), implementation_cost=_money(0, 0, 0), net=_money(1e6, 3e6, 5e6),
                      in_totals=False, why_not_in_totals="overlaps schemes 1 and 9",
                      outside_totals="overlaps schemes 1 and 9")


@pytest.fixture
def views() -> list[RunView]:
    """Two schemes of 2017/18 (one with a saving beside its total), one of 2016/17, and Where to Look (all apart)."""
    return [_run("immunoglobulin_itp", "2017/18", [_cash("2017/18", 600_000, 1_000_000, 1_400_000), BED_DAYS]),
            _run("oral_chemo_wastage", "2017/18", [_cash("2017/18", 200_000, 500_000, 800_000)]),
            _run("antifungal_stewardship", "2016/17", [_cash("2016/17", 300_000, 700_000, 900_000)]),
            _run("where_to_look", "2017/18", [GAP])]


def test_a_hub_has_one_total_a_year_and_never_adds_years_together(views):
    hub = book.hub_pack(HUB, views, False, pdf=False)
    assert ("**Net cash-releasing saving to NHS England specialised commissioning, 2017/18: £1.5m a year "
            "(moderate)**; £0.8m low, £2.2m high (2 schemes of 2017/18).") in hub
    assert ("**Net cash-releasing saving to NHS England specialised commissioning, 2016/17: £0.7m a year "
            "(moderate)**; £0.3m low, £0.9m high (1 scheme of 2016/17).") in hub
    assert hub.index(", 2017/18: £1.5m") < hub.index(", 2016/17: £0.7m")  # the latest year first
    assert "£2.2m a year" not in hub and "£2.1m" not in hub  # 1.5m + 0.7m: no sum across years, in any scenario
    assert "| 2 | [2. Antifungal stewardship](../runs/antifungal_stewardship/LON.ipynb) | £0.3m | £0.7m | £0.9m | " \
           "2016/17 |" in hub  # each scheme's year beside its figures, ranked by its moderate headline


def test_what_is_not_in_the_total_is_listed_beside_it_or_apart_with_its_year(views):
    hub = book.hub_pack(HUB, views, False, pdf=False)
    beside = hub[hub.index("## Beside the total"):hub.index("## Shown apart")]
    apart = hub[hub.index("## Shown apart"):]
    assert "| Bed days released | capacity released, valued | provider | 2017/18 | £0.3m |" in beside
    assert "Spend above peers" not in beside and "Bed days released" not in apart
    assert "| Spend above peers | 2017/18 | £3.0m | overlaps schemes 1 and 9 |" in apart
    assert "£3.0m" not in hub[:hub.index("## Beside the total")]  # never in a total or the scheme table
    wtl = next(line for line in hub.splitlines() if "(../runs/where_to_look/LON.ipynb) | — | — | — | 2017/18" in line)
    assert "£0" not in wtl
    assert '"—": the scheme has no cash-releasing saving' in hub


def test_the_landing_matrix_shows_a_dash_and_each_schemes_year(views):
    geo = load_geography()
    everywhere = {(v.scheme.id, v.area.code): v for v in views}
    allv = [everywhere.get((info.id, area.code)) or RunView(info, area, None, None, None)
            for info in book.registry.implemented() for area in geo.run_geographies()]
    landing = book.landing(allv, geo, False, None)
    assert "](schemes/where_to_look.md) (2017/18)" in landing
    assert "](schemes/antifungal_stewardship.md) (2016/17)" in landing
    assert "  - [—](runs/where_to_look/LON.ipynb)" in landing and "[£0](runs/where_to_look" not in landing
    assert '"—": the scheme has no cash-releasing saving' in landing


def test_compact_money_puts_the_sign_before_the_pound():
    """A net saving below 0 (its cost above it) reads -£0.1m, never £-0.1m; a rounding to 0 has no sign."""
    from ivanalysis.pipeline import book

    assert [book._short_gbp(v) for v in (-123_456.0, -999.0, -0.3, 12_345.0, 5_800_000.0)] == [
        "-£0.1m", "-£999", "£0", "£12k", "£5.8m"]


def test_a_withheld_scheme_shows_a_star_and_adds_to_no_total_or_comparison(views):
    """ITP withheld in London: its £1.0m (moderate) leaves the 2017/18 total (£1.5m -> £0.5m, oral chemotherapy
    alone), its line shows '*' (escaped for Markdown), the pack says why, and the landing and results CSV agree."""
    from test_packs import _withheld

    geo = load_geography()
    views[0] = RunView(views[0].scheme, HUB, _withheld(views[0].results), None, None)
    hub = book.hub_pack(HUB, views, False, pdf=False)
    assert ("**Net cash-releasing saving to NHS England specialised commissioning, 2017/18: £0.5m a year "
            "(moderate)**; £0.2m low, £0.8m high (1 scheme of 2017/18") in hub
    assert "(1 scheme of 2017/18; 1 scheme withheld, not in it)" in hub
    line = next(s for s in hub.splitlines() if "(../runs/immunoglobulin_itp/LON.ipynb)" in s and "\\*" in s)
    assert "£" not in line
    assert "\\* withheld (1. " in hub and "Withheld figures are left out of every total" in hub
    everywhere = {(v.scheme.id, v.area.code): v for v in views}
    allv = [everywhere.get((info.id, area.code)) or RunView(info, area, None, None, None)
            for info in book.registry.implemented() for area in geo.run_geographies()]
    assert "  - [\\*](runs/immunoglobulin_itp/LON.ipynb)" in book.landing(allv, geo, False, None)
    csv = book.results_csv(views).splitlines()
    itp = next(r for r in csv if r.startswith("1,immunoglobulin_itp,"))
    assert ",,,,small," in itp  # no pounds in any scenario, and why
