"""Scheme 8, dose standardisation in chemotherapy: the arithmetic against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import ConfigError, DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import chemo_dose_banding as cdb
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit


def administrations(rows: list[tuple]) -> pd.DataFrame:
    """(provider, date, drug, administered mg, waste mg, price per mg, banded, standard) per intravenous dose."""
    df = pd.DataFrame(rows, columns=["provider_code", "administration_date", "drug", "administered_dose_mg",
                                     "waste_mg", "price", "dose_banded", "standard_product"])
    df["administration_date"] = pd.to_datetime(df["administration_date"])
    df["drug_cost_gbp"] = (df["administered_dose_mg"] + df["waste_mg"]) * df.pop("price")
    df["prescribed_dose_mg"] = df["administered_dose_mg"]
    df["route"] = "intravenous"
    df["tumour_group"] = "Lung"
    return df


def months(n: int) -> list[str]:
    return [f"{pd.Timestamp('2017-04-15') + pd.DateOffset(months=i):%Y-%m-%d}" for i in range(n)]


def provider_rows(code: str, standard: int, individual: int, drug: str = "pemetrexed") -> list[tuple]:
    """Pemetrexed at 2 pounds/mg, 900 mg doses: a standard product wastes nothing (cost 1,800 pounds); an
    individually made dose wastes 50 mg (cost 950 x 2 = 1,900 pounds, of which 100 pounds waste)."""
    dates = months(standard + individual)
    return ([(code, d, drug, 900.0, 0.0, 2.0, "Y", "Y") for d in dates[:standard]]
            + [(code, d, drug, 900.0, 50.0, 2.0, "N", "N") for d in dates[standard:]])


def test_waste_cost_is_the_wasted_part_of_the_drug_cost():
    # 100 mg given and 10 mg wasted for 110 pounds: 10 pounds of waste; nothing given or wasted: no waste
    out = cdb.waste_cost(pd.Series([110.0, 0.0]), pd.Series([100.0, 0.0]), pd.Series([10.0, 0.0]))
    assert out.tolist() == pytest.approx([10.0, 0.0])


def test_banded_dose_within_5_percent():
    # calculated 100 mg: 105 and 95 are within 5% (0.01 mg allowed for rounding); 106 and 94.9 are not
    out = cdb.within_tolerance(pd.Series([105.0, 95.0, 106.0, 94.9]), pd.Series([100.0] * 4))
    assert out.tolist() == [True, True, False, False]


def test_doses_to_move_up_to_the_target():
    # 1,000 administrations, 600 on standard products: 0.9 x 1,000 - 600 = 300 to move
    assert cdb.doses_to_move(1_000, 600, 0.90) == pytest.approx(300)
    # already at 95%: nothing to move, never a negative number
    assert cdb.doses_to_move(1_000, 950, 0.90) == 0.0


def test_avoidable_waste_is_beyond_englands_standard_product_of_the_drug():
    # provider A, pemetrexed: two other doses wasting 30 and 50 pounds (mean 40) against a standard product that
    # wastes 10 pounds in England: 30 pounds avoidable each, 60 in all. Drug X has no standard product anywhere:
    # nothing counts as avoidable.
    cohort = pd.DataFrame({
        "provider_code": ["A", "A", "B", "A"], "drug": ["pemetrexed", "pemetrexed", "pemetrexed", "x"],
        "standard": [False, False, True, False], "waste_gbp": [30.0, 50.0, 10.0, 500.0]})
    out = cdb.avoidable_waste(cohort)
    assert out.loc[("A", "pemetrexed"), "avoidable_each"] == pytest.approx(30.0)
    assert out.loc[("A", "pemetrexed"), "avoidable"] == pytest.approx(60.0)
    assert out.loc[("A", "x"), "avoidable"] == 0.0


def test_provider_saving_waste_and_purchase():
    # 10 doses, 4 standard, 6 others wasting 600 pounds beyond standard products, each costing 1,000 pounds of
    # drug: at 90%, 9 - 4 = 5 doses move; waste 600 x 5/6 = 500 pounds, purchase 5 x 1,000 x 2% = 100 pounds.
    # Provider B, 19 of 20 standard (95%), saves nothing.
    base = pd.DataFrame({"n": [10, 20], "standard": [4, 19], "other": [6, 1], "mean_other_cost": [1_000.0, 1_000.0],
                         "avoidable_pool": [600.0, 80.0]}, index=["A", "B"])
    out = cdb.provider_savings(base, 0.90, 0.02)
    assert out.loc["A", "to_move"] == pytest.approx(5)
    assert out.loc["A", "waste_saving"] == pytest.approx(500.0)
    assert out.loc["A", "purchase_saving"] == pytest.approx(100.0)
    assert out.loc["A", "saving"] == pytest.approx(600.0)
    assert out.loc["B", "saving"] == 0.0


def test_cohort_keeps_intravenous_drugs_of_the_banded_list():
    rows = administrations(provider_rows("LON-P01", 1, 1) + [("LON-P01", "2017-05-01", "rituximab", 700.0, 0.0,
                                                               1.75, "N", "N")])
    rows.loc[len(rows)] = rows.loc[0]
    rows.loc[len(rows) - 1, "route"] = "oral"
    cohort = cdb.banding_cohort(rows, ("pemetrexed", "docetaxel"))
    assert cohort["drug"].tolist() == ["pemetrexed", "pemetrexed"]  # rituximab and the oral row left out
    assert cohort["standard"].tolist() == [True, False]
    assert cohort["waste_gbp"].tolist() == pytest.approx([0.0, 100.0])
    # what the cohort leaves out of the intravenous rows is counted: the one rituximab dose (not the oral row)
    outside = cdb.outside_list(rows, ("pemetrexed", "docetaxel"))
    assert outside["drug"].tolist() == ["rituximab"]


def test_the_banded_list_comes_from_the_assumptions_file_with_its_source():
    params = load_scheme_params("chemo_dose_banding", cdb.ASSUMPTIONS)
    banded = params.lists[cdb.BANDED_LIST]
    assert "pemetrexed" in banded.values and "rituximab" not in banded.values
    assert "NHS England dose-banding tables (version not stated in the Menu)" in banded.source
    with pytest.raises(ConfigError, match="the list 'no_such_list' is missing"):
        params.named_list("no_such_list")


def test_the_area_s_drugs_ranked_by_avoidable_waste():
    # the avoidable_waste figures above: A's pemetrexed 60 pounds, its drug X nothing; B's pemetrexed (all standard)
    # is not among the other doses. Only A is in the area.
    cohort = pd.DataFrame({
        "provider_code": ["A", "A", "B", "A"], "drug": ["pemetrexed", "pemetrexed", "pemetrexed", "x"],
        "standard": [False, False, True, False], "waste_gbp": [30.0, 50.0, 10.0, 500.0],
        "drug_cost_gbp": [1_000.0, 1_000.0, 900.0, 2_000.0]})
    pools = cdb.of_providers(cdb.avoidable_waste(cohort), ("A",))
    assert cdb.drug_avoidable_waste(pools).to_dict() == pytest.approx({"pemetrexed": 60.0, "x": 0.0})
    local = cohort[cohort["provider_code"] == "A"]
    drugs = cdb.drugs_frame(local, pools)
    assert drugs["Drug"].tolist() == ["pemetrexed", "x"]
    assert drugs["Avoidable waste"].tolist() == pytest.approx([60.0, 0.0])
    assert drugs["Administrations"].tolist() == [2, 1]
    assert cdb.of_providers(pd.DataFrame({"n": [1, 2]}, index=pd.Index(["A", "B"], name="provider_code")),
                            ("B",))["n"].tolist() == [2]


@pytest.fixture(scope="module")
def small():
    """LON-P01: 4 standard + 6 individual doses; LON-P02: 10 standard; NW-P01: 10 individual (all in 2017/18)."""
    sact = administrations(provider_rows("LON-P01", 4, 6) + provider_rows("LON-P02", 10, 0)
                           + provider_rows("NW-P01", 0, 10))
    return {"sact": sact}, load_scheme_params("chemo_dose_banding", cdb.ASSUMPTIONS), load_geography()


def test_analyse_a_small_table(small):
    tables, params, geo = small
    period = Period.financial_year("2017/18")
    # LON-P01: 5 doses move (9 - 4); waste 6 x 100 x 5/6 = 500; purchase 5 x 1,800 x 2% = 180: 680 pounds.
    # LON-P02 is at 100%: nothing. NW-P01: 9 doses move; waste 9 x 100 = 900, purchase 9 x 1,800 x 2% = 324.
    london = registry.analyse_tables("chemo_dose_banding", tables, geo.get("LON"), period, geo, params_=params)
    assert london.opportunity_gbp.moderate == pytest.approx(680.0)
    assert london.kpi("Intravenous administrations dose-banded with standard products").value == pytest.approx(0.7)
    england = registry.analyse_tables("chemo_dose_banding", tables, geo.get("ENG"), period, geo, params_=params)
    assert england.opportunity_gbp.moderate == pytest.approx(680.0 + 1_224.0)
    # low: 80%, no purchase saving: LON-P01 moves 4 (waste 400), NW-P01 moves 8 (waste 800)
    assert england.opportunity_gbp.low == pytest.approx(1_200.0)
    prov = london.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P02", "Saving (moderate)"] == 0.0


def test_an_area_without_chemotherapy_data_is_a_data_error(small):
    tables, params, geo = small
    with pytest.raises(DataError, match="no intravenous administrations of dose-banding drugs for"):
        registry.analyse_tables("chemo_dose_banding", tables, geo.get("SW"), Period.financial_year("2017/18"), geo,
                                params_=params)


def test_a_year_without_data_is_a_data_error(small):
    tables, params, geo = small
    with pytest.raises(DataError, match="in 2015/16"):
        registry.analyse_tables("chemo_dose_banding", tables, geo.get("LON"), Period.financial_year("2015/16"), geo,
                                params_=params)


def test_a_table_without_intravenous_chemotherapy_is_a_data_error(small):
    tables, params, geo = small
    oral = tables["sact"].assign(route="oral")
    with pytest.raises(DataError, match="no intravenous administrations of the drugs of the banded list"):
        registry.analyse_tables("chemo_dose_banding", {"sact": oral}, geo.get("LON"), Period.financial_year("2017/18"),
                                geo, params_=params)


def vinorelbine_rows(provider: str, n: int) -> pd.DataFrame:
    """`n` intravenous vinorelbine doses (not on the banded list) at `provider`, 40 mg at 1 pound/mg, in 2017/18."""
    return administrations([(provider, d, "vinorelbine", 40.0, 0.0, 1.0, "N", "N") for d in months(n)])


def test_drugs_outside_the_banded_list_are_counted_named_and_caveated(small):
    # the small table plus 10 vinorelbine doses at LON-P01 and 3 at NW-P01: none may change the saving (680 pounds in
    # London, as in test_analyse_a_small_table), but the page counts them and names the drug
    tables, params, geo = small
    sact = pd.concat([tables["sact"], vinorelbine_rows("LON-P01", 10), vinorelbine_rows("NW-P01", 3)],
                     ignore_index=True)
    period = Period.financial_year("2017/18")
    london = registry.analyse_tables("chemo_dose_banding", {"sact": sact}, geo.get("LON"), period, geo,
                                     params_=params)
    assert london.opportunity_gbp.moderate == pytest.approx(680.0)
    kpi = london.kpi(cdb.OUTSIDE_KPI)
    assert kpi.value == 10.0 and "vinorelbine" in kpi.note
    assert any("10 intravenous administrations in London are of drugs outside the banded list (vinorelbine)" in c
               for c in london.caveats)
    # England: 10 + 3 = 13, shown as it is; the North West's 3 are disclosure-controlled in the caveat's words
    england = registry.analyse_tables("chemo_dose_banding", {"sact": sact}, geo.get("ENG"), period, geo,
                                      params_=params)
    assert england.kpi(cdb.OUTSIDE_KPI).value == 13.0
    assert any("In 2017/18, 13 intravenous administrations in England" in c for c in england.caveats)
    north_west = registry.analyse_tables("chemo_dose_banding", {"sact": sact}, geo.get("NW"), period, geo,
                                         params_=params)
    assert any("fewer than 8 intravenous administrations" in c for c in north_west.caveats)


def test_no_caveat_when_every_drug_is_on_the_list(small):
    tables, params, geo = small
    london = registry.analyse_tables("chemo_dose_banding", tables, geo.get("LON"), Period.financial_year("2017/18"),
                                     geo, params_=params)
    assert london.kpi(cdb.OUTSIDE_KPI).value == 0.0
    assert not any("outside the banded list" in c for c in london.caveats)


def test_a_table_of_drugs_outside_the_list_names_them(small):
    tables, params, geo = small
    with pytest.raises(DataError, match="its intravenous drugs are vinorelbine"):
        registry.analyse_tables("chemo_dose_banding", {"sact": vinorelbine_rows("LON-P01", 10)}, geo.get("LON"),
                                Period.financial_year("2017/18"), geo, params_=params)
