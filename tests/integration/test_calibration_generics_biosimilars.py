"""Scheme 6 on the default synthetic data: the CQUIN's groups, uptake around its targets, hubs adding up.

The Menu (chapter 6) publishes no saving for this scheme: what it gives are the 2017/18 CQUIN targets, 90% of new
patients and 80% of applicable existing patients on the best-value product, which are the moderate scenario.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(analyse_everywhere):
    return analyse_everywhere("generics_biosimilars")


def test_targets_are_the_cquins_and_england_falls_short_of_them(runs):
    r = runs["ENG"]
    a = r.params.assumptions
    assert (a["new_patient_target"].moderate, a["existing_patient_target"].moderate) == (0.90, 0.80)
    new = r.kpi("New patients started on the best-value product").value
    existing = r.kpi("Existing patients on the best-value product in the last quarter of the year").value
    assert 0.80 < new < 0.95  # most new patients start on best value, not quite 90% everywhere
    assert 0.60 < existing < 0.80  # existing patients lag the 80% target
    molecules = set(r.tables["molecules"].frame["Molecule"])
    assert molecules == {"infliximab", "etanercept", "rituximab", "imatinib"}  # antiretrovirals: scheme 3
    assert 15e6 < r.opportunity_gbp.moderate < 25e6  # a year's saving, imatinib's existing patients annualised
    assert r.opportunity_gbp.low < r.opportunity_gbp.moderate < r.opportunity_gbp.high


def test_provider_savings_add_up_and_hubs_differ(runs):
    hubs = [r for code, r in runs.items() if code != "ENG"]
    savings = [r.tables["providers"].frame["Saving (moderate)"].sum() for r in hubs]
    # the providers' savings are the whole saving: the specialised headline and the part ICBs commission
    whole = sum(c.net.moderate for c in runs["ENG"].opportunity.components)
    assert sum(savings) == pytest.approx(whole, rel=1e-9)
    assert len({round(r.kpi("Existing patients on the best-value product in the last quarter of the year").value, 3)
                for r in hubs}) == len(hubs)  # hubs differ


def test_imatinibs_existing_patients_count_for_one_quarter_scaled_to_a_year(runs, default_data):
    # Generic imatinib is first invoiced in January 2017, so its existing patients are within the CQUIN's target from
    # January 2018: one quarter of 2017/18. That quarter's saving at 80% is about 4.13 m pounds; a year at that rate,
    # 4 x 4.13 m = about 16.5 m, is what the page counts.
    from ivanalysis.data.io import load_table
    from ivanalysis.geography import load_geography
    from ivanalysis.schemes import generics_biosimilars as gb

    r = runs["ENG"]
    nat = gb.national({"hcd_invoices": load_table(default_data, "hcd_invoices")}, r.params, r.period,
                      load_geography())
    assert nat.quarters.loc["imatinib"].to_dict() == {"new": 4, "existing": 1}
    applicable = nat.year[nat.year["group"] != ""]
    counted = gb.provider_savings(applicable, nat.prices["gap"], {"new": 0.90, "existing": 0.80})
    quarter = counted.xs(("imatinib", "existing"), level=("drug", "group"))["saving"].sum()
    year = nat.savings["moderate"].xs(("imatinib", "existing"), level=("drug", "group"))["saving"].sum()
    assert quarter == pytest.approx(4.13e6, rel=0.01)
    assert year == pytest.approx(4 * quarter) and year == pytest.approx(16.5e6, rel=0.01)
