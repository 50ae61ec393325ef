"""Scheme 12 on the default synthetic data. The Menu of Opportunities (chapter 12) publishes no figures for shared
decision making, so the England run is checked against the volumes the generator documents (of the order of HES
and the National Joint Registry) and the direction the Menu expects; the hubs add up to England."""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import registry
from ivanalysis.schemes import shared_decision_making as sdm

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def tables(default_data):
    geo = load_geography()
    return {name: load_table(default_data, name, geo) for name in sdm.TABLES}  # loaded once: the tables are large


def run(tables, code):
    geo = load_geography()
    params = registry.params("shared_decision_making")
    period = Period.financial_year(params.period)
    return registry.analyse_tables("shared_decision_making", tables, geo.get(code), period, geo, params_=params,
                                   data_identity=KEPT)


def test_england_volumes_ratios_and_growth(tables):
    r = run(tables, "ENG")
    procedures = r.tables["procedures"].frame.set_index("Procedure")["Procedures 2017/18"]
    # about 90,000 hip and 100,000 knee replacements a year (primary procedures, National Joint Registry order)
    # and 60,000 cardiac device implants, growing a few per cent a year
    assert procedures["Hip replacements for osteoarthritis"] == pytest.approx(95_000, rel=0.10)
    assert procedures["Knee replacements for osteoarthritis"] == pytest.approx(105_000, rel=0.10)
    assert procedures["Cardiac device implants"] == pytest.approx(62_000, rel=0.10)
    for name in ("hip replacements for osteoarthritis", "knee replacements for osteoarthritis",
                 "cardiac device implants"):
        assert 0.0 < r.kpi(f"Growth in {name}").value < 0.06
    # about 1.4 follow-ups per new patient in orthopaedics and 1.8 in cardiology: 140 to 150 per 100 new overall,
    # above the benchmark the moderate scenario sets (the Menu: fewer appointments per patient)
    ratio = r.kpi("Follow-up attendances per 100 new attendances")
    assert 130 < ratio.value < 160 and ratio.target < ratio.value
    assert 180_000 < r.kpi("New attendances").value < 250_000
    o = Range.total(c.net for c in r.opportunity.components)
    assert o.low < o.moderate < o.high
    # growth in demand netted at England level: England's procedures above last year's grown by 1.5% (moderate),
    # nothing where England grew less (cardiac devices grow about 1.3% here), whatever single providers did
    table = r.tables["procedures"].frame.set_index("Procedure")
    for name, row in table.iterrows():
        expected = max(0.0, row["Procedures 2017/18"] - 1.015 * row["Procedures 2016/17"])
        assert row["Share of England's growth above demography (moderate)"] == pytest.approx(expected), name
    # the headline: ICDs' and CRT's fewer follow-ups, net of their share of the device teams' training
    parts = {c.label: c for c in r.opportunity.components}
    icd = parts["Fewer follow-ups: ICDs and CRT"]
    assert r.opportunity.headline == icd.net and 0 < icd.implementation_cost.moderate < icd.gross.moderate
    # the providers vary: some above the funnel's limits
    assert len(r.measure.funnel.outliers("998", "high")) >= 1
