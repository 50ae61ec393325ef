"""Scheme 11 on the default synthetic data: the England run shows what the Menu of Opportunities (chapter 11)
describes, and the hubs add up to England."""
from __future__ import annotations

import pytest

from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.schemes import enhanced_supportive_care as esc
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tables(default_data):
    geo = load_geography()
    return {name: load_table(default_data, name, geo) for name in esc.TABLES}  # loaded once: the table is large


def run(tables, code):
    geo = load_geography()
    params = registry.params("enhanced_supportive_care")
    return registry.analyse_tables("enhanced_supportive_care", tables, geo.get(code), params.period, geo,
                                   params_=params)


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
    # The Christie: "over £1.4 million savings in unplanned admissions across 3 years". England's leading ESC
    # service (the largest that can be compared before and after its start, over about two years) saves the same
    # order of money: within a factor of five of it, either way
    saved = r.kpi("Saving at the leading ESC service since it started").value
    assert 1.4e6 / 5 < saved < 1.4e6 * 5
    # the same Menu figure as the moderate scenario: 1,555 admissions a year x 5% x 6 x £3,000 = £1.4 million
    a = r.params.assumptions
    assert esc.three_year_avoided(1_555, a["growth_slowing"].moderate) * a["cost_per_admission"].moderate \
        == pytest.approx(1.4e6, rel=0.01)
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
