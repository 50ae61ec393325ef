"""Scheme 6, generics and biosimilars: the CQUIN's groups of patients, prices and the saving, against hand-checked
figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import generics_biosimilars as gb
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

QUARTERS = pd.date_range("2016-04-01", periods=8, freq="QS-APR")  # April 2016 to January 2018


def _patient(provider, patient, product, start, quarters=QUARTERS, units=4.0, drug="infliximab"):
    """One invoice row per quarter; Remicade at £400 a vial, Inflectra at £200."""
    types = {"Remicade": "originator", "Inflectra": "biosimilar", "Glivec": "branded", "Imatinib generic": "generic"}
    price = {"Remicade": 400.0, "Inflectra": 200.0, "Glivec": 1800.0, "Imatinib generic": 200.0}[product]
    return pd.DataFrame({"provider_code": provider, "patient_id": patient, "invoice_period": quarters,
                         "indication": "Crohn's disease", "drug": drug, "product": product,
                         "product_type": types[product], "quantity": units, "cost": units * price,
                         "treatment_start": pd.Timestamp(start)})


@pytest.fixture(scope="module")
def invoices() -> pd.DataFrame:
    """Three providers, infliximab, its biosimilar invoiced from April 2016 (so existing patients count from April
    2017, the whole of 2017/18):
    LON-P01: two existing patients on Remicade; one new patient (started May 2017) on Inflectra.
    LON-P02: two existing patients on Inflectra.
    NW-P01: one existing patient on Remicade, one on Inflectra.
    """
    new_quarters = QUARTERS[QUARTERS >= "2017-04-01"]
    return pd.concat([
        _patient("LON-P01", "A1", "Remicade", "2014-02-01"), _patient("LON-P01", "A2", "Remicade", "2013-06-01"),
        _patient("LON-P01", "A3", "Inflectra", "2017-05-10", new_quarters),
        _patient("LON-P02", "B1", "Inflectra", "2014-02-01"), _patient("LON-P02", "B2", "Inflectra", "2015-01-01"),
        _patient("NW-P01", "C1", "Remicade", "2014-02-01"), _patient("NW-P01", "C2", "Inflectra", "2012-01-01"),
    ], ignore_index=True)


def _analyse(invoices, area):
    geo = load_geography()
    params = load_scheme_params("generics_biosimilars", required=gb.ASSUMPTIONS)
    return registry.analyse_tables("generics_biosimilars", {"hcd_invoices": invoices}, geo.get(area),
                                   Period.financial_year("2017/18"), geo, params_=params)


def test_best_value_is_available_from_its_first_invoice_and_needs_something_to_switch_from(invoices):
    only_branded = _patient("LON-P01", "D1", "Glivec", "2014-01-01", drug="imatinib")
    only_generic = _patient("LON-P01", "E1", "Imatinib generic", "2014-01-01", drug="imatinib").assign(drug="x")
    available = gb.best_value_available(pd.concat([invoices, only_branded, only_generic]))
    # infliximab: Inflectra first invoiced in April 2016; imatinib (branded only) and x (generic only) have no switch
    assert available.to_dict() == {"infliximab": pd.Timestamp("2016-04-01")}


def test_short_courses_have_no_existing_patient_target():
    # rituximab-like: patients invoiced for 1, 2 and 2 quarters (median 2, i.e. 6 months): a short course;
    # infliximab-like: 8 quarters each
    rows = pd.DataFrame({"drug": ["r"] * 5 + ["i"] * 16,
                         "patient_id": ["a", "b", "b", "c", "c"] + ["d"] * 8 + ["e"] * 8})
    assert gb.short_course_drugs(rows) == {"r"}


def test_patients_are_new_existing_or_not_yet_within_the_targets():
    available = pd.Series({"infliximab": pd.Timestamp("2016-04-01")})
    rows = pd.DataFrame({
        "drug": "infliximab", "product_type": ["originator", "biosimilar", "originator", "originator"],
        # started July 2016 (a quarter after availability): new; started May 2016: not new, and in a quarter before
        # April 2017 not yet existing either; started 2014: existing from April 2017 (a year after availability)
        "treatment_start": pd.to_datetime(["2016-07-01", "2016-05-15", "2014-01-01", "2014-01-01"]),
        "invoice_period": pd.to_datetime(["2016-07-01", "2016-10-01", "2017-01-01", "2017-04-01"]),
    })
    out = gb.classify(rows, available, short_course=set())
    assert out["group"].tolist() == ["new", "", "", "existing"]
    assert out["best_value"].tolist() == [False, True, False, False]
    # a short-course molecule: its existing patients are not within a target
    assert gb.classify(rows, available, short_course={"infliximab"})["group"].tolist() == ["new", "", "", ""]


def test_unit_prices_and_the_gap_never_negative():
    rows = pd.DataFrame({"drug": ["i", "i", "i", "g", "g"], "best_value": [False, False, True, False, True],
                         "cost": [1600.0, 800.0, 600.0, 100.0, 300.0], "quantity": [4.0, 2.0, 3.0, 1.0, 1.0]})
    prices = gb.unit_prices(rows)
    # i: originator 2,400 / 6 = £400 a unit, best value 600 / 3 = £200, gap £200
    assert prices.loc["i"].tolist() == pytest.approx([400.0, 200.0, 200.0])
    # g: the "best value" product costs more (£300 against £100): no saving, not a negative one
    assert prices.loc["g", "gap"] == 0.0


def test_units_to_move_up_to_the_target():
    # 100 patient-quarters, 60 on best value, target 80%: 20 patient-quarters move, at 6 vials each = 120 vials;
    # at a £190 gap per vial that is £22,800
    assert gb.units_to_move(100, 60, 0.80, 6.0) == pytest.approx(120.0)
    assert gb.units_to_move(100, 60, 0.80, 6.0) * 190 == pytest.approx(22_800)
    assert gb.units_to_move(100, 85, 0.80, 6.0) == 0.0  # already above the target: nothing, never negative


def test_provider_savings_by_group_and_never_netted(invoices):
    available = gb.best_value_available(invoices)
    rows = gb.classify(invoices, available, set())
    year = rows[(rows["invoice_period"] >= "2017-04-01") & (rows["group"] != "")]
    gap = gb.unit_prices(year)["gap"]
    assert gap["infliximab"] == pytest.approx(200.0)  # £400 - £200 a vial
    out = gb.provider_savings(year, gap, {"new": 0.9, "existing": 0.8}).groupby("provider_code")["saving"].sum()
    # LON-P01 existing: 8 patient-quarters, none on best value: 0.8 x 8 = 6.4 move, x 4 vials x £200 = £5,120;
    # its new patient (4 patient-quarters, all on Inflectra) is above 90% and does not offset anything
    assert out["LON-P01"] == pytest.approx(5_120)
    # NW-P01: 8 existing patient-quarters, 4 on best value: 0.8 x 8 - 4 = 2.4 x 4 x £200 = £1,920
    assert out["NW-P01"] == pytest.approx(1_920)
    assert out["LON-P02"] == 0.0  # all on best value


def _year_rows(invoices):
    """The fixture's rows of 2017/18, classified."""
    rows = gb.classify(invoices, gb.best_value_available(invoices), set())
    return rows[rows["invoice_period"] >= "2017-04-01"]


