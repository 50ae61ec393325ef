"""Scheme 10, MS disease-modifying therapies: matching invoices to Blueteq approvals, spend outliers and the saving,
against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import Assumption, load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import hcd, ms_dmt, registry

pytestmark = pytest.mark.unit

MS = ms_dmt.INDICATION
DMF = "dimethyl fumarate"


def invoice(provider, patient, quarter, cost=4000.0, drug=DMF):
    return {"provider_code": provider, "patient_id": patient, "invoice_period": pd.Timestamp(quarter),
            "indication": MS, "drug": drug, "cost": cost}


def form(patient, date, criteria="Y", mdt="Y", drug=DMF, provider="LON-P01"):
    return {"provider_code": provider, "patient_id": patient, "drug": drug, "approval_date": pd.Timestamp(date),
            "criteria_met": criteria, "mdt_approved": mdt}


def test_an_approval_covers_the_quarters_it_is_in_force():
    rows = pd.DataFrame([
        invoice("LON-P01", "A", "2016-04-01"),  # form of 10 May 2016 is on or before 30 June 2016: approved
        invoice("LON-P01", "A", "2017-04-01"),  # in force until 9 May 2017, into April-June 2017: approved
        invoice("LON-P01", "A", "2017-07-01"),  # lapsed before July 2017: no approval
        invoice("LON-P01", "B", "2017-04-01"),  # its only form records the criteria not met
        invoice("LON-P01", "C", "2017-04-01"),  # no form at all
        invoice("LON-P01", "D", "2017-04-01"),  # a form for another drug only
        invoice("LON-P01", "E", "2017-04-01"),  # a form approved after the quarter ended: not prior approval
        invoice("LON-P01", "F", "2017-04-01"),  # a lapsed approval, then a form that fails: the latest reason
    ])
    forms = pd.DataFrame([form("A", "2016-05-10"), form("B", "2017-02-01", criteria="N"),
                          form("D", "2017-02-01", drug="natalizumab"), form("E", "2017-07-05"),
                          form("F", "2016-01-05"), form("F", "2017-01-05", criteria="N")])
    status = hcd.approval_status(rows, forms).tolist()
    assert status == ["approved", "approved", "no approval in force", "criteria not met", "no approval in force",
                      "no approval in force", "no approval in force", "criteria not met"]


def test_mdt_approval_is_required_only_when_asked():
    rows = pd.DataFrame([invoice("LON-P01", "A", "2017-04-01")])
    forms = pd.DataFrame([form("A", "2017-05-01", mdt="N")])
    assert hcd.approval_status(rows, forms).tolist() == ["approved"]
    assert hcd.approval_status(rows, forms, require_mdt=True).tolist() == ["no MDT approval"]


def test_spend_outliers_beyond_tukeys_fences():
    # quartiles 11 and 13, IQR 2: fences 8 and 16; 30 is high, 2 is low
    spend = pd.Series({"a": 2.0, "b": 11.0, "c": 12.0, "d": 12.0, "e": 13.0, "f": 30.0, "g": 11.0, "h": 13.0})
    assert ms_dmt.spend_outliers(spend).to_dict() == {"a": "low", "b": "", "c": "", "d": "", "e": "", "f": "high",
                                                      "g": "", "h": ""}


def test_avoidable_spend():
    # £1.2 m invoiced without a valid approval, half of it avoidable: £600,000
    assert ms_dmt.avoidable(1_200_000, 0.5) == pytest.approx(600_000)



def test_centre_figures():
    # X: A approved twice at £4,000, B once without approval at £2,000: 2 patients, 3 quarters, 2 approved,
    # £10,000, of which £2,000 without approval, £5,000 a patient. Y: C approved once at £3,000, nothing unapproved.
    year = pd.DataFrame({"provider_code": ["X", "X", "X", "Y"], "patient_id": ["A", "A", "B", "C"],
                         "approved": [True, True, False, True], "cost": [4000.0, 4000.0, 2000.0, 3000.0]})
    c = ms_dmt.centre_figures(year)
    assert c.loc["X", ["patients", "quarters", "approved", "spend", "unapproved", "per_patient"]].tolist() == \
        [2, 3, 2, 10_000, 2_000, 5_000]
    assert c.loc["Y", ["unapproved", "per_patient"]].tolist() == [0.0, 3_000]
    # two centres: quartiles £3,500 and £4,500, fences £2,000 and £6,000: neither is an outlier
    assert c["outlier"].tolist() == ["", ""]


def test_opportunity_in_pounds_and_patient_years():
    # £16,000 and £3,000 without approval, a quarter / half / three quarters avoidable: £4,750 / £9,500 / £14,250;
    # 5 patient-quarters = 1.25 patient-years, of which 0.3125 / 0.625 / 0.9375 avoided
    share = Assumption(label="avoidable", unit="share", low=0.25, moderate=0.5, high=0.75, source="hand-set test value")
    gbp, patient_years = ms_dmt.opportunity(pd.Series([16_000.0, 3_000.0]), 5, share)
    assert gbp == Range(4_750.0, 9_500.0, 14_250.0)
    assert patient_years == Range(0.3125, 0.625, 0.9375)


def test_never_approved_counts_each_patient_and_drug_apart():
    # B had no approval in any quarter; A had one for dimethyl fumarate once, but none for natalizumab: 2
    rows = pd.DataFrame({"patient_id": ["B", "B", "A", "A", "A"],
                         "drug": [DMF, DMF, DMF, DMF, "natalizumab"],
                         "status": [hcd.NONE, hcd.NONE, hcd.NONE, hcd.APPROVED, hcd.NONE]})
    assert ms_dmt.never_approved(rows) == 2

def _tables():
    year = ["2017-04-01", "2017-07-01", "2017-10-01", "2018-01-01"]
    rows = [invoice("LON-P01", "A", q) for q in year]  # approved all year (forms May 2016 and May 2017)
    rows += [invoice("LON-P01", "B", q) for q in year]  # no form: 4 x £4,000 = £16,000 unapproved
    rows += [invoice("NW-P01", "C", q, cost=3000.0) for q in year]  # approved until its form lapses in 2018
    rows += [invoice("LON-P01", "A", "2016-04-01"), invoice("NW-P01", "C", "2016-04-01", cost=3000.0)]
    forms = [form("A", "2016-05-10"), form("A", "2017-05-02"), form("C", "2016-12-20", provider="NW-P01")]
    return {"hcd_invoices": pd.DataFrame(rows), "blueteq": pd.DataFrame(forms)}


def _analyse(area, tables=None):
    geo = load_geography()
    params = load_scheme_params("ms_dmt", required=ms_dmt.ASSUMPTIONS)
    return registry.analyse_tables("ms_dmt", tables or _tables(), geo.get(area), Period.financial_year("2017/18"),
                                   geo, params_=params)


def test_analyse_counts_unapproved_spend_at_each_provider():
    england, london, north_west = _analyse("ENG"), _analyse("LON"), _analyse("NW")
    # LON-P01: B's £16,000 unapproved; NW-P01: C's form of 20 December 2016 is in force until 19 December 2017, so
    # January-March 2018 (£3,000) is unapproved. Moderate: half avoidable: £8,000 + £1,500 = £9,500
    assert london.opportunity_gbp.moderate == pytest.approx(8_000)
    assert north_west.opportunity_gbp.moderate == pytest.approx(1_500)
    assert england.opportunity_gbp.moderate == pytest.approx(9_500)
    assert england.opportunity_gbp.low == pytest.approx(19_000 * 0.25)
    # 12 patient-quarters in the year, 7 approved (A 4, C 3)
    assert england.kpi("Invoiced patient-quarters with a Blueteq approval").value == pytest.approx(7 / 12)
    assert england.kpi("Patients treated with no approval in force all year").value == 1  # B
    assert england.kpi("Spend per patient").value == pytest.approx((16_000 + 16_000 + 12_000) / 3)


def test_an_area_without_ms_centres_or_without_ms_invoices_is_a_data_error():
    with pytest.raises(DataError, match="East Midlands"):
        _analyse("EM")
    tables = _tables()
    tables["hcd_invoices"] = tables["hcd_invoices"].assign(indication="HIV")
    with pytest.raises(DataError, match="no invoices for MS"):
        _analyse("ENG", tables)
