"""Scheme 12, shared decision making: each piece of arithmetic against hand-checked figures, then a small
hand-built extract through `analyse`. The Menu gives no worked figures for this scheme."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import registry
from ivanalysis.schemes import shared_decision_making as sdm

pytestmark = pytest.mark.unit

FY1718 = Period.financial_year("2017/18")


def test_follow_ups_per_100_new():
    # 1,420 follow-ups after 1,000 new attendances: 142 per 100 new
    assert sdm.per_100(1_420, 1_000) == pytest.approx(142.0)
    assert sdm.per_100(3, 0) is None


def test_benchmark_is_a_percentile_of_providers_ratios():
    ratios = pd.Series([1.0, 1.2, 1.4, 1.6, 1.8])
    # numpy's linear interpolation: the 25th percentile of 5 values is the 2nd (1.2), the median the 3rd (1.4),
    # the 10th percentile 1.0 + 0.4 x (1.2 - 1.0) = 1.08
    assert sdm.benchmark_ratio(ratios, 0.25) == pytest.approx(1.2)
    assert sdm.benchmark_ratio(ratios, 0.50) == pytest.approx(1.4)
    assert sdm.benchmark_ratio(ratios, 0.10) == pytest.approx(1.08)
    with pytest.raises(DataError, match="no provider has enough new attendances"):
        sdm.benchmark_ratio(pd.Series(dtype=float), 0.25)


def test_excess_follow_ups_only_above_the_benchmark():
    # 500 new, 900 follow-ups, benchmark 1.2 per new: 900 - 600 = 300 follow-ups above; at £100 each £30,000
    assert sdm.excess_follow_ups(500, 900, 1.2) == pytest.approx(300)
    assert sdm.excess_follow_ups(500, 900, 1.2) * 100 == pytest.approx(30_000)
    assert sdm.excess_follow_ups(500, 550, 1.2) == 0.0  # already better than the benchmark: nothing, never negative


def test_excess_procedures_above_demographic_growth():
    # 1,000 knee replacements last year, 1,050 this year, demographic growth 1.5%: 1,050 - 1,015 = 35 above
    assert sdm.excess_procedures(1_050, 1_000, 0.015) == pytest.approx(35)
    assert sdm.excess_procedures(1_010, 1_000, 0.015) == 0.0  # growth within demography
    assert sdm.excess_procedures(40, 0, 0.015) == 0.0  # a new service is not growth in demand


def test_growth():
    assert sdm.growth(1_050, 1_000) == pytest.approx(0.05)
    assert sdm.growth(5, 0) is None


def test_procedures_are_the_named_pathways():
    adm = pd.DataFrame({"procedure_group": ["hip_replacement", "hip_replacement", "knee_replacement",
                                            "cardiac_device", "chemotherapy", None],
                        "diagnosis": ["M16", "S72", "M17", "I44", "C34", "M17"]})
    # a hip replacement after a fracture (S72) is not for osteoarthritis
    assert sdm.procedures(adm).index.tolist() == [0, 2, 3]


def test_follow_up_cells_count_each_pathway_against_its_benchmark():
    # A, knee: 2 new and 5 follow-ups; benchmark 1.5 a new attendance: 5 - 3 = 2 above (1 above at 2.0 a new)
    local = pd.DataFrame({"provider_code": ["A"] * 7, "pathway": ["knee_oa"] * 7, "first_attendance": [1, 1] + [0] * 5})
    bench = {"low": pd.Series({"knee_oa": 2.0}), "moderate": pd.Series({"knee_oa": 1.5}),
             "high": pd.Series({"knee_oa": 1.0})}
    cells = sdm.follow_up_cells(local, bench)
    assert cells.loc[("A", "knee_oa"), ["new", "follow_ups"]].tolist() == [2, 5]
    assert cells.loc[("A", "knee_oa"), ["excess_low", "excess_moderate", "excess_high"]].tolist() == [1.0, 2.0, 3.0]


def test_weighted_target_weights_the_pathways_by_new_attendances():
    # knee: 40 new at a benchmark of 1.0 a new; hip: 60 new at 1.5: (40 x 1.0 + 60 x 1.5) / 100 = 1.3, 130 per 100
    cells = pd.DataFrame({"new": [40, 60]}, index=pd.MultiIndex.from_tuples([("A", "knee_oa"), ("B", "hip_oa")],
                                                                            names=["provider_code", "pathway"]))
    assert sdm.weighted_target(cells, pd.Series({"knee_oa": 1.0, "hip_oa": 1.5})) == pytest.approx(130.0)
    assert sdm.weighted_target(cells.assign(new=0), pd.Series({"knee_oa": 1.0, "hip_oa": 1.5})) is None


def test_quarterly_demand_leaves_out_small_quarters_below_england():
    # 3 knee replacements in April to June 2017, 10 in July to September; 2 in January 2017, before England's first
    # quarter in these data
    dates = ["2017-01-10"] * 2 + ["2017-05-01"] * 3 + ["2017-08-01"] * 10
    proc = pd.DataFrame({"admission_date": pd.to_datetime(dates), "procedure_group": "knee_replacement"})
    england = sdm.quarterly_demand(proc, pd.Timestamp("2017-04-02"), controlled=False)
    assert england["procedures"].tolist() == [3, 10]
    assert england["quarter"].tolist() == [pd.Timestamp("2017-04-01"), pd.Timestamp("2017-07-01")]
    assert england["Procedure"].iloc[0] == "Knee replacements for osteoarthritis"
    assert sdm.quarterly_demand(proc, pd.Timestamp("2017-04-02"), controlled=True)["procedures"].tolist() == [10]


def test_by_provider_adds_the_two_savings():
    # A: 30 follow-ups above the benchmark at £100 and £25,500 of procedures avoided: £28,500; B: procedures only
    cells = pd.DataFrame({"new": [40], "follow_ups": [80], "excess_moderate": [30.0]},
                         index=pd.MultiIndex.from_tuples([("A", "knee_oa")], names=["provider_code", "pathway"]))
    pc = pd.DataFrame({"now": [110, 5], "avoided_moderate": [4.25, 0.0], "gbp_moderate": [25_500.0, 0.0]},
                      index=pd.MultiIndex.from_tuples([("A", "knee_replacement"), ("B", "cardiac_device")],
                                                      names=["provider_code", "procedure_group"]))
    out = sdm.by_provider(cells, pc, 100.0)
    assert out.loc["A", "saving"] == pytest.approx(28_500.0)
    assert out.loc["B", ["new", "now", "saving"]].tolist() == [0, 5, 0.0]


# --- a small extract through analyse -------------------------------------------------------------------------------
def small_extract() -> dict[str, pd.DataFrame]:
    """Knee osteoarthritis clinics in 2017/18 at two London providers and one North West provider, each with 40 new
    patients: LON-P01 with 80 follow-ups (2 per new), LON-P02 with 40 (1 per new), NW-P01 with 60 (1.5 per new).
    Knee replacements: LON-P01 100 in 2016/17 and 110 in 2017/18; LON-P02 100 and 100; NW-P01 100 and 101."""
    geo = load_geography()
    lon1, lon2 = geo.get("LON").providers[:2]
    nw1 = geo.get("NW").providers[0]
    op, adm = [], []
    for provider, follow_ups in ((lon1, 80), (lon2, 40), (nw1, 60)):
        for i in range(40 + follow_ups):
            op.append({"provider_code": provider, "patient_id": f"{provider}-{i % 40}",
                       "attendance_date": pd.Timestamp("2017-05-01") + pd.Timedelta(days=i),
                       "treatment_function": "110", "pathway": "knee_oa", "first_attendance": int(i < 40)})
    for provider, before, now in ((lon1, 100, 110), (lon2, 100, 100), (nw1, 100, 101)):
        for year, n in (("2016-06-01", before), ("2017-06-01", now)):
            for i in range(n):
                adm.append({"provider_code": provider, "patient_id": f"{provider}-K{year}-{i}",
                            "admission_date": pd.Timestamp(year) + pd.Timedelta(days=i), "admission_method": "elective",
                            "diagnosis": "M17", "procedure_group": "knee_replacement", "incurable_cancer": 0,
                            "date_of_death": pd.NaT, "length_of_stay": 3})
    op, adm = pd.DataFrame(op), pd.DataFrame(adm)
    op.insert(0, "attendance_id", [f"A{i}" for i in range(len(op))])
    adm.insert(0, "spell_id", [f"S{i}" for i in range(len(adm))])
    adm["discharge_date"] = adm["admission_date"] + pd.Timedelta(days=3)
    return {"outpatients": op, "admissions": adm}


def run(code: str, tables=None):
    geo = load_geography()
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    return registry.analyse_tables("shared_decision_making", tables or small_extract(), geo.get(code), FY1718, geo,
                                   params_=params)


def test_analyse_counts_follow_ups_and_procedures_above_the_benchmarks():
    r = run("ENG")
    a = r.params.assumptions
    geo = load_geography()
    lon1, lon2 = geo.get("LON").providers[:2]
    # Ratios 2.0, 1.0, 1.5: the lower quartile (moderate benchmark) is 1.25 follow-ups per new attendance.
    # LON-P01: 80 - 1.25 x 40 = 30 above; NW-P01: 60 - 50 = 10 above; LON-P02 is better: 0. Total 40, at £100: £4,000
    assert r.scenario_table.loc["Follow-ups above the benchmark", "moderate"] == pytest.approx(40)
    # Knee replacements, demographic growth 1.5%: LON-P01 110 - 101.5 = 8.5 above, NW-P01 101 - 101.5 < 0: none;
    # half avoided (moderate) = 4.25 procedures at £6,000 = £25,500
    assert r.scenario_table.loc["Procedures above demographic growth", "moderate"] == pytest.approx(8.5)
    assert r.scenario_table.loc["Procedures avoided", "moderate"] == pytest.approx(4.25)
    parts = {c.label: c for c in r.opportunity.components}
    knee_fu, knee_growth = parts["Fewer follow-ups: hip and knee osteoarthritis"], parts[
        "Slower growth: hip and knee replacements"]
    assert knee_fu.net.moderate == pytest.approx(40 * a["price_follow_up"].moderate) == pytest.approx(4_000)
    assert knee_growth.net.moderate == pytest.approx(4.25 * a["price_joint_replacement"].moderate) == 25_500
    assert (knee_fu.kind, knee_fu.payer, knee_growth.kind, knee_growth.payer) == (
        "cash_releasing", "icb_ccg", "cost_avoided", "icb_ccg")
    assert sum(c.net.moderate for c in r.opportunity.components) == pytest.approx(4_000 + 25_500)
    assert r.opportunity_gbp.moderate == 0.0  # no cardiac devices here: nothing to specialised commissioning
    prov = r.tables["providers"].frame.set_index("Provider")
    assert prov.loc[lon2, "Saving (moderate)"] == 0.0  # better than both benchmarks: nothing, not netted off
    assert prov.loc[lon1, "Saving (moderate)"] == pytest.approx(30 * 100 + 4.25 * 6_000)
    # the KPI: 180 follow-ups after 120 new attendances = 150 per 100 new, against a target of 125
    kpi = r.kpi("Follow-up attendances per 100 new attendances")
    assert (kpi.value, kpi.target, kpi.met) == (pytest.approx(150.0), pytest.approx(125.0), False)
    assert r.kpi("Growth in knee replacements for osteoarthritis").value == pytest.approx(311 / 300 - 1)
    assert r.kpi("Growth in hip replacements for osteoarthritis").value is None


def test_hubs_add_up_to_england_on_the_small_extract():
    tables = small_extract()
    england = run("ENG", tables).opportunity.components
    hubs = [run(code, tables).opportunity.components for code in ("LON", "NW")]
    for i, c in enumerate(england):
        for s in ("low", "moderate", "high"):
            assert sum(h[i].net.get(s) for h in hubs) == pytest.approx(c.net.get(s)), c.label


def test_cardiac_devices_split_between_icd_and_crt_and_pacemakers_by_the_implants_diagnoses():
    # A implants 4 devices in 2017/18: 1 for heart failure (I50, CRT), 1 for ventricular tachycardia (I47, ICD), 2 for
    # heart block (I44, pacemakers): half are specialised. B implants 2 pacemakers (I49): none. England: 2 of 6 = 1/3.
    period = FY1718
    proc = pd.DataFrame({"provider_code": ["A"] * 4 + ["B"] * 2 + ["A"],
                         "procedure_group": ["cardiac_device"] * 6 + ["knee_replacement"],
                         "diagnosis": ["I50", "I47", "I44", "I44", "I49", "I49", "M17"],
                         "admission_date": pd.to_datetime(["2017-05-01"] * 6 + ["2017-05-01"])})
    share, england = sdm.icd_crt_share(proc, period)
    assert share.to_dict() == {"A": 0.5, "B": 0.0} and england == pytest.approx(1 / 3)
    # 10 device follow-ups above the benchmark at A, 6 at B, 3 at C (no implants: England's third), 5 knee ones at A
    excess = pd.Series([10.0, 6.0, 3.0, 5.0], index=pd.MultiIndex.from_tuples(
        [("A", "cardiac_device"), ("B", "cardiac_device"), ("C", "cardiac_device"), ("A", "knee_oa")],
        names=["provider_code", "pathway"]))
    other, pacemakers, icd = sdm.device_split(excess, "pathway", share, england)
    assert (other, pacemakers, icd) == pytest.approx((5.0, 5.0 + 6.0 + 2.0, 5.0 + 0.0 + 1.0))


def test_an_area_without_attendances_raises_a_data_error():
    with pytest.raises(DataError, match="no outpatient attendances for Wessex"):
        run("WTV")


def test_a_year_without_attendances_raises_a_data_error():
    geo = load_geography()
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    with pytest.raises(DataError, match="no outpatient attendances in 2016/17"):
        registry.analyse_tables("shared_decision_making", small_extract(), geo.get("ENG"),
                                Period.financial_year("2016/17"), geo, params_=params)
