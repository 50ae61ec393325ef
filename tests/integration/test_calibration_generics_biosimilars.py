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
    assert 5e6 < r.opportunity_gbp.moderate < 20e6
    assert r.opportunity_gbp.low < r.opportunity_gbp.moderate < r.opportunity_gbp.high


def test_provider_savings_add_up_and_hubs_differ(runs):
    hubs = [r for code, r in runs.items() if code != "ENG"]
    savings = [r.tables["providers"].frame["Saving (moderate)"].sum() for r in hubs]
    # the providers' savings are the whole saving: the specialised headline and the part ICBs commission
    whole = sum(c.net.moderate for c in runs["ENG"].opportunity.components)
    assert sum(savings) == pytest.approx(whole, rel=1e-9)
    assert len({round(r.kpi("Existing patients on the best-value product in the last quarter of the year").value, 3)
                for r in hubs}) == len(hubs)  # hubs differ
