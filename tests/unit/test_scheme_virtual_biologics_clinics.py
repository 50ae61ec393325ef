"""Scheme 4, virtual biologics clinics: each piece of the saving against hand-checked figures."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.errors import DataError
from ivanalysis.geography import load_geography
from ivanalysis.results import Period, Range
from ivanalysis.schemes import registry
from ivanalysis.schemes import virtual_biologics_clinics as vbc

pytestmark = pytest.mark.unit
FY = Period.financial_year("2017/18")


def test_starts_avoided_only_above_the_benchmark():
    # 100 new patients, 85 started; virtual clinics start 70%: 85 - 70 = 15 above, three quarters closed = 11.25
    assert vbc.starts_avoided(100, 85, 0.70, 0.75) == pytest.approx(11.25)
    assert vbc.starts_avoided(100, 65, 0.70, 0.75) == 0.0  # already starts fewer than the clinics


def test_stops_added_only_below_the_benchmark():
    # 50 existing patients reviewed, 10 stopped; clinics stop a third: 16.67 - 10 = 6.67, all of it closed
    assert vbc.stops_added(50, 10, 1 / 3, 1.0) == pytest.approx(50 / 3 - 10)
    assert vbc.stops_added(50, 20, 1 / 3, 1.0) == 0.0


def test_saving_is_patients_times_monthly_cost_times_months():
    # 11.25 patients x £700 a month x 12 months = £94,500
    assert vbc.saving(11.25, 700, 12) == pytest.approx(94_500)


def test_a_month_saved_is_net_of_the_conventional_treatment_given_instead():
    # £700 a month of adalimumab, against triple DMARDs at £187 a year: 700 - 187 / 12 = 700 - 15.5833 = £684.42
    assert vbc.net_monthly_cost(700, 187) == pytest.approx(684.416667)
    assert vbc.net_monthly_cost(700, 0) == 700
    assert vbc.net_monthly_cost(10, 1_200) == 0.0  # never below nothing: an alternative dearer than the drug


def rows(provider: str, decided_by: str, new_started: int, new_not: int, switched: int, stopped: int,
         cost: float = 700.0, month: str = "2017-06-01") -> pd.DataFrame:
    """A provider's referrals in one month: decisions a week after referral, first doses two weeks later."""
    outcomes = ["start"] * new_started + ["do not start"] * new_not + ["switch"] * switched + ["stop"] * stopped
    n = len(outcomes)
    decision = pd.Timestamp(month)
    given = [o in ("start", "switch") for o in outcomes]
    return pd.DataFrame({
        "provider_code": provider, "patient_id": [f"{provider}-{i}" for i in range(n)], "specialty": "rheumatology",
        "referral_type": ["new" if o in ("start", "do not start") else "existing" for o in outcomes],
        "decided_by": decided_by, "referral_date": decision - pd.Timedelta(days=7), "decision_date": decision,
        "outcome": outcomes, "drug": [None if o == "do not start" else "adalimumab" for o in outcomes],
        "first_dose_date": [decision + pd.Timedelta(days=14) if g else pd.NaT for g in given],
        "stop_date": [decision + pd.Timedelta(days=3) if o == "stop" else pd.NaT for o in outcomes],
        "monthly_cost": [None if o == "do not start" else cost for o in outcomes]})


def test_provider_savings_from_starts_and_stops():
    # P: 20 new (18 started), 10 existing (1 stopped), £700 a month. Benchmarks 70% started, 30% stopped.
    # starts: 18 - 14 = 4, x 0.75 = 3 patients x £700 x 12 = £25,200
    # stops: 3 - 1 = 2, x 0.75 = 1.5 patients x £700 x 6 = £6,300
    # Q starts 50% and stops 50%: better on both, so nothing (and not netted off against P)
    # (the starts and stops that count are taken as observed here; beyond_chance has tests of its own)
    df = pd.concat([rows("P", "consultant", 18, 2, 9, 1), rows("Q", vbc.VBC, 10, 10, 5, 5)], ignore_index=True)
    counts = vbc.provider_counts(df)
    counts = counts.assign(starts_counted=counts["started"], stops_counted=counts["stopped"])
    out = vbc.provider_savings(counts, 0.70, 0.30, 0.75, 12, 6, 0)
    assert out.loc["P", "starts_avoided"] == pytest.approx(3.0)
    assert out.loc["P", "from_starts"] == pytest.approx(25_200)
    assert out.loc["P", "stops_added"] == pytest.approx(1.5)
    assert out.loc["P", "from_stops"] == pytest.approx(6_300)
    assert out.loc["P", "saving"] == pytest.approx(31_500)
    assert out.loc["Q", "saving"] == 0.0
    # net of DMARDs at £1,200 a year (£100 a month), 11 months on the drug per start avoided:
    # starts 3 x (700 - 100) x 11 = £19,800; stops 1.5 x (700 - 100) x 6 = £5,400; together £25,200
    net = vbc.provider_savings(counts, 0.70, 0.30, 0.75, 11, 6, 1_200)
    assert net.loc["P", ["from_starts", "from_stops", "saving"]].tolist() == pytest.approx([19_800, 5_400, 25_200])
    assert net.loc["Q", "saving"] == 0.0


