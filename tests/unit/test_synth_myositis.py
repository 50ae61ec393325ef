"""The synthetic myositis cohort (immunoglobulin table) and the rituximab the invoices give the patients it switches."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.data.synth import DEFAULT_SEED
from ivanalysis.data.synth import hcd_invoices as hcd
from ivanalysis.data.synth import immunoglobulin as ig
from ivanalysis.data.synth.common import provider_sizes
from ivanalysis.geography import load_geography

pytestmark = pytest.mark.unit


def test_a_switched_patient_has_a_rituximab_course_every_6_months_from_the_switch(monkeypatch):
    # switched in February 2017 (quarter 7, January-March 2017): courses in quarters 7, 9 and 11 (January 2017, July
    # 2017, January 2018), 4 vials each; MabThera before the first biosimilar (quarter 8, April 2017), then Truxima.
    # Switched in December 2017 (quarter 10): one course, in quarter 10.
    geo = load_geography()
    sizes = provider_sizes(geo, DEFAULT_SEED)
    a, b = sizes.index[:2]
    switches = pd.DataFrame({"provider_code": [a, b],
                             "switched_on": pd.to_datetime(["2017-02-14", "2017-12-01"])})
    monkeypatch.setattr(hcd, "myositis_switches", lambda *args: switches)
    rows = hcd._myositis_rituximab(geo, sizes, DEFAULT_SEED, 1.0)
    assert rows["q"].tolist() == [7, 9, 11, 10]
    assert rows["quantity"].tolist() == [4.0] * 4
    assert [hcd.NAMES[c] for c in rows["product"]] == ["MabThera", "Truxima", "Truxima", "Truxima"]
    assert sizes.index[rows["provider"]].tolist() == [a, a, a, b]
    assert len(set(rows["patient"][:3])) == 1 and rows["patient"][3] != rows["patient"][0]
    assert set(rows["indication"]) == {"Inflammatory myositis"}


def test_the_myositis_cohort_changes_and_each_switch_is_invoiced():
    geo = load_geography()
    sizes = provider_sizes(geo, DEFAULT_SEED)
    episodes = ig.generate(geo, sizes, DEFAULT_SEED, 0.5)
    myo = episodes[episodes["indication"] == "Myositis"]
    per_patient = myo.groupby("patient_id").agg(first=("treatment_date", "min"), last=("treatment_date", "max"),
                                                providers=("provider_code", "nunique"))
    # patients start during the data, stop before its end, and a few are seen at two providers
    assert (per_patient["first"] > pd.Timestamp("2016-01-01")).any()
    assert (per_patient["last"] < pd.Timestamp("2017-01-01")).any()
    assert (per_patient["providers"] > 1).any()
    switches = ig.myositis_switches(geo, sizes, DEFAULT_SEED, 0.5)
    rows = hcd._myositis_rituximab(geo, sizes, DEFAULT_SEED, 0.5)
    assert len(set(rows["patient"])) == len(switches) > 0
