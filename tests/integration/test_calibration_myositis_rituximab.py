"""Scheme 5 on the default synthetic data: the Menu's worked figures come out of the England run."""
from __future__ import annotations

import pytest

from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def england(default_data):
    return analyse("myositis_rituximab", "ENG", default_data)


def test_the_menus_regimen_and_its_70720_pounds(england):
    # Menu ch. 5: 2 g/kg every 4 weeks (13 courses a year); for an 80 kg patient at £680 per 20 g, £70,720 a year
    assert england.kpi("Mean dose per course").value == pytest.approx(2.0, abs=0.02)
    assert england.kpi("IVIg courses per patient-year on treatment").value == pytest.approx(13.0, abs=0.2)
    cost = england.kpi("Yearly IVIg cost of an 80 kg patient at this dose and frequency").value
    assert cost == pytest.approx(70_720, rel=0.02)


def test_switching_saves_about_the_menus_66940_per_patient_less_for_lighter_patients(england):
    # Menu ch. 5: £66,940 a year per patient switched (80 kg). The synthetic patients weigh less on average
    # (children included), so the mean saving per switched patient is lower but of that order.
    per_patient = england.opportunity_gbp.moderate / england.quantities[0].values.moderate
    assert 50_000 < per_patient < 66_940
    assert england.kpi("Myositis patients on maintenance IVIg").value == pytest.approx(400, abs=10)
    o = england.opportunity_gbp
    assert 0 < o.low < o.moderate < o.high