def started(first_dose: str, stop: str | None = None, outcome: str = "start") -> dict:
    """One referral for the persistence tests: decided a fortnight before its first dose."""
    dose = pd.Timestamp(first_dose)
    return {"outcome": outcome, "decision_date": dose - pd.Timedelta(days=14),
            "first_dose_date": dose if outcome != "do not start" else pd.NaT,
            "stop_date": pd.Timestamp(stop) if stop else pd.NaT}


def test_months_on_drug_is_the_prescribing_spend_of_starts_followed_long_enough():
    log = pd.DataFrame([
        started("2016-05-01"),                          # A: still on it
        started("2016-05-01", stop="2016-08-01"),       # B: stopped after 92 days, 92 / 30.4375 = 3.0226 months
        started("2016-05-01", stop="2017-05-20"),       # C: stopped after its first year
        started("2017-03-01"),                          # D: first dose too late to be followed a year
        started("2016-05-01", outcome="do not start"),  # E: not started: no drug
        started("2017-06-01"),                          # F: its first dose is the log's last date
    ])
    assert vbc.log_end(log) == pd.Timestamp("2017-06-01")
    # 12 months (365.25 days): A, B and C followed (D's year ends in 2018): (12 + 3.0226 + 12) / 3 = 9.0075
    assert vbc.months_on_drug(log, 12) == pytest.approx((12 + 92 / 30.4375 + 12) / 3)
    # 6 months (182.625 days): still A, B, C (D's half year ends on 30 August 2017): (6 + 3.0226 + 6) / 3 = 5.0075
    assert vbc.months_on_drug(log, 6) == pytest.approx((6 + 92 / 30.4375 + 6) / 3)
    assert vbc.months_on_drug(log, 24) is None  # nobody followed two years


def test_benchmarks_are_the_virtual_clinics_own_shares():
    df = pd.concat([rows("P", "consultant", 18, 2, 9, 1), rows("Q", vbc.VBC, 14, 6, 7, 3)], ignore_index=True)
    assert vbc.benchmarks(df) == pytest.approx((0.70, 0.30))
    with pytest.raises(DataError, match="no new and existing referrals decided by a virtual clinic"):
        vbc.benchmarks(df[df["decided_by"] == "consultant"])


def test_by_decider_compares_waits_and_rates():
    df = pd.concat([rows("P", "consultant", 18, 2, 9, 1), rows("Q", vbc.VBC, 14, 6, 7, 3)], ignore_index=True)
    t = vbc.by_decider(df).set_index("Decided by")
    assert t.loc["Virtual clinic", "Start rate"] == pytest.approx(0.70)
    assert t.loc["Consultant", "Stop share"] == pytest.approx(0.10)
    assert t.loc["Consultant", "Median days, decision to first dose"] == 14
    assert t.loc["Consultant", "Median days, referral to decision"] == 7


