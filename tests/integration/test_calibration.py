"""The England runs on the default synthetic data reproduce the figures the Menu of Opportunities publishes."""
from __future__ import annotations

import pytest

from ivanalysis.schemes.registry import analyse

pytestmark = pytest.mark.integration


def test_critical_care_half_delayed_a_tenth_of_those_over_24_hours(default_data):
    r = analyse("critical_care_delayed_discharge", "ENG", default_data, period="2016/17")
    # Menu ch. 15: about 50% of discharges to a ward delayed, 10% of those by 24 hours or more
    assert r.kpi("Discharges delayed more than 4 hours").value == pytest.approx(0.50, abs=0.02)
    assert r.kpi("Delayed discharges delayed more than 24 hours").value == pytest.approx(0.10, abs=0.01)
    assert r.kpi("Discharges to a ward").value == pytest.approx(200_000, rel=0.02)


def test_prostate_about_13000_patients_a_year(default_data):
    r = analyse("prostate_fractionation", "ENG", default_data)
    # Menu ch. 18: about 13,000 patients a year receive radical prostate radiotherapy (RTDS 2015)
    assert r.kpi("Radical prostate external beam courses").value == pytest.approx(13_000, rel=0.03)
    released = r.quantities[0].values
    assert released.low <= released.moderate <= released.high
