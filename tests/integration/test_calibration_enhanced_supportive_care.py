"""Scheme 11 on the default synthetic data: the England run shows what the Menu of Opportunities (chapter 11)
describes, and the hubs add up to England."""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.schemes import enhanced_supportive_care as esc
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def tables(default_data):
    geo = load_geography()
    return {name: load_table(default_data, name, geo) for name in esc.TABLES}  # loaded once: the table is large


def run(tables, code):
    geo = load_geography()
    params = registry.params("enhanced_supportive_care")
    return registry.analyse_tables("enhanced_supportive_care", tables, geo.get(code), params.period, geo,
                                   params_=params, data_identity=KEPT)


def test_england_reproduces_the_menus_picture(tables):
    r = run(tables, "ENG")
    # Menu ch. 11: slower growth in unplanned admissions in the disease groups offered ESC than in those not
    # offered it, and than the growth in the population managed
    offered = r.kpi("Growth in unplanned admissions per patient-year, groups offered ESC").value
    not_offered = r.kpi("Growth in unplanned admissions per patient-year, groups not offered ESC").value
    assert offered < 0 < not_offered
    growth = r.tables["growth"].frame.set_index("ESC for the tumour group")
    assert growth.loc["ESC from before the year", "Unplanned admissions 2017/18"] < \
        growth.loc["ESC from before the year", "Unplanned admissions 2016/17"]
    # The share of a year's admissions ESC avoids comes from the before / after comparison at England's leading
    # service (EOE-P10 on the default data): the generator plants a 4% drop at the start and growth 7 points a year
    # slower, about 7% of a first year's admissions; the estimate carries on a 14-month trend and lands at 11.5%
    # (95% CI 4.1% to 18.9%), an interval that holds the planted effect and excludes no effect
    slowing = r.scenario_table.loc[esc.SLOWING_LABEL, ["low", "moderate", "high"]]
    assert 0 < slowing["low"] < 0.07 < slowing["high"]
    geo, params = load_geography(), registry.params("enhanced_supportive_care")
    lead = esc.national(tables, params, r.period, geo).lead
    assert slowing["moderate"] == pytest.approx(esc.first_year_share(esc.before_after(lead))[0])
    # the leading service's saving is an annual figure for the headline year, with its interval; the Menu's
    # Christie figure (over £1.4 million across 3 years) is not calibrated to: the page says why they differ
    saved = r.kpi("Saving at the leading ESC service in the year")
    assert saved.value > 0 and "2017/18" in saved.note and "95% CI" in saved.note
    assert any("neither the source of the figures here nor a check on them" in c for c in r.caveats)
    assert r.charts["its"].kind == "spc" and len(r.charts["its"].spc.groups) == 2  # limits before and after
    # chemotherapy in the last 30 days of life: fewer where ESC is offered
    eol = r.tables["end_of_life"].frame.set_index("Tumour group at death")["Share"]
    assert eol["Offered ESC"] < eol["Not offered ESC"]
    assert 0.08 < r.kpi("Patients who died having chemotherapy in their last 30 days").value < 0.16
    # national volumes: about 240,000 unplanned admissions a year of patients with incurable cancer
    assert 150_000 < r.kpi("Unplanned admissions, patients with incurable cancer").value < 350_000
    avoided = r.opportunity.components[0].net  # cost avoided, ICBs'/CCGs': beside the headline
    assert avoided.low < avoided.moderate < avoided.high
    assert "its" in r.charts and r.charts["its"].markers


def test_hubs_unplanned_admissions_add_up(tables):
    england = run(tables, "ENG")
    hubs = [run(tables, h.code) for h in load_geography().hubs()]
    assert sum(h.kpi("Unplanned admissions, patients with incurable cancer").value for h in hubs) == \
        england.kpi("Unplanned admissions, patients with incurable cancer").value