def test_new_referrals_first_dose_waits_and_clinic_start_dates():
    df = pd.concat([rows("P", "consultant", 3, 1, 2, 1), rows("Q", vbc.VBC, 2, 2, 1, 1, month="2017-07-01"),
                    rows("Q", vbc.VBC, 1, 0, 0, 0, month="2017-09-01")], ignore_index=True)
    new = vbc.new_referrals(df)
    assert len(new) == 9 and new["started"].sum() == 6  # P: 3 of 4; Q: 2 of 4 in July and 1 of 1 in September
    waits = vbc.first_dose_waits(df)
    # a first dose for each start and switch (P 5, Q 3 + 1), each two weeks after the decision
    assert waits.groupby("provider_code").size().to_dict() == {"P": 5, "Q": 4}
    assert set(waits["days"]) == {14}
    assert waits.loc[waits["decided_by"] == vbc.VBC, "provider_code"].unique().tolist() == ["Q"]
    # only Q runs a virtual clinic, from its first decision
    assert vbc.clinic_start_dates(df).to_dict() == {"Q": pd.Timestamp("2017-07-01")}


# --- analyse -----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    geo = load_geography()
    lon, nw = geo.get("LON").providers, geo.get("NW").providers
    df = pd.concat([rows(lon[0], "consultant", 18, 2, 9, 1, month=m) for m in ("2017-06-01", "2017-07-01")]
                   + [rows(nw[0], vbc.VBC, 14, 6, 7, 3, month=m) for m in ("2017-06-01", "2017-07-01")],
                   ignore_index=True)
    df.insert(0, "referral_id", [f"R{i}" for i in range(len(df))])
    params = load_scheme_params("virtual_biologics_clinics", required=vbc.ASSUMPTIONS)
    return geo, {"biologics_referrals": df}, params


def test_analyse_hand_built_log(small):
    geo, tables, params = small
    eng = registry.analyse_tables("virtual_biologics_clinics", tables, geo.england, FY, geo, params_=params)
    # benchmark: the North West clinic, 70% started and 30% stopped. London: 40 new, 36 started, 20 existing,
    # 2 stopped. Moderate (75%, 12 and 6 months, DMARDs at £187 a year): starts (36 - 28) x 0.75 = 6 x (£700 x 12 -
    # £187) = 6 x £8,213 = £49,278 (no start in this log is followed a year, so all 12 months count). Stops: the
    # clinic's 6 of 20 against London's consultants' 2 of 20 is within chance (two-proportion test, z = 1.58,
    # p = 0.11), so the benchmark is England's 20% and nothing counts.
    # Each provider is at its expected share (its deciders' group), so nothing is shrunk: all of it in London
    starts, stops = eng.opportunity.components  # adult biologics: ICBs'/CCGs'; a start avoided is a cost avoided
    assert (starts.kind, starts.payer, stops.kind, stops.payer) == ("cost_avoided", "icb_ccg", "cash_releasing",
                                                                    "icb_ccg")
    assert (starts.net.moderate, stops.net.moderate) == pytest.approx((49_278, 0))
    assert starts.implementation_cost == stops.implementation_cost == Range.zero()  # the Menu: no extra cost
    assert eng.opportunity_gbp.moderate == 0.0
    # the log is too short to follow any start for 6 or 12 months: the page says the whole months are counted
    assert sum("No start in the log has been followed for" in c for c in eng.caveats) == 2
    assert any("only as good as the referral log" in c for c in eng.caveats)
    lon = registry.analyse_tables("virtual_biologics_clinics", tables, geo.get("LON"), FY, geo, params_=params)
    nw = registry.analyse_tables("virtual_biologics_clinics", tables, geo.get("NW"), FY, geo, params_=params)
    net = lambda r: sum(c.net.moderate for c in r.opportunity.components)  # noqa: E731
    assert net(lon) == pytest.approx(49_278)
    assert net(nw) == 0.0  # the clinic is the benchmark: nothing more to save
    assert lon.kpi("New patients referred who started a biologic").value == pytest.approx(0.90)
    assert lon.kpi("Median days from decision to first dose, virtual clinics").value is None
    assert "No provider in London ran a virtual biologics clinic" in lon.charts["start_rate"].finding
    assert nw.tables["providers"].frame["Virtual clinic since"].tolist() == ["Jun 2017"]


def test_analyse_an_area_without_referrals_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no biologics referrals decided for South West"):
        registry.analyse_tables("virtual_biologics_clinics", tables, geo.get("SW"), FY, geo, params_=params)


def test_analyse_a_year_without_referrals_is_a_data_error(small):
    geo, tables, params = small
    with pytest.raises(DataError, match="no biologics referrals decided in 2016/17"):
        registry.analyse_tables("virtual_biologics_clinics", tables, geo.england, Period.financial_year("2016/17"), geo,
                                params_=params)