def test_uptake_of_new_and_existing_patients_counts_patients_not_quarters(invoices):
    year = _year_rows(invoices)
    # one new patient (A3, started May 2017 on Inflectra, invoiced from the April quarter): started on best value
    assert gb.new_patient_uptake(year, Period.financial_year("2017/18")).to_dict() == {("A3", "infliximab"): True}
    # six existing patients in January-March 2018: B1, B2 and C2 on Inflectra, A1, A2 and C1 on Remicade
    last = gb.existing_patient_uptake(year)
    assert (len(last), int(last.sum())) == (6, 3)
    assert last[("C2", "infliximab")] and not last[("C1", "infliximab")]


def test_provider_groups_count_patient_quarters_by_group(invoices):
    year = _year_rows(invoices)
    gap = gb.unit_prices(year)["gap"]
    savings = gb.provider_savings(year[year["group"] != ""], gap, {"new": 0.9, "existing": 0.8})
    groups = gb.provider_groups(savings)
    # LON-P01: A3's 4 new quarters all on best value, A1 and A2's 8 existing quarters none; LON-P02: 8 existing, all
    # on best value, no new patient (0, not missing); NW-P01: 8 existing, 4 on best value
    assert groups.loc["LON-P01"].tolist() == [4, 8, 4, 0]  # rows new, existing; best value new, existing
    assert groups.loc["LON-P02"].tolist() == [0, 8, 0, 8]
    assert groups.loc["NW-P01"].tolist() == [0, 8, 0, 4]
    # the area's rows are its providers' only, in every scenario
    london = gb.area_savings({"moderate": savings}, ("LON-P01", "LON-P02"))["moderate"]
    assert set(london.index.get_level_values("provider_code")) == {"LON-P01", "LON-P02"}


