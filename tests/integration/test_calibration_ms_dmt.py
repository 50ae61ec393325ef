"""Scheme 10 on the default synthetic data. The Menu (chapter 10) publishes no figure for MS disease-modifying
therapies; the synthetic data are plausible instead: about 31,000 people on a DMT in 2017/18 at about 30 centres,
spend of the order of 340 m pounds, most invoiced treatment approved through Blueteq but not all, a few centres
with outlying spend per patient. Hubs add up to England."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(analyse_everywhere):
    return analyse_everywhere("ms_dmt")


def test_england_is_plausible(runs):
    r = runs["ENG"]
    assert r.kpi("Patients on MS disease-modifying therapies").value == pytest.approx(31_000, rel=0.05)
    assert r.kpi("Spend on MS disease-modifying therapies").value == pytest.approx(340e6, rel=0.1)
    assert 0.85 < r.kpi("Invoiced patient-quarters with a Blueteq approval").value < 0.99
    providers = r.tables["providers"].frame
    assert 25 <= len(providers) <= 35
    assert (providers["Spend per patient outlier"] == "high").sum() >= 1
    # the Blueteq forms were updated in February 2017: approval improves in 2017/18 (special cause, improving)
    assert r.measure.trend.summary().startswith("Special cause variation: improvement")
    assert r.opportunity_gbp.low < r.opportunity_gbp.moderate < r.opportunity_gbp.high


def test_hubs_unapproved_spend_adds_up(runs):
    hubs = [r for code, r in runs.items() if code != "ENG"]
    spend = "Spend without a valid Blueteq approval"
    assert sum(r.kpi(spend).value for r in hubs) == pytest.approx(runs["ENG"].kpi(spend).value, rel=1e-9)
