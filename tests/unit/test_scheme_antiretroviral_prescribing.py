"""Scheme 3, antiretroviral prescribing: the basket, switches, the saving made and the saving still to make, against
hand-checked figures (the Menu's own where it gives them)."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import antiretroviral_prescribing as art
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

FTC_TDF, ABC_3TC, EFV = "emtricitabine/tenofovir disoproxil", "abacavir/lamivudine", "efavirenz"
ATRIPLA, TRIUMEQ = "efavirenz/emtricitabine/tenofovir disoproxil", "dolutegravir/abacavir/lamivudine"
# cost of a patient-quarter: branded and generic
PRICES = {(FTC_TDF, "branded"): 600.0, (FTC_TDF, "generic"): 135.0, (ABC_3TC, "branded"): 520.0,
          (ABC_3TC, "generic"): 90.0, (EFV, "generic"): 27.0, (ATRIPLA, "branded"): 1000.0,
          (TRIUMEQ, "branded"): 1400.0, ("dolutegravir", "branded"): 870.0, ("darunavir", "branded"): 490.0,
          ("elvitegravir/cobicistat/emtricitabine/tenofovir alafenamide", "branded"): 1530.0}


def rows(provider, patient, quarters, *drugs):
    """Invoice rows: each (drug, type) every quarter, at PRICES."""
    out = [{"provider_code": provider, "patient_id": patient, "invoice_period": pd.Timestamp(q), "indication": "HIV",
            "drug": d, "product_type": t, "cost": PRICES[(d, t)]} for q in quarters for d, t in drugs]
    return pd.DataFrame(out)


YEAR = ["2017-04-01", "2017-07-01", "2017-10-01", "2018-01-01"]


def test_menu_figures_imply_the_spend():
    # Menu ch. 3: 22 m pounds in 2017/18 and 13.7 m by the end of 2018/19 are 8.3% of ART spend: about 430 m
    assert (22.0 + 13.7) / 0.083 == pytest.approx(430.1, abs=0.1)


def test_switch_values_are_branded_less_the_best_value_regimen():
    costs = pd.Series({(d, t == "generic"): p for (d, t), p in PRICES.items()})
    values = art.switch_values(costs)
    assert values[FTC_TDF] == pytest.approx(600 - 135)  # Truvada to generic: £465 a quarter
    assert values[ATRIPLA] == pytest.approx(1000 - 27 - 135)  # Atripla to generic efavirenz + FTC/TDF: £838
    assert values[ABC_3TC] == pytest.approx(520 - 90)  # Kivexa: £430
    assert values[TRIUMEQ] == pytest.approx(1400 - 870 - 90)  # Triumeq to dolutegravir + generic ABC/3TC: £440


def test_a_basket_drug_without_any_invoice_for_its_alternative_is_a_data_error():
    costs = pd.Series({(TRIUMEQ, False): 1400.0, (ABC_3TC, True): 90.0})  # no dolutegravir invoiced anywhere
    with pytest.raises(DataError, match="dolutegravir"):
        art.switch_values(costs)


def test_regimen_quarters_are_branded_generic_or_outside_the_basket():
    hiv = pd.concat([rows("LON-P01", "a", YEAR[:1], (FTC_TDF, "branded"), ("darunavir", "branded")),
                     rows("LON-P01", "b", YEAR[:1], (FTC_TDF, "generic"), ("darunavir", "branded")),
                     rows("LON-P01", "c", YEAR[:1],
                          ("elvitegravir/cobicistat/emtricitabine/tenofovir alafenamide", "branded"))])
    pq = art.regimen_quarters(hiv, pd.Series({FTC_TDF: 465.0})).set_index("patient_id")
    assert pq["state"].to_dict() == {"a": "branded", "b": "generic", "c": ""}
    assert pq.loc["a", "cost"] == pytest.approx(1090)  # Truvada 600 + Prezista 490
    assert pq.loc["a", "value"] == pytest.approx(465) and pq.loc["b", "value"] == 0.0
    assert pq.loc["a", "from_drug"] == FTC_TDF


def _cohort() -> pd.DataFrame:
    """LON-P01: patient s on Truvada + Prezista for 2016/17, then generic FTC/TDF + Prezista (a switch: 1,090 to
    625 a quarter, saving 465); patient g started on the generic regimen (not a switch); patient k on Kivexa all
    along. NW-P01: patient n on Atripla all along; patient m switched from Atripla in October 2017."""
    before = ["2016-04-01", "2016-07-01", "2016-10-01", "2017-01-01"]
    return pd.concat([
        rows("LON-P01", "s", before, (FTC_TDF, "branded"), ("darunavir", "branded")),
        rows("LON-P01", "s", YEAR, (FTC_TDF, "generic"), ("darunavir", "branded")),
        rows("LON-P01", "g", YEAR, (FTC_TDF, "generic"), ("darunavir", "branded")),
        rows("LON-P01", "k", before + YEAR, (ABC_3TC, "branded"), ("dolutegravir", "branded")),
        rows("NW-P01", "n", before + YEAR, (ATRIPLA, "branded")),
        rows("NW-P01", "m", before + YEAR[:2], (ATRIPLA, "branded")),
        rows("NW-P01", "m", YEAR[2:], (EFV, "generic"), (FTC_TDF, "generic")),
    ], ignore_index=True)


def test_switches_and_the_saving_made():
    hiv = _cohort()
    pq = art.regimen_quarters(hiv, pd.Series(dtype=float))
    switched = art.switches(pq)
    assert sorted(switched.index) == ["m", "s"]  # g started on generics: not a switch
    assert switched.loc["s", "saving"] == pytest.approx(1090 - 625)  # £465 a quarter
    assert switched.loc["m", "saving"] == pytest.approx(1000 - 162)  # £838 a quarter
    year = pq[pq["invoice_period"] >= "2017-04-01"]
    made = art.saving_made(year, switched)
    # s: 4 generic quarters x 465 = 1,860; m: 2 generic quarters in the year x 838 = 1,676
    assert made["LON-P01"] == pytest.approx(1_860) and made["NW-P01"] == pytest.approx(1_676)


def test_the_areas_switched_patients_and_where_they_are_treated():
    pq = art.regimen_quarters(_cohort(), pd.Series(dtype=float))
    switched = art.switches(pq)  # s (LON-P01) and m (NW-P01)
    london = pq[(pq["invoice_period"] >= "2017-04-01") & (pq["provider_code"] == "LON-P01")]
    here = art.patients_switched_in(switched, london)
    assert list(here.index) == ["s"]  # m is treated in the North West
    assert art.switched_by_provider(london, here).to_dict() == {"LON-P01": 1}


def test_quarters_to_switch_up_to_the_target():
    # 100 basket patient-quarters, 50 on generics, target 80%: 30 more must switch; at 80 already: none
    assert art.quarters_to_switch(100, 50, 0.80) == pytest.approx(30)
    assert art.quarters_to_switch(100, 85, 0.80) == 0.0


def test_analyse_counts_each_provider_below_the_target_only():
    geo = load_geography()
    params = load_scheme_params("antiretroviral_prescribing", required=art.ASSUMPTIONS)
    period = Period.financial_year("2017/18")
    hiv = _cohort()
    run = lambda area: registry.analyse_tables(  # noqa: E731
        "antiretroviral_prescribing", {"hcd_invoices": hiv}, geo.get(area), period, geo, params_=params)
    england, london, north_west = run("ENG"), run("LON"), run("NW")
    # Quarter costs in 2017/18: Truvada 600 (k has none: Kivexa 520), generic FTC/TDF 135, generic efavirenz 27,
    # Atripla 1,000, dolutegravir 870, generic ABC/3TC: none invoiced in the year, so Kivexa's alternative is
    # valued at Kivexa's own branded cost and its switch saves nothing.
    # LON-P01: 12 basket quarters (s 4, g 4 generic; k 4 branded Kivexa), 8 on generic = 67% < 80%:
    # 0.8 x 12 - 8 = 1.6 quarters to switch, each worth Kivexa's value 520 - 520 = 0: nothing.
    # NW-P01: 8 basket quarters (n 4 branded; m 2 branded, 2 generic): 0.8 x 8 - 2 = 4.4 quarters to switch, each
    # worth Atripla 1,000 - (27 + 135) = 838: 3,687.20
    assert north_west.opportunity_gbp.moderate == pytest.approx(4.4 * 838)
    assert london.opportunity_gbp.moderate == pytest.approx(0.0)
    assert england.opportunity_gbp.moderate == pytest.approx(4.4 * 838)
    assert england.kpi("Saving made by switches in the year").value == pytest.approx(1_860 + 1_676)
    assert england.kpi("Patients switched to a generic regimen").value == 2
    assert london.kpi("Basket patient-quarters on a generic regimen").value == pytest.approx(8 / 12)
    assert england.kpi("People on antiretroviral treatment").value == 5


def test_spend_per_person_is_the_years_spend_over_the_people_treated():
    geo = load_geography()
    params = load_scheme_params("antiretroviral_prescribing", required=art.ASSUMPTIONS)
    run = lambda area: registry.analyse_tables(  # noqa: E731
        "antiretroviral_prescribing", {"hcd_invoices": _cohort()}, geo.get(area), Period.financial_year("2017/18"),
        geo, params_=params)
    # 2017/18, LON-P01: s and g 4 quarters x (generic FTC/TDF 135 + darunavir 490) = 2,500 each; k 4 x (Kivexa 520 +
    # dolutegravir 870) = 5,560: 10,560 over 3 people = 3,520. NW-P01: n 4 x Atripla 1,000 = 4,000; m 2 x 1,000 +
    # 2 x (27 + 135) = 2,324: 6,324 over 2 people = 3,162. England: 16,884 over 5 people = 3,376.80
    name = "Spend per person on antiretroviral treatment"
    assert run("LON").kpi(name).value == pytest.approx(3_520)
    assert run("NW").kpi(name).value == pytest.approx(3_162)
    assert run("ENG").kpi(name).value == pytest.approx(16_884 / 5)


def test_an_area_without_hiv_services_is_a_data_error():
    geo = load_geography()
    params = load_scheme_params("antiretroviral_prescribing", required=art.ASSUMPTIONS)
    with pytest.raises(DataError, match="Wessex and Thames Valley"):
        registry.analyse_tables("antiretroviral_prescribing", {"hcd_invoices": _cohort()}, geo.get("WTV"),
                                Period.financial_year("2017/18"), geo, params_=params)
    with pytest.raises(DataError, match="no antiretroviral invoices"):
        registry.analyse_tables("antiretroviral_prescribing", {"hcd_invoices": _cohort().assign(indication="Uveitis")},
                                geo.get("ENG"), Period.financial_year("2017/18"), geo, params_=params)