def test_analyse_adds_up_and_counts_the_cquin_groups(invoices):
    england = _analyse(invoices, "ENG")
    london = _analyse(invoices, "LON")
    north_west = _analyse(invoices, "NW")
    # moderate targets 90% / 80%: £5,120 + £1,920 = £7,040 for England, hubs adding up. Every invoice is for Crohn's
    # disease, whose adult biologics ICBs commission: all of it is theirs, none is in the headline
    nhse, icb = england.opportunity.components
    assert (nhse.payer, icb.payer, nhse.in_totals, icb.in_totals) == ("nhse_specialised", "icb_ccg", True, False)
    assert (nhse.net.moderate, icb.net.moderate) == pytest.approx((0.0, 7_040))
    assert england.opportunity_gbp.moderate == pytest.approx(0.0)
    net = lambda r: sum(c.net.moderate for c in r.opportunity.components)  # noqa: E731
    assert net(london) + net(north_west) == pytest.approx(7_040)
    # London: its one new patient started on Inflectra; of its four existing patients in January-March 2018, two
    # (LON-P02) are on the biosimilar
    assert london.kpi("New patients started on the best-value product").value == 1.0
    assert london.kpi("Existing patients on the best-value product in the last quarter of the year").value == 0.5
    assert england.tables["providers"].frame.set_index("Provider").loc["LON-P01", "Saving (moderate)"] == \
        pytest.approx(5_120)
    low, moderate, high = (icb.net.get(s) for s in ("low", "moderate", "high"))
    assert low < moderate < high


def test_the_saving_is_split_by_who_commissions_the_indication(invoices):
    # LON-P01's existing patients A1 and A2 (8 originator patient-quarters of 4 vials): A2 given it for lymphoma
    # instead, which NHS England commissions: half the originator units, so half of its £5,120 is NHS England's
    invoices = invoices.assign(indication=invoices["indication"].where(invoices["patient_id"] != "A2",
                                                                       "Non-Hodgkin lymphoma"))
    rows = _year_rows(invoices)
    share = gb.icb_share(rows[rows["group"] != ""])
    assert share[("LON-P01", "infliximab", "existing")] == pytest.approx(0.5)
    assert share[("NW-P01", "infliximab", "existing")] == pytest.approx(1.0)
    nhse, icb = _analyse(invoices, "ENG").opportunity.components
    assert nhse.net.moderate == pytest.approx(5_120 / 2)
    assert icb.net.moderate == pytest.approx(5_120 / 2 + 1_920)


def test_spend_per_patient_is_the_years_spend_over_the_patients_treated(invoices):
    # 2017/18, four quarters of 4 vials: Remicade 6,400 a patient, Inflectra 3,200. London: A1, A2 Remicade, A3, B1,
    # B2 Inflectra: 22,400 over 5 patients = 4,480. North West: C1 Remicade, C2 Inflectra: 9,600 over 2 = 4,800.
    # England: 32,000 over 7 patients = 4,571.43
    name = "Spend per patient treated with these molecules"
    assert _analyse(invoices, "LON").kpi(name).value == pytest.approx(4_480)
    assert _analyse(invoices, "NW").kpi(name).value == pytest.approx(4_800)
    assert _analyse(invoices, "ENG").kpi(name).value == pytest.approx(32_000 / 7)


def test_an_area_without_these_molecules_is_a_data_error(invoices):
    with pytest.raises(DataError, match="North East and Cumbria"):
        _analyse(invoices, "NEC")


def test_no_molecule_with_a_best_value_product_is_a_data_error(invoices):
    with pytest.raises(DataError, match="nothing to switch"):
        _analyse(invoices[invoices["product"] == "Remicade"], "ENG")


