"""Scheme 9, reducing wastage in oral chemotherapy: the arithmetic against hand-checked figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import oral_chemo_wastage as ocw
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit
NAN = float("nan")


def dispensings(rows: list[tuple]) -> pd.DataFrame:
    """(provider, patient, drug, date, packs, days per pack, price per pack, stop date or None) per dispensing."""
    df = pd.DataFrame(rows, columns=["provider_code", "patient_id", "drug", "administration_date", "packs_supplied",
                                     "pack_days", "price", "regimen_end_date"])
    df["days_supplied"] = df["packs_supplied"] * df.pop("pack_days")
    df["drug_cost_gbp"] = df["packs_supplied"] * df.pop("price")
    df["administration_date"] = pd.to_datetime(df["administration_date"])
    df["regimen_end_date"] = pd.to_datetime(df["regimen_end_date"])
    df["regimen"] = df["drug"].str.capitalize()
    df["route"] = "oral"
    return df


def test_an_instalment_is_a_months_whole_packs():
    # 28- and 30-day packs: one pack; 21-day cycles: one cycle; 14-day packs: two (28 days); a 42-day pack: itself
    days = np.array([84.0, 60.0, 42.0, 28.0, 42.0])
    packs = np.array([3.0, 2.0, 2.0, 2.0, 1.0])
    assert ocw.instalment_days(days, packs).tolist() == [28.0, 30.0, 21.0, 28.0, 42.0]


def test_unused_days_when_the_patient_stopped():
    # an 84-day supply: stopped on day 20 leaves 64 days; still on treatment leaves nothing; a stop after the
    # supply ran out (day 100) leaves nothing either
    out = ocw.unused_days(np.array([84.0, 84.0, 84.0]), np.array([20.0, NAN, 100.0]))
    assert out.tolist() == [64.0, 0.0, 0.0]


def test_monthly_instalments_leave_at_most_the_rest_of_one_month():
    # 84 days as 28-day instalments. Stop on day 20: one instalment sent, 8 days left (64 today: 56 days, two packs,
    # no longer wasted). Stop on day 56: two sent, none left, as the third is never dispensed. Stop on the day of
    # dispensing: one instalment, 28 days left (84 today). Still on treatment: all three sent, none left.
    sent, left = ocw.instalments(np.full(4, 84.0), np.array([20.0, 56.0, 0.0, NAN]), np.full(4, 28.0))
    assert sent.tolist() == [1, 2, 1, 3]
    assert left.tolist() == [8.0, 0.0, 28.0, 0.0]


def test_christie_recipe_current_volumes_and_unit_prices():
    # 300 packs for 900,000 pounds (3,000 a pack); 20 packs no longer wasted: future volume 280 packs, future
    # expenditure 280 x 3,000 = 840,000 pounds, saving 60,000 pounds
    future_volume, future_spend, saving = ocw.christie_recipe(300, 900_000, 20)
    assert (float(future_volume), float(future_spend), float(saving)) == pytest.approx((280, 840_000, 60_000))
    # the Christie's 'over 200,000 pounds' a year is about 67 such packs: 67 x 3,000 = 201,000
    assert float(ocw.christie_recipe(300, 900_000, 67)[2]) == pytest.approx(201_000)


def test_supplies_work_out_wastage_and_what_instalments_avoid():
    # a 3-month supply (3 x 28-day packs of 3,000 pounds, 9,000 pounds: 'often in excess of 6,000') stopped on
    # day 20: 64 days wasted, 64/28 x 3,000 = 6,857.14 pounds; instalments avoid 56 days = 2 packs, with no
    # further instalment sent (the patient stopped in the first month)
    rows = dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, "2017-05-21")])
    s = ocw.supplies(rows)
    assert s["multi_month"].tolist() == [True]
    assert s["wastage"].iloc[0] == pytest.approx(64 / 28 * 3000)
    assert s["avoided_packs"].iloc[0] == pytest.approx(2.0)
    assert s["extra_instalments"].iloc[0] == 0.0
    assert str(s["months"].iloc[0]) == "Three months or more"


def test_provider_saving_scales_with_uptake_and_is_nothing_for_monthly_supply():
    # A: the supply above, 2 packs avoidable; at 75% uptake 1.5 packs x 3,000 = 4,500 pounds.
    # B dispenses a month at a time: a patient stopping on day 20 wastes 8 days either way; it saves nothing.
    rows = dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, "2017-05-21"),
                        ("LON-P02", "P2", "sunitinib", "2017-05-01", 1, 28, 3000.0, "2017-05-21")])
    out = ocw.provider_savings(ocw.supplies(rows), 0.75, 22.5)
    assert out.loc["LON-P01", "saving"] == pytest.approx(4_500.0)
    assert out.loc["LON-P01", "future_volume"] == pytest.approx(3 - 1.5)
    assert out.loc["LON-P02", "saving"] == 0.0
    # the patient stopped in the first month: no extra instalment, so nothing to pay for and the net is the saving
    assert (out.loc["LON-P01", "cost"], out.loc["LON-P01", "net"]) == pytest.approx((0.0, 4_500.0))


def test_an_extra_instalment_costs_a_telephone_review_and_a_dispensing():
    # 15 minutes of a 50-pound hour (12.50) and a 10-pound dispensing: 22.50 pounds
    assert ocw.instalment_cost(15, 50, 10) == pytest.approx(22.5)
    # a 3-month supply (3 x 28-day packs) still going on: sent as three instalments, two more than today's one.
    # At 75% uptake 1.5 extra instalments x 22.50 = 33.75 pounds; no stop, so nothing saved: net -33.75
    rows = dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, None)])
    out = ocw.provider_savings(ocw.supplies(rows), 0.75, 22.5)
    assert out.loc["LON-P01", "extra_instalments"] == pytest.approx(1.5)
    assert out.loc["LON-P01", "cost"] == pytest.approx(33.75)
    assert out.loc["LON-P01", "net"] == pytest.approx(-33.75)


def test_the_areas_recipe_in_each_scenario_with_its_own_drugs_and_uptake():
    # sunitinib: the 3-month supply above (9,000 pounds, 2 packs avoidable, 64/28 x 3,000 = 6,857.14 wasted);
    # capecitabine (2 x 21-day cycles, 64 pounds, still on treatment) is a high-cost drug in the high scenario only.
    # Uptake 50% / 75% / 100%: 1 / 1.5 / 2 packs x 3,000 = 3,000 / 4,500 / 6,000 pounds
    rows = ocw.supplies(dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, "2017-05-21"),
                                     ("LON-P01", "P2", "capecitabine", "2017-05-01", 2, 21, 32.0, None)]))
    drugs_of = {"low": ["sunitinib"], "moderate": ["sunitinib"], "high": ["capecitabine", "sunitinib"]}
    o = ocw.area_opportunity(rows, drugs_of, {"low": 0.5, "moderate": 0.75, "high": 1.0},
                             {"low": 30.0, "moderate": 22.5, "high": 12.5})
    assert o.saving.as_dict() == pytest.approx({"low": 3_000, "moderate": 4_500, "high": 6_000})
    assert o.spend.as_dict() == pytest.approx({"low": 9_000, "moderate": 9_000, "high": 9_064})
    assert o.volume.as_dict() == pytest.approx({"low": 3, "moderate": 3, "high": 5})
    assert (o.future_volume.moderate, o.future_spend.moderate) == pytest.approx((1.5, 4_500))
    # 4,500 of 6,857.14 pounds wasted now: 65.625%
    assert o.reduction.moderate == pytest.approx(0.65625)
    assert o.by_provider["moderate"].loc["LON-P01", "saving"] == pytest.approx(4_500)
    # the sunitinib patient stopped in the first month (no extra instalment); capecitabine, counted in the high
    # scenario only, goes on: two 21-day cycles become two instalments, one extra, at 12.50 pounds
    assert o.cost.as_dict() == pytest.approx({"low": 0.0, "moderate": 0.0, "high": 12.5})
    assert o.net.as_dict() == pytest.approx({"low": 3_000, "moderate": 4_500, "high": 6_000 - 12.5})


def test_drug_savings_at_the_drugs_own_unit_price():
    # 2 packs avoidable at 3,000 pounds a pack, 75% moved to instalments: 1.5 x 3,000 = 4,500 pounds
    rows = ocw.supplies(dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, "2017-05-21"),
                                     ("LON-P02", "P2", "sunitinib", "2017-05-01", 1, 28, 3000.0, None)]))
    assert ocw.drug_savings(rows, 0.75).to_dict() == pytest.approx({"sunitinib": 4_500})


def test_high_cost_drugs_by_median_cost_per_28_days():
    # sunitinib 3,000 pounds per 28 days; capecitabine 32 pounds per 21-day cycle = 42.67 per 28 days
    rows = dispensings([("LON-P01", "P1", "sunitinib", "2017-05-01", 1, 28, 3000.0, None),
                        ("LON-P01", "P2", "capecitabine", "2017-05-01", 1, 21, 32.0, None)])
    s = ocw.supplies(rows)
    assert ocw.high_cost_drugs(s, 1_000) == ["sunitinib"]
    assert ocw.high_cost_drugs(s, 40) == ["capecitabine", "sunitinib"]


@pytest.fixture(scope="module")
def small():
    """In 2017/18: LON-P01 gives two 3-month supplies, one stopped on day 20; LON-P02 gives monthly supplies;
    NW-P01 one 2-month supply stopped on day 10; capecitabine (cheap) is there too."""
    rows = dispensings([
        ("LON-P01", "P1", "sunitinib", "2017-05-01", 3, 28, 3000.0, "2017-05-21"),
        ("LON-P01", "P2", "sunitinib", "2017-06-01", 3, 28, 3000.0, None),
        ("LON-P02", "P3", "sunitinib", "2017-05-01", 1, 28, 3000.0, None),
        ("LON-P02", "P3", "sunitinib", "2017-05-29", 1, 28, 3000.0, "2017-06-06"),
        ("NW-P01", "P4", "sunitinib", "2017-09-01", 2, 28, 3000.0, "2017-09-11"),
        ("NW-P01", "P5", "capecitabine", "2017-09-01", 2, 21, 32.0, "2017-09-02"),
    ])
    return {"sact": rows}, load_scheme_params("oral_chemo_wastage", ocw.ASSUMPTIONS), load_geography()


def test_analyse_a_small_table(small):
    tables, params, geo = small
    period = Period.financial_year("2017/18")
    # LON-P01: 2 packs avoidable on the stopped supply; at 75%, 1.5 x 3,000 = 4,500 pounds. LON-P02: nothing.
    # NW-P01: 56 days stopped on day 10: 46 days left today, 18 with instalments; 28 days = 1 pack avoidable,
    # 0.75 x 3,000 = 2,250 pounds. Capecitabine is below the 1,000-pound threshold and left out.
    # Costs: only LON-P01's P2 (3 months, still on treatment) needs extra instalments: 2 x 75% = 1.5, each a
    # 15-minute review at 50 pounds an hour and a 10-pound dispensing (22.50): 33.75 pounds (moderate).
    # High: 2 x 100% = 2 instalments at 10/60 x 45 + 5 = 12.50 pounds: 25 pounds.
    london = registry.analyse_tables("oral_chemo_wastage", tables, geo.get("LON"), period, geo, params_=params)
    component = london.opportunity.components[0]
    assert component.gross.moderate == pytest.approx(4_500.0)
    assert component.implementation_cost.moderate == pytest.approx(33.75)
    assert london.opportunity_gbp.moderate == pytest.approx(4_500.0 - 33.75)
    assert london.kpi("High-cost oral supplies of more than a month").value == pytest.approx(0.5)
    # wastage now: 64 days of LON-P01's supply and 20 days of LON-P02's last pack: 84/28 x 3,000 = 9,000
    assert london.kpi("Supply left unused when patients stopped (wastage)").value == pytest.approx(9_000.0)
    england = registry.analyse_tables("oral_chemo_wastage", tables, geo.get("ENG"), period, geo, params_=params)
    assert england.opportunity_gbp.moderate == pytest.approx(4_500.0 + 2_250.0 - 33.75)
    assert england.opportunity_gbp.high == pytest.approx((4_500.0 + 2_250.0) / 0.75 - 25.0)  # every supply moved
    assert england.scenario_table.loc["Cost of the telephone reviews and dispensings", "moderate"] == \
        pytest.approx(33.75)
    reduction = england.scenario_table.loc["Reduction in wastage", "moderate"]
    assert reduction == pytest.approx(6_750 / (9_000 + 46 / 28 * 3_000))
    prov = london.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P02", "Saving (moderate)"] == 0.0
    assert prov.loc["LON-P01", ["Gross saving (moderate)", "Reviews and dispensings (moderate)",
                                "Saving (moderate)"]].tolist() == pytest.approx([4_500.0, 33.75, 4_466.25])
    drugs = london.tables["drugs"].frame.set_index("Drug")
    assert drugs.loc["sunitinib", "Saving (moderate)"] == pytest.approx(4_466.25)


def test_an_area_without_oral_chemotherapy_is_a_data_error(small):
    tables, params, geo = small
    with pytest.raises(DataError, match="no high-cost oral chemotherapy dispensings for"):
        registry.analyse_tables("oral_chemo_wastage", tables, geo.get("SW"), Period.financial_year("2017/18"), geo,
                                params_=params)


def test_a_table_without_oral_rows_is_a_data_error(small):
    tables, params, geo = small
    with pytest.raises(DataError, match="no oral dispensings"):
        registry.analyse_tables("oral_chemo_wastage", {"sact": tables["sact"].assign(route="intravenous")},
                                geo.get("LON"), Period.financial_year("2017/18"), geo, params_=params)


def test_no_high_cost_drug_is_a_data_error(small):
    tables, params, geo = small
    cheap = tables["sact"][tables["sact"]["drug"] == "capecitabine"]
    with pytest.raises(DataError, match="costs 1,000 pounds or more per 28 days"):
        registry.analyse_tables("oral_chemo_wastage", {"sact": cheap}, geo.get("NW"), Period.financial_year("2017/18"),
                                geo, params_=params)
