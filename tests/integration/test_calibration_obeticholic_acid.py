"""Scheme 7 on the default synthetic data. The Menu (chapter 7) publishes no saving for obeticholic acid; its KPIs
are reproduced in kind: about 1,200 patients treated in 2017/18, close to the 1,260 that 2.25 per 100,000 people
implies for England's 56 m (the NICE appraisal's population, moderate scenario), some hubs above it and some
below; most but not all patients registered through Blueteq with MDT approval; most lines at the PAS price.
Hubs add up to England."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(analyse_everywhere):
    return analyse_everywhere("obeticholic_acid")


def test_england_against_the_nice_estimate_and_the_menus_kpis(runs):
    r = runs["ENG"]
    assert r.kpi("Patients the NICE appraisal implies").value == pytest.approx(1260, abs=1)
    assert r.kpi("Patients treated for each one expected").value == pytest.approx(1.0, abs=0.1)
    ratio = r.tables["hubs"].frame["Treated as a share of expected"]
    assert (ratio > 1.05).any() and (ratio < 0.95).any()  # hubs differ, some above the estimate
    assert 0.85 < r.kpi("Patients with a completed Blueteq form").value < 1.0
    assert 0.75 < r.kpi("Patients with MDT approval recorded").value < 1.0
    assert 0.75 < r.kpi("Invoice lines at the PAS price").value < 1.0
    assert r.opportunity_gbp.low < r.opportunity_gbp.moderate < r.opportunity_gbp.high


def test_hubs_patients_treated_add_up(runs):
    hubs = [r for code, r in runs.items() if code != "ENG"]
    treated = "Patients treated with obeticholic acid"
    assert sum(r.kpi(treated).value for r in hubs) == pytest.approx(runs["ENG"].kpi(treated).value)
