"""Scheme 5, maintenance IVIg to rituximab for inflammatory myositis: the Menu's worked figures and each step."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import myositis_rituximab as myo
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit
FY = Period.financial_year("2016/17")
RULE = myo.MaintenanceRule(min_months=6, min_courses=6, still_on_days=90)


# --- the Menu's worked example ----------------------------------------------------------------------------------
def test_menu_ivig_cost_of_an_80kg_patient_is_70720():
    # Menu ch. 5: 80 kg x 2 g/kg = 160 g a course = 8 packs of 20 g at £680 = £5,440; x 13 courses = £70,720
    assert myo.ivig_cost_per_year(80, 2.0, 13, 680 / 20) == pytest.approx(70_720)


def test_menu_saving_per_patient_is_66940():
    # Menu ch. 5: £70,720 of IVIg less £3,780 for 2 courses of biosimilar rituximab = £66,940 a patient a year
    assert myo.saving_per_patient(70_720, 3_780) == pytest.approx(66_940)


def test_menu_day_case_days_fall_from_26_to_4():
    # Menu ch. 5: 13 courses x 2 days = 26 day-case days on IVIg, 4 on rituximab: 22 released per patient
    assert myo.attendances_released(13, 2, 4) == pytest.approx(22)
    assert myo.attendances_released(np.array([13, 1]), 2, 4) == pytest.approx(22)  # 1 course: 2 - 4, counted as 0


def test_a_patient_whose_ivig_costs_less_than_rituximab_saves_nothing():
    # a 12 kg child on 1 g/kg, 6 courses at £34/g: £2,448 < £3,780, so no saving (never a negative one)
    cost = myo.ivig_cost_per_year(12, 1.0, 6, 34)
    assert cost == pytest.approx(2_448)
    assert myo.saving_per_patient(cost, 3_780) == 0.0


# --- the cohort --------------------------------------------------------------------------------------------------
def courses(provider: str, patient: str, first: str, n: int, weight: float = 80.0, g_per_kg: float = 2.0,
            weeks: int = 4) -> pd.DataFrame:
    dates = pd.Timestamp(first) + pd.to_timedelta(np.arange(n) * weeks * 7, unit="D")
    return pd.DataFrame({"provider_code": provider, "patient_id": patient, "treatment_date": dates,
                         "indication": "Myositis", "weight_kg": weight, "dose_g": weight * g_per_kg})


def test_the_rule_is_the_parameters_and_says_itself():
    a = load_scheme_params("myositis_rituximab", required=myo.ASSUMPTIONS).assumptions
    assert myo.MaintenanceRule.from_assumptions(a) == RULE
    assert RULE.text == ("on IVIg for 6 months or more by the end of the year (their first course in the data at "
                         "least that long before it), 6 or more courses in the year wherever given, and one in its "
                         "last 90 days")


def test_maintenance_needs_time_on_ivig_regular_courses_and_one_at_the_end_of_the_year():
    # 2016/17 ends on 31 March 2017; six months before it is 30 September 2016; its last 90 days start 1 January 2017
    rows = pd.concat([
        courses("A", "1", "2016-04-05", 13),  # 4-weekly all year: maintenance
        courses("A", "2", "2016-04-05", 3),  # 3 courses only (induction): not maintenance
        courses("A", "3", "2016-04-05", 8),  # 8 courses, the last on 18 October 2016: stopped, not maintenance
        courses("A", "4", "2016-10-04", 6),  # first course 4 October, under 6 months on IVIg: induction, not yet
        courses("A", "5", "2016-09-20", 7),  # first course 20 September, 7 courses to 7 March 2017: maintenance
        courses("A", "6", "2015-10-06", 10, weeks=8),  # 8-weekly since October 2015: 6 in the year, the last on
    ], ignore_index=True)  # 21 February 2017 (the years before count for time on IVIg): maintenance
    out = myo.patients_in_year(myo.myositis_courses(rows), FY, RULE).set_index("patient_id")
    assert out["maintenance"].to_dict() == {"1": True, "2": False, "3": False, "4": False, "5": True, "6": True}
    assert out.loc["1", "courses"] == 13
    assert out.loc["1", "grams"] == pytest.approx(13 * 160)
    assert out.loc["6", "courses"] == 6 and out.loc["6", "first"] == pd.Timestamp("2015-10-06")


def test_a_patient_seen_at_two_providers_is_counted_once_at_the_provider_of_their_last_course():
    # Patient 7: 6 courses at A from 5 April 2016 (the last on 23 August), then 7 at B from 20 September 2016 (the
    # last on 7 March 2017). One patient, 13 courses, 13 x 160 = 2,080 g, belonging to B; A has no patient.
    rows = pd.concat([courses("A", "7", "2016-04-05", 6), courses("B", "7", "2016-09-20", 7)], ignore_index=True)
    out = myo.patients_in_year(myo.myositis_courses(rows), FY, RULE)
    assert len(out) == 1
    row = out.iloc[0]
    assert (row["provider_code"], row["providers"], row["courses"], row["grams"], row["maintenance"]) == \
        ("B", 2, 13, pytest.approx(2_080), True)
    # the saving at 50% uptake: 0.5 x (2,080 x £34 - £3,780) = 0.5 x £66,940 = £33,470, all B's
    savings = myo.provider_savings(out, 0.5, 34, 3_780, 2, 4)
    assert savings.index.tolist() == ["B"]
    assert savings.loc["B", "saving"] == pytest.approx(33_470)


def test_on_a_tie_of_dates_the_patient_belongs_to_the_provider_code_last_in_order():
    rows = pd.concat([courses("B", "8", "2016-04-05", 13), courses("A", "8", "2016-04-05", 13)], ignore_index=True)
    out = myo.patients_in_year(myo.myositis_courses(rows), FY, RULE)
    assert out["provider_code"].tolist() == ["B"] and out["courses"].tolist() == [26]


def test_the_data_cover_a_year_from_its_first_day_to_its_last_month_or_quarter():
    dates = pd.Series(pd.to_datetime(["2016-04-01", "2017-03-05"]))
    assert myo.covers(dates, FY)
    assert not myo.covers(dates.iloc[1:], FY)  # starts after 1 April 2016
    assert not myo.covers(dates.iloc[:1], FY)  # ends before March 2017
    quarters = pd.Series(pd.to_datetime(["2016-04-01", "2017-01-01"]))  # invoices dated by their quarter's first day
    assert myo.covers(quarters, FY, 90) and not myo.covers(quarters, FY)


def test_rituximab_vials_for_myositis_in_a_year():
    # in 2016/17 at A: 4 + 4 vials for myositis; the lymphoma row, B's row and the April 2017 row are not counted
    invoices = pd.DataFrame({
        "provider_code": ["A", "A", "A", "B", "A"], "drug": "rituximab",
        "indication": ["Inflammatory myositis", "Inflammatory myositis", "Non-Hodgkin lymphoma",
                       "Inflammatory myositis", "Inflammatory myositis"],
        "invoice_period": pd.to_datetime(["2016-07-01", "2017-01-01", "2016-07-01", "2016-07-01", "2017-04-01"]),
        "quantity": [4.0, 4.0, 6.0, 4.0, 4.0]})
    assert myo.rituximab_vials(invoices, FY, ("A",)) == 8.0
    kpis = {k.name: k for k in myo.rituximab_kpis(12.0, 8.0)}
    assert kpis[myo.RITUXIMAB_AGAINST_KPI].value == pytest.approx(1.5)  # 12 vials against 8
    assert kpis[myo.RITUXIMAB_AGAINST_KPI].higher_is_better is True
    assert {k.name: k.value for k in myo.rituximab_kpis(12.0, None)}[myo.RITUXIMAB_AGAINST_KPI] is None


def test_patient_months_count_every_month_between_first_and_last_course():
    # courses on 10 April, 8 May and 20 July (8-weekly gap): on treatment April to July = 4 patient-months,
    # 3 courses; 3 / 4 x 12 = 9 courses per patient-year
    rows = pd.DataFrame({"provider_code": "A", "patient_id": "1",
                         "treatment_date": pd.to_datetime(["2016-04-10", "2016-05-08", "2016-07-20"])})
    out = myo.on_treatment_months(rows)
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2016-04", "2016-05", "2016-06", "2016-07"]
    assert out["courses"].tolist() == [1, 1, 0, 1]
    assert out["patients_on_ivig"].tolist() == [1, 1, 1, 1]
    assert out["courses"].sum() / out["patients_on_ivig"].sum() * 12 == pytest.approx(9.0)


def test_provider_saving_counts_only_switchable_patients():
    # Provider A: 2 maintenance patients of 80 kg, 13 courses of 160 g each: 2,080 g = £70,720 each.
    # Half switched: 1 patient, 2,080 g avoided, 22 day-case days, saving 0.5 x 2 x £66,940 = £66,940.
    # Provider B: one patient with 3 courses (not maintenance): nothing, and nothing netted off against A.
    rows = pd.concat([courses("A", "1", "2016-04-05", 13), courses("A", "2", "2016-04-06", 13),
                      courses("B", "3", "2016-04-05", 3)], ignore_index=True)
    patients = myo.patients_in_year(myo.myositis_courses(rows), FY, RULE)
    out = myo.provider_savings(patients, 0.5, 34, 3_780, 2, 4)
    assert out.loc["A", "switchable"] == 2
    assert out.loc["A", "switched"] == pytest.approx(1.0)
    assert out.loc["A", "grams_avoided"] == pytest.approx(2_080)
    assert out.loc["A", "attendances_released"] == pytest.approx(22)
    assert out.loc["A", "saving"] == pytest.approx(66_940)
    assert out.loc["B"].tolist() == [0.0] * len(out.columns)


def test_weight_is_the_patients_median_when_an_episode_has_none():
    rows = courses("A", "1", "2016-04-05", 3)
    rows.loc[1, "weight_kg"] = np.nan
    out = myo.myositis_courses(rows)
    assert out["g_per_kg"].tolist() == pytest.approx([2.0, 2.0, 2.0])


def test_scenario_savings_take_the_scenarios_assumptions_and_the_uptake_table_steps_through_uptake():
    # Provider A: 2 maintenance patients saving £66,940 a year each (the Menu's), 22 day-case days each.
    # Moderate uptake 50%: 1 patient, £66,940. Uptake table: 25% to 100% of 2 patients: 0.5 to 2 switched,
    # 1.04 to 4.16 kg of IVIg, 11 to 44 day-case days, £33,470 to £133,880.
    rows = pd.concat([courses("A", "1", "2016-04-05", 13), courses("A", "2", "2016-04-06", 13)], ignore_index=True)
    patients = myo.patients_in_year(myo.myositis_courses(rows), FY, RULE)
    a = load_scheme_params("myositis_rituximab", required=myo.ASSUMPTIONS).assumptions
    by = {s: myo.scenario_savings(patients, a, s) for s in ("low", "moderate", "high")}
    assert by["moderate"].loc["A", "saving"] == pytest.approx(66_940)
    assert Range.summed(by, "switched").as_dict() == pytest.approx({"low": 0.5, "moderate": 1.0, "high": 1.5})
    steps = myo.uptake_steps(patients, a)
    assert steps["Uptake"].tolist() == [f"{u} of switchable patients" for u in ("25%", "50%", "75%", "100%")]
    assert steps["Patients switched from IVIg to rituximab"].tolist() == pytest.approx([0.5, 1.0, 1.5, 2.0])
    assert steps["Immunoglobulin no longer used (kg)"].tolist() == pytest.approx([1.04, 2.08, 3.12, 4.16])
    assert steps["Day-case days released"].tolist() == pytest.approx([11, 22, 33, 44])
    assert steps["Saving"].tolist() == pytest.approx([33_470, 66_940, 100_410, 133_880])


def test_courses_per_patient_year():
    # 3 courses over 4 patient-months: 3 / 4 x 12 = 9 a patient-year; no patient-months: no figure
    months = pd.DataFrame({"courses": [1, 1, 0, 1], "patients_on_ivig": [1, 1, 1, 1]})
    assert myo.courses_per_patient_year(months) == pytest.approx(9.0)
    assert myo.courses_per_patient_year(months.iloc[:0]) is None


# --- analyse -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    geo = load_geography()
    lon, nw = geo.get("LON").providers, geo.get("NW").providers
    rows = pd.concat([
        courses(lon[0], "9990000001", "2015-04-07", 39),  # on IVIg for three years
        courses(lon[0], "9990000002", "2016-04-07", 13, weight=60),
        courses(lon[1], "9990000003", "2016-04-07", 3),  # induction only
        courses(nw[0], "9990000004", "2015-04-07", 39, weight=100),
        pd.DataFrame({"provider_code": nw[0], "patient_id": "9990000005",
                      "treatment_date": [pd.Timestamp("2016-05-01")], "indication": "ITP", "weight_kg": 70.0,
                      "dose_g": 70.0}),  # another indication: ignored
    ], ignore_index=True)
    rows.insert(0, "episode_id", [f"IG{i:08d}" for i in range(len(rows))])
    # rituximab for myositis: London's first provider 4 vials in July 2016 and January 2017 (8 in 2016/17), then in
    # July and October 2017 and January 2018 (12 in 2017/18); the North West's 4 in January 2018; a lymphoma row in
    # April 2016 (not counted; the invoices start then, so they cover 2016/17)
    invoices = pd.DataFrame({
        "provider_code": [lon[0]] * 6 + [nw[0]], "drug": "rituximab",
        "indication": ["Non-Hodgkin lymphoma"] + ["Inflammatory myositis"] * 6,
        "invoice_period": pd.to_datetime(["2016-04-01", "2016-07-01", "2017-01-01", "2017-07-01", "2017-10-01",
                                          "2018-01-01", "2018-01-01"]),
        "quantity": [6.0] + [4.0] * 6})
    params = load_scheme_params("myositis_rituximab", required=myo.ASSUMPTIONS)
    return geo, {"immunoglobulin": rows, "hcd_invoices": invoices}, params


def test_analyse_hand_built_table(small):
    geo, tables, params = small
    eng = registry.analyse_tables("myositis_rituximab", tables, geo.england, FY, geo, params_=params)
    # 2016/17 maintenance: patient 1 (13 courses of 160 g), 2 (13 of 120 g), 4 (13 of 200 g; 4-weekly from
    # 7 April 2015, so 13 courses fall in 2016/17 too). Grams: 13 x (160 + 120 + 200) = 6,240 = £212,160.
    # Saving at 50%: 0.5 x (212,160 - 3 x 3,780) = £100,410; at 25% and 75%: £50,205 and £150,615.
    assert eng.kpi(myo.MAINTENANCE_KPI).value == 3
    assert eng.kpi("Myositis patients given IVIg").value == 4
    # 2016/17 is the baseline year itself
    assert (eng.kpi(myo.BASELINE_KPI).value, eng.kpi(myo.AGAINST_BASELINE_KPI).value) == (3, 1.0)
    assert eng.opportunity_gbp.moderate == pytest.approx(100_410)
    assert eng.opportunity_gbp.low == pytest.approx(50_205)
    assert eng.opportunity_gbp.high == pytest.approx(150_615)
    lon = registry.analyse_tables("myositis_rituximab", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("myositis_rituximab", tables, geo.get("NW"), FY, geo, params_=params)
    # hubs add up to England: London 0.5 x (13 x 280 x 34 - 2 x 3,780) = £58,100; North West £42,310
    assert lon.opportunity_gbp.moderate == pytest.approx(58_100)
    assert lon.opportunity_gbp.moderate + nw.opportunity_gbp.moderate == pytest.approx(eng.opportunity_gbp.moderate)
    providers = lon.tables["providers"].frame.set_index("Provider")
    assert providers["Saving (moderate)"].iloc[-1] == 0.0  # the induction-only provider saves nothing
    assert eng.measure.funnel.data["unit"].nunique() == 3


def test_analyse_the_latest_year_against_the_2016_17_baseline(small):
    geo, tables, params = small
    eng = registry.analyse_tables("myositis_rituximab", tables, geo.england, Period.financial_year("2017/18"), geo,
                                  params_=params)
    # 2017/18: patients 1 and 4 go on (13 courses each, 4-weekly from 7 April 2015: the 27th to the 39th); patient 2
    # stopped in March 2017. Saving at 50%: 0.5 x (13 x 160 x 34 - 3,780 + 13 x 200 x 34 - 3,780)
    # = 0.5 x (66,940 + 84,620) = £75,780. Against the baseline: 2 on maintenance now, 3 in 2016/17: 2 / 3.
    assert eng.opportunity_gbp.moderate == pytest.approx(75_780)
    assert eng.kpi(myo.MAINTENANCE_KPI).value == 2
    assert eng.kpi(myo.BASELINE_KPI).value == 3
    assert eng.kpi(myo.AGAINST_BASELINE_KPI).value == pytest.approx(2 / 3)
    # rituximab for myositis: England 12 + 4 = 16 vials in 2017/18 against 8 in 2016/17 (2.0); London 12 against 8
    assert (eng.kpi(myo.RITUXIMAB_KPI).value, eng.kpi(myo.RITUXIMAB_BASELINE_KPI).value) == (16.0, 8.0)
    assert eng.kpi(myo.RITUXIMAB_AGAINST_KPI).value == pytest.approx(2.0)
    lon = registry.analyse_tables("myositis_rituximab", tables, geo.get("LON"), Period.financial_year("2017/18"), geo,
                                  params_=params)
    assert lon.kpi(myo.RITUXIMAB_AGAINST_KPI).value == pytest.approx(1.5)


def test_one_name_for_each_output_in_quantities_scenarios_and_the_uptake_table(small):
    geo, tables, params = small
    eng = registry.analyse_tables("myositis_rituximab", tables, geo.england, FY, geo, params_=params)
    names = [q.label for q in eng.quantities]
    assert names == [myo.SWITCHED, myo.IG_NOT_USED, myo.DAYS_RELEASED]
    assert set(names) <= set(eng.scenario_table.index)
    uptake = eng.tables["uptake"].frame.columns
    assert myo.SWITCHED in uptake and f"{myo.IG_NOT_USED} (kg)" in uptake and myo.DAYS_RELEASED in uptake


def test_analyse_an_area_with_no_myositis_patients_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no myositis immunoglobulin episodes for South West"):
        registry.analyse_tables("myositis_rituximab", tables, geo.get("SW"), FY, geo, params_=params)


def test_analyse_a_year_without_data_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no myositis immunoglobulin episodes in 2018/19"):
        registry.analyse_tables("myositis_rituximab", tables, geo.england, Period.financial_year("2018/19"), geo,
                                params_=params)