# --- a year's saving: groups within the targets for part of the year are annualised ---------------------------------
def test_quarters_within_the_targets_in_the_year():
    # 2017/18 has quarters from April, July, October 2017 and January 2018.
    # imatinib, generic from January 2017: new patients from April 2017 (4 quarters), existing from January 2018 (1);
    # rituximab, biosimilar from April 2017, short courses: new from July 2017 (3), no existing-patient target (0);
    # infliximab, biosimilar from April 2015: both groups all year (4 and 4)
    available = pd.Series({"imatinib": pd.Timestamp("2017-01-01"), "infliximab": pd.Timestamp("2015-04-01"),
                           "rituximab": pd.Timestamp("2017-04-01")})
    out = gb.quarters_within_targets(available, {"rituximab"}, Period.financial_year("2017/18"))
    assert out.to_dict("index") == {"imatinib": {"new": 4, "existing": 1}, "infliximab": {"new": 4, "existing": 4},
                                    "rituximab": {"new": 3, "existing": 0}}


def test_annualise_scales_a_groups_saving_to_four_quarters():
    # imatinib existing, counted for 1 quarter: 3 patient-quarters moved, 9 packs, £900 -> x 4 = 12, 36, £3,600;
    # imatinib new, 4 quarters: as counted (£100); rituximab new, 3 quarters: £300 x 4 / 3 = £400.
    # The patient-quarters counted (rows) and those on best value are not scaled.
    index = pd.MultiIndex.from_tuples([("P", "imatinib", "existing"), ("P", "imatinib", "new"),
                                       ("P", "rituximab", "new")], names=["provider_code", "drug", "group"])
    savings = pd.DataFrame({"rows": [10, 8, 6], "best_value": [5, 8, 3], "moved_rows": [3.0, 0.2, 1.5],
                            "units": [9.0, 1.0, 3.0], "saving": [900.0, 100.0, 300.0]}, index=index)
    quarters = pd.DataFrame({"new": [4, 3], "existing": [1, 0]}, index=pd.Index(["imatinib", "rituximab"], name="drug"))
    out = gb.annualise(savings, quarters)
    assert out["saving"].tolist() == pytest.approx([3_600.0, 100.0, 400.0])
    assert out["moved_rows"].tolist() == pytest.approx([12.0, 0.2, 2.0])
    assert out["units"].tolist() == pytest.approx([36.0, 1.0, 4.0])
    assert out[["rows", "best_value"]].equals(savings[["rows", "best_value"]])


def test_existing_patients_counted_for_one_quarter_give_a_years_saving(invoices):
    # Imatinib, generic first invoiced in January 2017, so existing patients count from January 2018 only: in
    # 2017/18, one quarter. NW-P01 has 10 existing patients (started 2014) on 3 packs a quarter: 5 moved to the
    # generic in January 2017, 5 stay on Glivec. Prices in 2017/18: Glivec £1,800 a pack, generic £200: gap £1,600.
    # January-March 2018: 10 patient-quarters, 5 on the generic; target 80%: 0.8 x 10 - 5 = 3 move, x 3 packs x £1,600
    # = £14,400 in the quarter; a year at that rate: x 4 = £57,600 (12 patient-quarters). Imatinib is for chronic
    # myeloid leukaemia here, which NHS England commissions: all of it is in the headline. (The infliximab invoices
    # of the fixture are all for Crohn's disease, whose saving is ICBs', outside the headline.)
    switched = QUARTERS[QUARTERS >= "2017-01-01"]
    rows = []
    for i in range(5):
        rows.append(_patient("NW-P01", f"G{i}", "Glivec", "2014-01-01", units=3.0, drug="imatinib"))
        rows.append(_patient("NW-P01", f"S{i}", "Glivec", "2014-01-01", QUARTERS[QUARTERS < "2017-01-01"], 3.0,
                             "imatinib"))
        rows.append(_patient("NW-P01", f"S{i}", "Imatinib generic", "2014-01-01", switched, 3.0, "imatinib"))
    imatinib = pd.concat(rows, ignore_index=True).assign(indication="Chronic myeloid leukaemia")
    england = _analyse(pd.concat([invoices, imatinib], ignore_index=True), "ENG")
    assert england.opportunity_gbp.moderate == pytest.approx(57_600)
    # patient-quarters moved: imatinib's 12 a year, and infliximab's 6.4 + 2.4 = 8.8 (all year, not scaled)
    assert england.quantities[0].values.moderate == pytest.approx(12.0 + 8.8)
    molecules = england.tables["molecules"].frame.set_index("Molecule")
    assert molecules.loc["imatinib", "Quarters within the targets (new / existing)"] == "4 / 1"
    # the uptake share is of the patient-quarters counted (10, 5 on the generic), not scaled
    assert molecules.loc["imatinib", "Existing patients on best value"] == pytest.approx(0.5)
