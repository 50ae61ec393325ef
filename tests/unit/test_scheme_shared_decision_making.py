"""Scheme 12, shared decision making: each piece of arithmetic against hand-checked figures, then a small
hand-built extract through `analyse`. The Menu gives no worked figures for this scheme."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
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


def test_englands_excess_growth_rate_is_per_procedure_the_year_before():
    # England: 1,000 last year, 1,050 this year, demographic growth 1.5%: 35 above, 35 / 1,000 = 0.035 a procedure
    assert sdm.excess_growth_rate(1_050, 1_000, 0.015) == pytest.approx(0.035)
    assert sdm.excess_growth_rate(1_010, 1_000, 0.015) == 0.0  # within demography: nothing
    assert sdm.excess_growth_rate(40, 0, 0.015) == 0.0


def test_growth_margin_of_two_poisson_counts():
    # 1,050 on 1,000: 1.96 x 1.05 x sqrt(1/1,050 + 1/1,000) = 1.96 x 1.05 x 0.0441858 = 0.0909 (+/- 9.1 points);
    # England's hips, 96,942 on 94,658: 1.96 x 1.02413 x sqrt(1/96,942 + 1/94,658) = 0.00917 (+/- 0.9 points)
    assert sdm.growth_margin(1_050, 1_000) == pytest.approx(0.090934, abs=1e-6)
    assert sdm.growth_margin(96_942, 94_658) == pytest.approx(0.00917, abs=1e-5)
    assert sdm.growth_margin(5, 0) is None


def test_training_cost_is_teams_clinicians_hours_and_price():
    # 3 teams x 12 clinicians x 5.5 hours x £80 = £15,840
    assert sdm.training_cost(3, 12, 5.5, 80) == pytest.approx(15_840)


def test_teams_are_one_orthopaedic_and_one_device_team_per_provider_with_new_attendances():
    # A sees hip and knee patients (one orthopaedic team) and device patients; B only follow-ups (no new: no team)
    cells = pd.DataFrame({"new": [10, 5, 3, 0]}, index=pd.MultiIndex.from_tuples(
        [("A", "hip_oa"), ("A", "knee_oa"), ("A", "cardiac_device"), ("B", "knee_oa")],
        names=["provider_code", "pathway"]))
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    teams = sdm.team_cells(cells, params)
    assert teams.index.tolist() == [("A", "cardiac_device"), ("A", "orthopaedics")]
    # moderate: 12 clinicians x 5.5 hours x £80 = £5,280 a team
    assert teams["cost_moderate"].tolist() == pytest.approx([5_280, 5_280])


def test_chance_dispersion_is_measured_by_providers_change_from_the_year_before():
    # Three providers, 100 new attendances in each year; 150 follow-ups each the year before (1.5 a new), 170, 150
    # and 130 now (1.7, 1.5, 1.3). England's ratio is 1.5 in both years, so the changes are +0.2, 0, -0.2 against a
    # chance variance 1.5/100 + 1.5/100 = 0.03: z^2 = 1.333, 0, 1.333; median 1.333 / 0.454936 (the median of
    # chi-squared on 1 df) = 2.9308 times Poisson's variance
    index = pd.Index(["A", "B", "C"], name="provider_code")
    before = pd.DataFrame({"new": [100] * 3, "follow_ups": [150] * 3}, index=index)
    now = pd.DataFrame({"new": [100] * 3, "follow_ups": [170, 150, 130]}, index=index)
    assert sdm.chance_dispersion(now, before) == pytest.approx(2.9308, abs=1e-4)
    # a provider's lasting difference cancels out: A at 2.0 in both years, B and C at 1.5 -> no change, Poisson (1)
    steady = pd.DataFrame({"new": [100] * 3, "follow_ups": [200, 150, 150]}, index=index)
    assert sdm.chance_dispersion(steady, steady) == 1.0
    assert sdm.chance_dispersion(now, before.iloc[:0]) == 1.0  # no year before: Poisson


def test_shrunk_ratios_pull_each_provider_toward_englands_by_its_reliability():
    # Knee: A 40 new and 80 follow-ups (2.0 a new), B 40 and 40 (1.0), C 40 and 60 (1.5); pooled 1.5; no year
    # before, so chance is Poisson: 1.5 / 40 = 0.0375 each, w = 26.67; Q = 26.67 x (0.25 + 0.25 + 0) = 13.33 on
    # 2 df (p = 0.001: beyond chance); sigma2 = (13.33 - 2) / (80 - 26.67) = 0.2125; reliability
    # 0.2125 / (0.2125 + 0.0375) = 0.85; shrunk 1.5 + 0.85 x (y - 1.5): A 1.925, B 1.075, C 1.5
    op = pd.DataFrame({"pathway": "knee_oa", "provider_code": ["A"] * 120 + ["B"] * 80 + ["C"] * 100,
                       "first_attendance": [1] * 40 + [0] * 80 + [1] * 40 + [0] * 40 + [1] * 40 + [0] * 60})
    counts = sdm.ratio_counts(op)
    ratios, phi = sdm.shrunk_ratios(counts, counts.iloc[:0])
    assert phi.to_dict() == {"knee_oa": 1.0}
    assert ratios.loc["knee_oa", "shrunk"].tolist() == pytest.approx([1.925, 1.075, 1.5])
    # the benchmark, the lower quartile of the shrunk ratios: 1.075 + 0.5 x (1.5 - 1.075) = 1.2875
    assert sdm.follow_up_benchmarks(ratios, 0.25)["knee_oa"] == pytest.approx(1.2875)
    # the same spread when every provider was at 1.5 the year before (40 new, 60 follow-ups each): changes +0.5,
    # -0.5, 0 against 1.5/40 + 1.5/40 = 0.075, z^2 = 3.333, 3.333, 0, phi = 3.333 / 0.454936 = 7.327; chance variance
    # 7.327 x 0.0375 = 0.2748, Q = 0.5 / 0.2748 = 1.82 on 2 df (p = 0.40): chance, every provider at the pooled 1.5
    last_year = counts.assign(follow_ups=60)
    wide, phi = sdm.shrunk_ratios(counts, last_year)
    assert phi["knee_oa"] == pytest.approx(7.3270, abs=1e-4)
    assert wide["shrunk"].tolist() == pytest.approx([1.5, 1.5, 1.5])
    # no more spread than chance: 42, 40 and 38 follow-ups (Q = (0.0025 + 0 + 0.0025) / (1.0 / 40) = 0.2): every
    # provider at the pooled 1.0, and nothing above a benchmark taken among them
    flat = pd.DataFrame({"pathway": "knee_oa", "provider_code": ["A"] * 82 + ["B"] * 80 + ["C"] * 78,
                         "first_attendance": [1] * 40 + [0] * 42 + [1] * 40 + [0] * 40 + [1] * 40 + [0] * 38})
    flat_counts = sdm.ratio_counts(flat)
    null, _ = sdm.shrunk_ratios(flat_counts, flat_counts.iloc[:0])
    assert null["shrunk"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert sdm.follow_up_benchmarks(null, 0.25)["knee_oa"] == pytest.approx(1.0)


def test_procedures_are_the_named_pathways():
    adm = pd.DataFrame({"procedure_group": ["hip_replacement", "hip_replacement", "knee_replacement",
                                            "cardiac_device", "chemotherapy", None],
                        "diagnosis": ["M16", "S72", "M17", "I44", "C34", "M17"]})
    # a hip replacement after a fracture (S72) is not for osteoarthritis
    assert sdm.procedures(adm).index.tolist() == [0, 2, 3]


def test_follow_up_cells_count_each_pathway_against_its_benchmark():
    # A, knee: 2 new and 5 follow-ups, shrunk to 2.5 a new (no shrinkage); benchmark 1.5 a new attendance:
    # 2 x (2.5 - 1.5) = 2 above (1 above at 2.0 a new, 3 at 1.0)
    local = pd.DataFrame({"provider_code": ["A"] * 7, "pathway": ["knee_oa"] * 7, "first_attendance": [1, 1] + [0] * 5})
    bench = {"low": pd.Series({"knee_oa": 2.0}), "moderate": pd.Series({"knee_oa": 1.5}),
             "high": pd.Series({"knee_oa": 1.0})}
    shrunk = pd.Series([2.5], index=pd.MultiIndex.from_tuples([("knee_oa", "A")]))
    cells = sdm.follow_up_cells(local, bench, shrunk)
    assert cells.loc[("A", "knee_oa"), ["new", "follow_ups"]].tolist() == [2, 5]
    assert cells.loc[("A", "knee_oa"), ["excess_low", "excess_moderate", "excess_high"]].tolist() == [1.0, 2.0, 3.0]
    # shrunk halfway to England's 1.5 (2.0 a new): 2 x (2.0 - 1.5) = 1 above the moderate benchmark, none at 2.0
    cells = sdm.follow_up_cells(local, bench, shrunk * 0 + 2.0)
    assert cells.loc[("A", "knee_oa"), ["excess_low", "excess_moderate", "excess_high"]].tolist() == [0.0, 1.0, 2.0]
    # a provider with follow-ups but no new attendance has no ratio: nothing counted
    only_fu = local.assign(first_attendance=0)
    assert sdm.follow_up_cells(only_fu, bench, shrunk.iloc[:0])["excess_moderate"].tolist() == [0.0]


def test_procedure_cells_share_englands_excess_by_last_years_procedures():
    # England's knee replacements grew 3.5% with 1.5% allowed: 0.02 a procedure of last year. A had 200 last year
    # (and 190 this year: its own fall is not counted), B 100 (and 130): 200 x 0.02 = 4 and 100 x 0.02 = 2 above;
    # half avoided (moderate) at £6,000: £12,000 and £6,000
    dates = ["2016-06-01"] * 300 + ["2017-06-01"] * 320
    proc = pd.DataFrame({"provider_code": ["A"] * 200 + ["B"] * 100 + ["A"] * 190 + ["B"] * 130,
                         "procedure_group": "knee_replacement", "admission_date": pd.to_datetime(dates)})
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    rate = {s: pd.Series({"knee_replacement": 0.02}) for s in ("low", "moderate", "high")}
    pc = sdm.procedure_cells(proc, FY1718, params, rate)
    assert pc["excess_moderate"].tolist() == pytest.approx([4.0, 2.0])
    assert pc["gbp_moderate"].tolist() == pytest.approx([12_000, 6_000])


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


def test_by_provider_adds_the_two_savings_net_of_training():
    # A: 30 follow-ups above the benchmark at £100 and £25,500 of procedures avoided, less £5,280 of training:
    # £3,000 + £25,500 - £5,280 = £23,220; B: procedures only, no team in these cells
    cells = pd.DataFrame({"new": [40], "follow_ups": [80], "shrunk": [1.95], "excess_moderate": [30.0]},
                         index=pd.MultiIndex.from_tuples([("A", "knee_oa")], names=["provider_code", "pathway"]))
    pc = pd.DataFrame({"now": [110, 5], "avoided_moderate": [4.25, 0.0], "gbp_moderate": [25_500.0, 0.0]},
                      index=pd.MultiIndex.from_tuples([("A", "knee_replacement"), ("B", "cardiac_device")],
                                                      names=["provider_code", "procedure_group"]))
    teams = pd.DataFrame({"cost_moderate": [5_280.0]},
                         index=pd.MultiIndex.from_tuples([("A", "orthopaedics")], names=["provider_code", "team"]))
    out = sdm.by_provider(cells, pc, teams, 100.0)
    assert out.loc["A", "saving"] == pytest.approx(23_220.0)
    assert out.loc["A", "expected"] == pytest.approx(78.0)  # 40 new x 1.95 shrunk
    assert out.loc["B", ["new", "now", "training", "saving"]].tolist() == [0, 5, 0, 0.0]


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
    # Ratios 2.0, 1.0, 1.5 on 40 new attendances each differ beyond chance (test_shrunk_ratios_...): shrunk 1.925,
    # 1.075, 1.5; the lower quartile of those (moderate benchmark) is 1.2875 follow-ups per new attendance.
    # LON-P01: 40 x (1.925 - 1.2875) = 25.5 above; NW-P01: 40 x (1.5 - 1.2875) = 8.5; LON-P02 is better: 0.
    # Total 34, at £100: £3,400
    assert r.scenario_table.loc["Follow-ups above the benchmark, beyond chance", "moderate"] == pytest.approx(34)
    # Knee replacements in England: 300 in 2016/17, 311 in 2017/18; demographic growth 1.5%: 311 - 304.5 = 6.5
    # above, 6.5 / 300 a procedure of 2016/17, so each provider's 100 carry 2.1667 (LON-P02's flat activity and
    # NW-P01's 1% growth too: their own growth is chance, not counted); half avoided (moderate) = 3.25 procedures
    # at £6,000 = £19,500
    procedures = "Procedures above demographic growth (England's excess, this area's share)"
    assert r.scenario_table.loc[procedures, "moderate"] == pytest.approx(6.5)
    assert r.scenario_table.loc["Procedures avoided", "moderate"] == pytest.approx(3.25)
    # Training: three orthopaedic teams (one a provider) x 12 clinicians x 5.5 hours x £80 = 3 x £5,280 = £15,840
    assert r.scenario_table.loc["Training of clinical teams (3 teams)", "moderate"] == pytest.approx(15_840)
    parts = {c.label: c for c in r.opportunity.components}
    knee_fu, knee_growth = parts["Fewer follow-ups: hip and knee osteoarthritis"], parts[
        "Slower growth: hip and knee replacements"]
    assert knee_fu.gross.moderate == pytest.approx(34 * a["price_follow_up"].moderate) == pytest.approx(3_400)
    assert knee_fu.implementation_cost.moderate == pytest.approx(15_840)
    assert knee_fu.net.moderate == pytest.approx(3_400 - 15_840)  # the training costs more than this extract saves
    assert knee_growth.net.moderate == pytest.approx(3.25 * a["price_joint_replacement"].moderate) == 19_500
    assert knee_growth.implementation_cost == Range.zero()  # the training is netted once, against the follow-ups
    assert (knee_fu.kind, knee_fu.payer, knee_growth.kind, knee_growth.payer) == (
        "cash_releasing", "icb_ccg", "cost_avoided", "icb_ccg")
    net = 3_400 + 19_500 - 15_840
    assert sum(c.net.moderate for c in r.opportunity.components) == pytest.approx(net)
    assert r.scenario_table.loc["Net, all payers (cash-releasing and cost avoided)", "moderate"] == pytest.approx(net)
    assert r.opportunity_gbp.moderate == 0.0  # no cardiac devices here: nothing to specialised commissioning
    prov = r.tables["providers"].frame.set_index("Provider")
    # LON-P02 is better than the benchmark: no follow-ups counted, never netted off; its share of England's growth:
    # 2.1667 x 0.5 x £6,000 = £6,500, less its team's £5,280 = £1,220
    assert prov.loc[lon2, "Saving (moderate)"] == pytest.approx(6_500 - 5_280)
    assert prov.loc[lon1, "Saving (moderate)"] == pytest.approx(25.5 * 100 + 6_500 - 5_280)
    assert prov["Saving (moderate)"].sum() == pytest.approx(net)
    # the KPI: 180 follow-ups after 120 new attendances = 150 per 100 new, against a target of 128.75
    kpi = r.kpi("Follow-up attendances per 100 new attendances")
    assert (kpi.value, kpi.target, kpi.met) == (pytest.approx(150.0), pytest.approx(128.75), False)
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
    # the training of A's device team (£5,280) is split as its implants are: £2,640 to NHS England, £2,640 to ICBs;
    # A's orthopaedic team (£5,280) is all ICBs'
    teams = pd.Series([5_280.0, 5_280.0], index=pd.MultiIndex.from_tuples(
        [("A", "cardiac_device"), ("A", "orthopaedics")], names=["provider_code", "team"]))
    assert sdm.device_split(teams, "team", share, england) == pytest.approx((5_280.0, 2_640.0, 2_640.0))


def test_growth_caveat_gives_englands_growth_with_its_chance_margin():
    # hips 94,658 -> 96,942: +2.4% with a margin of 1.96 x 1.02413 x sqrt(1/96,942 + 1/94,658) = 0.9 points
    groups = pd.DataFrame({"before": [94_658, 0, 0], "now": [96_942, 0, 0]}, index=list(sdm.PROCEDURES))
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    text = sdm.growth_caveat(groups, FY1718, params)
    assert "hip replacements for osteoarthritis +2.4% (95% chance margin ±0.9 points)" in text
    assert "knee" not in text  # no year before: no growth to give
    assert "allows 1.5% a year for demography" in text
    assert "no growth in demand" in sdm.growth_caveat(groups.assign(before=0), FY1718, params)


def test_an_area_without_attendances_raises_a_data_error():
    with pytest.raises(DataError, match="no outpatient attendances for Wessex"):
        run("WTV")


def test_a_year_without_attendances_raises_a_data_error():
    geo = load_geography()
    params = load_scheme_params("shared_decision_making", required=sdm.ASSUMPTIONS)
    with pytest.raises(DataError, match="no outpatient attendances in 2016/17"):
        registry.analyse_tables("shared_decision_making", small_extract(), geo.get("ENG"),
                                Period.financial_year("2016/17"), geo, params_=params)
