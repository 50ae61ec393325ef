"""Scheme 7, obeticholic acid: Blueteq and MDT approval, the PAS price, the numbers NICE implies and the saving,
against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import obeticholic_acid as oca
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit

LIST, PAS = 2384.04, 1907.23  # a pack of 30 tablets: list price, and the (synthetic) PAS price 20% below
YEAR = ["2017-04-01", "2017-07-01", "2017-10-01", "2018-01-01"]


def line(provider, patient, quarter, price=PAS, packs=3.0):
    return {"provider_code": provider, "patient_id": patient, "invoice_period": pd.Timestamp(quarter),
            "indication": "Primary biliary cholangitis", "drug": oca.DRUG, "quantity": packs,
            "reference_price": PAS, "cost": round(packs * price, 2)}


def form(patient, date, criteria="Y", mdt="Y", provider="LON-P01"):
    return {"provider_code": provider, "patient_id": patient, "drug": oca.DRUG, "approval_date": pd.Timestamp(date),
            "criteria_met": criteria, "mdt_approved": mdt}


def test_paid_above_the_pas_price():
    # 3 packs at list: 7,152.12 paid against 3 x 1,907.23 = 5,721.69 at the PAS price: 1,430.43 above it
    cost = pd.Series([3 * LIST, 3 * PAS, 3 * PAS + 0.005, 3 * PAS - 100])
    out = oca.above_agreed_price(cost, pd.Series([3.0] * 4), pd.Series([PAS] * 4))
    assert out.tolist() == pytest.approx([1430.43, 0.0, 0.0, 0.0])  # rounding and a discount are not a wrong price


def test_expected_patients_from_the_population():
    # England in params/geography.yaml: 56.01 m people; at 2.25 per 100,000 the appraisal implies 1,260 patients
    england = load_geography().england.population
    assert england == 56_010_000
    assert oca.expected_patients(england, 2.25) == pytest.approx(1260.225)


def test_provider_savings_add_inappropriate_use_and_wrong_price():
    rows = pd.DataFrame({"provider_code": ["A", "A", "A", "B"], "approved": [True, True, False, True],
                         "at_pas": [3 * PAS] * 4, "above_pas": [0.0, 0.0, 0.0, 1430.43]})
    out = oca.provider_savings(rows, avoidable_share=0.5)
    # A: one patient-quarter without approval, 5,721.69 at the PAS price, half avoidable = 2,860.845
    assert out.loc["A", "saving"] == pytest.approx(2860.845)
    # B: approved, but paid 1,430.43 above the PAS price: all of it
    assert out.loc["B", "saving"] == pytest.approx(1430.43)


def test_patient_years_avoided_count_four_quarters_a_year():
    # 10 patient-quarters without approval = 2.5 patient-years; 60% avoidable: 1.5
    assert oca.patient_years_avoided(10, 0.6) == pytest.approx(1.5)


def test_patients_providers_and_statuses_from_the_invoice_lines():
    rows = pd.DataFrame({"provider_code": ["A", "A", "A", "B"], "patient_id": ["p1", "p1", "p2", "p3"],
                         "approved": [True, True, False, True], "above_pas": [0.0, 12.5, 0.0, 0.0],
                         "cost": [100.0, 112.5, 100.0, 100.0],
                         "status": [oca.APPROVED, oca.APPROVED, oca.NO_MDT, oca.APPROVED]})
    forms = pd.DataFrame({"patient_id": ["p1", "p2"], "mdt_approved": ["Y", "N"]})
    approvals = oca.patient_approvals(rows, forms)
    assert approvals.index.tolist() == ["p1", "p2", "p3"]
    assert approvals["registered"].tolist() == [True, True, False]  # p3: no form on file
    assert approvals["mdt"].tolist() == [True, False, False]
    activity = oca.provider_activity(rows)
    # A: 2 patients, 3 patient-quarters of which 2 approved, 1 line above the PAS price, £312.50 spent
    assert activity.loc["A"].tolist() == pytest.approx([2, 3, 2, 1, 312.5])
    assert activity.loc["B"].tolist() == pytest.approx([1, 1, 1, 0, 100.0])
    by_status = oca.status_spend(rows)
    assert by_status.index.tolist() == list(oca.STATUS_LABELS)  # every status, a row of zeros where none
    assert by_status.loc[oca.APPROVED].tolist() == pytest.approx([3, 312.5])
    assert by_status.loc[oca.NO_MDT].tolist() == pytest.approx([1, 100.0])
    assert by_status.loc[oca.NONE].tolist() == [0, 0]


def _tables():
    rows = [line("LON-P01", "A", q) for q in YEAR]  # approved: criteria met and MDT, form of May 2017
    rows += [line("LON-P01", "B", q) for q in YEAR[1:]]  # form without MDT approval
    rows += [line("NW-P01", "C", q, price=LIST) for q in YEAR[2:]]  # approved, but invoiced at list price
    rows += [line("NW-P01", "D", q) for q in YEAR[2:]]  # never registered
    forms = [form("A", "2017-03-20"), form("B", "2017-07-01", mdt="N"), form("C", "2017-09-15", provider="NW-P01")]
    return {"hcd_invoices": pd.DataFrame(rows), "blueteq": pd.DataFrame(forms)}


def _analyse(area, tables=None):
    geo = load_geography()
    params = load_scheme_params("obeticholic_acid", required=oca.ASSUMPTIONS)
    return registry.analyse_tables("obeticholic_acid", tables or _tables(), geo.get(area),
                                   Period.financial_year("2017/18"), geo, params_=params)


def test_analyse_counts_each_providers_saving_and_the_menus_indicators():
    england, london, north_west = _analyse("ENG"), _analyse("LON"), _analyse("NW")
    at_pas = 3 * PAS  # 5,721.69 a patient-quarter
    # moderate, half avoidable. LON-P01: B's 3 quarters without MDT approval: 3 x 5,721.69 x 0.5 = 8,582.535
    assert london.opportunity_gbp.moderate == pytest.approx(3 * at_pas * 0.5)
    # NW-P01: D's 2 quarters never registered (x 0.5) + C's 2 quarters at list: 2 x 1,430.43
    assert north_west.opportunity_gbp.moderate == pytest.approx(2 * at_pas * 0.5 + 2 * 1430.43)
    assert england.opportunity_gbp.moderate == pytest.approx(london.opportunity_gbp.moderate
                                                             + north_west.opportunity_gbp.moderate)
    assert england.opportunity_gbp.high == pytest.approx(5 * at_pas + 2 * 1430.43)  # all of it avoided
    assert england.kpi("Patients treated with obeticholic acid").value == 4
    assert england.kpi("Patients with a completed Blueteq form").value == pytest.approx(3 / 4)  # not D
    assert england.kpi("Patients with MDT approval recorded").value == pytest.approx(2 / 4)  # A and C
    assert england.kpi("Invoice lines at the PAS price").value == pytest.approx(9 / 11)
    assert london.kpi("Patients the NICE appraisal implies").value == pytest.approx(8_910_000 / 1e5 * 2.25)


def test_an_area_without_prescribers_or_without_obeticholic_acid_is_a_data_error():
    with pytest.raises(DataError, match="South West"):
        _analyse("SW")
    tables = _tables()
    tables["hcd_invoices"] = tables["hcd_invoices"].assign(drug="ursodeoxycholic acid")
    with pytest.raises(DataError, match="no invoices for obeticholic acid"):
        _analyse("ENG", tables)
