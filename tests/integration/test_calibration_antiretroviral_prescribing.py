"""Scheme 3 on the default synthetic data reproduces the Menu's figures (chapter 3): savings of 22 m pounds in
2017/18 and a further 13.7 m by the end of 2018/19, together 8.3% of the spend on antiretrovirals (so a spend of
about 430 m pounds); and hubs add up to England."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def runs(analyse_everywhere):
    return analyse_everywhere("antiretroviral_prescribing")


def test_england_reproduces_the_menus_savings(runs):
    r = runs["ENG"]
    # 22 m pounds saved by switches in 2017/18
    assert r.kpi("Saving made by switches in the year").value == pytest.approx(22.0e6, rel=0.05)
    # a further 13.7 m pounds (moderate: an 80% switch target)
    assert r.opportunity_gbp.moderate == pytest.approx(13.7e6, rel=0.05)
    # together 8.3% of ART spend, about 430 m pounds
    assert r.kpi("Saving made and still to make, as a share of spend").value == pytest.approx(0.083, abs=0.002)
    assert r.kpi("Spend on antiretrovirals").value == pytest.approx(430e6, rel=0.03)
    # about 90,000 people on ART (PHE, 2017)
    assert r.kpi("People on antiretroviral treatment").value == pytest.approx(90_000, rel=0.05)
    assert r.opportunity_gbp.low < r.opportunity_gbp.moderate < r.opportunity_gbp.high


def test_hubs_savings_made_add_up_and_hubs_differ(runs):
    hubs = [r for code, r in runs.items() if code != "ENG"]
    made = "Saving made by switches in the year"
    assert sum(r.kpi(made).value for r in hubs) == pytest.approx(runs["ENG"].kpi(made).value, rel=1e-9)
    shares = [r.kpi("Basket patient-quarters on a generic regimen").value for r in hubs]
    assert max(shares) - min(shares) > 0.1  # hubs differ
