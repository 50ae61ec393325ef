"""Coverage of an extract (ivanalysis.data.coverage): the months of the headline year each table holds, the providers
and hubs of England it holds, and providers' missing months; a part year refused or, when asked, annualised."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from ivanalysis.config import GeographyFile
from ivanalysis.data.coverage import (
    ANNUALISE,
    Coverage,
    annualise_partial_years,
    annualised,
    check,
    measure,
    month_span,
)
from ivanalysis.data.schemas import TABLES
from ivanalysis.data.schemas.base import TableSpec, code_column, date_column, provider_column
from ivanalysis.errors import DataError
from ivanalysis.geography import Geography
from ivanalysis.results import (
    CASH_RELEASING,
    NHSE_SPECIALISED,
    Opportunity,
    OpportunityComponent,
    Period,
    Quantity,
    Range,
    SchemeResult,
)

pytestmark = pytest.mark.unit

# Three hubs, four providers (P3 and P4 in Hub three), an area in each hub
GEO = Geography(GeographyFile.model_validate({
    "england": {"code": "ENG", "name": "England"},
    "regions": [{"code": "R1", "name": "Region one"}],
    "hubs": [{"code": "H1", "name": "Hub one", "region": "R1", "population": 100},
             {"code": "H2", "name": "Hub two", "region": "R1", "population": 200},
             {"code": "H3", "name": "Hub three", "region": "R1", "population": 300}],
    "providers": [{"code": "P1", "hub": "H1"}, {"code": "P2", "hub": "H2"}, {"code": "P3", "hub": "H3"},
                  {"code": "P4", "hub": "H3"}],
    "areas": [{"code": "A1", "hub": "H1", "population": 100, "demography": {"imd": 1.0}},
              {"code": "A2", "hub": "H2", "population": 200, "demography": {"imd": 2.0}},
              {"code": "A3", "hub": "H3", "population": 300, "demography": {"imd": 3.0}}],
}))
Y1718 = Period.financial_year("2017/18")


def spec(name: str = "visits", cadence: str = "month", area: bool = False) -> TableSpec:
    columns = {"visit_id": code_column("id", unique=True), "visit_date": date_column("date")}
    columns.update({"area_code": code_column("area")} if area else {"provider_code": provider_column()})
    return TableSpec(name=name, title=name, like="-", description="-", key="visit_id", date_column="visit_date",
                     source="-", access="-", cadence=cadence, schema=pa.DataFrameSchema(columns),
                     provider_column=None if area else "provider_code", area_column="area_code" if area else None)


def rows(per_month: dict[str, int], months: pd.PeriodIndex | list, column: str = "provider_code") -> pd.DataFrame:
    """`per_month[code]` rows on the 15th of each month in `months`, for each provider (area) code."""
    out = [{column: code, "visit_date": m.to_timestamp() + pd.Timedelta(days=14)}
           for m in months for code, n in per_month.items() for _ in range(n)]
    df = pd.DataFrame(out)
    df["visit_id"] = [f"V{i}" for i in range(len(df))]
    return df


def months(first: str, last: str) -> pd.PeriodIndex:
    return pd.period_range(first, last, freq="M")


YEAR = months("2017-04", "2018-03")


# --- months in words -------------------------------------------------------------------------------------------------
def test_month_span_joins_runs_of_months():
    assert month_span(months("2017-10", "2017-12")) == "October to December 2017"
    assert month_span(months("2017-07", "2018-03")) == "July 2017 to March 2018"
    assert month_span([pd.Period("2017-04", "M"), *months("2018-01", "2018-03")]) == \
        "April 2017 and January to March 2018"


# --- months of the headline year -----------------------------------------------------------------------------------
def test_a_whole_year_is_accepted_as_it_is():
    t = measure(rows({"P1": 2, "P3": 2}, YEAR), spec(), Y1718, GEO)
    assert t.whole and len(t.months) == 12 and t.missing == ()
    assert t.whole_years == ("2017/18",)
    c = check([t], GEO.england)
    assert c.annualised_from is None and c.factor == 1.0


def test_three_months_are_refused_naming_table_year_and_missing_months():
    t = measure(rows({"P1": 2}, months("2017-04", "2017-06")), spec(), Y1718, GEO)
    assert len(t.months) == 3 and len(t.missing) == 9
    with pytest.raises(DataError) as e:
        check([t], GEO.england)
    message = str(e.value)
    assert "table 'visits' covers 3 of the 12 months of 2017/18" in message
    assert "no rows in July 2017 to March 2018" in message
    assert "--annualise-partial-years" in message
    assert "no financial year is whole in every table" in message


def test_october_to_december_missing_is_refused_and_a_whole_year_is_offered():
    data = rows({"P1": 2}, [m for m in months("2016-04", "2018-03") if not ("2017-10" <= str(m) <= "2017-12")])
    t = measure(data, spec(), Y1718, GEO)
    assert [str(m) for m in t.missing] == ["2017-10", "2017-11", "2017-12"]
    with pytest.raises(DataError, match=r"no rows in October to December 2017.*--period \(2016/17\)"):
        check([t], GEO.england)


def test_a_part_year_is_annualised_when_asked_12_over_9():
    data = rows({"P1": 2}, [m for m in YEAR if not ("2017-10" <= str(m) <= "2017-12")])
    c = check([measure(data, spec(), Y1718, GEO)], GEO.england, annualise=True)
    assert c.annualised_from == 9
    assert c.factor == pytest.approx(12 / 9)
    warning = c.warnings()[0]
    assert warning.startswith("**Warning: annualised from 9 months.**")
    assert "no rows in October to December 2017" in warning and "x 12/9" in warning


def test_a_year_without_rows_is_refused_even_when_annualising():
    t = measure(rows({"P1": 1}, months("2015-04", "2017-03")), spec(), Y1718, GEO)
    assert t.months == ()
    with pytest.raises(DataError) as e:
        check([t], GEO.england, annualise=True)
    assert "table 'visits' has no rows in 2017/18 (its dates run from 15 April 2015 to 15 March 2017)" in str(e.value)
    assert "--annualise-partial-years" not in str(e.value)  # nothing to scale from


def test_tables_covering_different_months_are_not_annualised():
    nine = [m for m in YEAR if not ("2017-10" <= str(m) <= "2017-12")]
    a = measure(rows({"P1": 1}, nine), spec("visits"), Y1718, GEO)
    b = measure(rows({"P1": 1}, YEAR), spec("births"), Y1718, GEO)
    with pytest.raises(DataError, match=r"cover different months \(visits: 9 months; births: 12 months\)"):
        check([a, b], GEO.england, annualise=True)


def test_a_quarterly_table_is_whole_with_its_four_quarters():
    quarters = [pd.Period(m, "M") for m in ("2017-04", "2017-07", "2017-10", "2018-01")]
    data = rows({"P1": 5}, quarters)
    data["visit_date"] = [m.to_timestamp() for m in data["visit_date"].dt.to_period("M")]  # a quarter's first day
    t = measure(data, spec(cadence="quarter"), Y1718, GEO)
    assert t.whole
    t = measure(data[data["visit_date"].dt.month != 10], spec(cadence="quarter"), Y1718, GEO)
    assert [str(m) for m in t.missing] == ["2017-10", "2017-11", "2017-12"]
    assert "covers 3 of the 4 quarters of 2017/18: it has no rows in October to December 2017" in t.shortfall()


def test_the_date_column_of_every_table_has_a_cadence():
    assert {s.cadence for s in TABLES.values()} <= {"month", "quarter"}
    assert TABLES["hcd_invoices"].cadence == "quarter"  # DrPLCM summed to quarters
    with pytest.raises(ValueError, match="cadence"):
        spec(cadence="weekly")


# --- providers and hubs of England ---------------------------------------------------------------------------------
def test_one_hubs_providers_make_part_of_england_said_with_counts():
    t = measure(rows({"P3": 2, "P4": 2}, YEAR), spec(), Y1718, GEO)
    assert (t.present, t.listed, t.hubs) == (2, 4, 3)
    assert t.hubs_without == ("Hub one", "Hub two")
    england = check([t], GEO.england).warnings()
    assert england == ["**Warning: part of England.** The visits table holds rows of 2017/18 from 2 of the 4 "
                       "providers in params/geography.yaml, none in 2 of the 3 hubs (Hub one, Hub two). England's "
                       "figures on this page, and the England benchmark every provider is compared with, come from "
                       "these alone: they describe part of England, not England."]
    hub = check([t], GEO.get("H3")).warnings()
    assert "The England benchmark on this page" in hub[0] and "not from all of England" in hub[0]


def test_every_hub_present_says_nothing_though_providers_are_fewer():
    # a service that only some providers run (radiotherapy: 50 of 101) is not part of England
    t = measure(rows({"P1": 1, "P2": 1, "P3": 1}, YEAR), spec(), Y1718, GEO)
    assert (t.present, t.hubs_without) == (3, ())
    assert check([t], GEO.england).warnings() == []


def test_rows_outside_the_year_do_not_count_as_present():
    data = pd.concat([rows({"P1": 1}, YEAR), rows({"P2": 1}, months("2016-04", "2017-03"))], ignore_index=True)
    data["visit_id"] = [f"V{i}" for i in range(len(data))]
    t = measure(data, spec(), Y1718, GEO)
    assert t.present == 1 and t.hubs_without == ("Hub two", "Hub three")


def test_an_area_coded_table_counts_commissioning_areas():
    t = measure(rows({"A1": 1}, YEAR, column="area_code"), spec(area=True), Y1718, GEO)
    assert (t.unit, t.present, t.listed) == ("commissioning areas", 1, 3)
    assert t.hubs_without == ("Hub two", "Hub three")


# --- a provider's missing months -----------------------------------------------------------------------------------
def test_a_providers_missing_quarter_is_found_when_its_volume_makes_it_implausible():
    # P1: 10 rows a month but none in October to December: 90 steady rows (no overdispersion) leave some run of 3 of
    # 12 months empty with chance at most 10 x (9/12)^90 = 5.6e-11; for the 3 providers, 1.7e-10, below 1 in 1,000.
    # P2: 1 row a month, the same gap: 10 x (9/12)^9 = 0.75, a quiet quarter.
    gap = [m for m in YEAR if not ("2017-10" <= str(m) <= "2017-12")]
    data = pd.concat([rows({"P1": 10, "P2": 1}, gap), rows({"P3": 1}, YEAR)], ignore_index=True)
    data["visit_id"] = [f"V{i}" for i in range(len(data))]
    t = measure(data, spec(), Y1718, GEO)
    assert t.whole  # P3 has rows every month: the table as a whole is whole
    assert len(t.gaps) == 1
    g = t.gaps[0]
    assert (g.code, [str(m) for m in g.months], g.rows) == ("P1", ["2017-10", "2017-11", "2017-12"], 90)
    warning = check([t], GEO.england).warnings()[0]
    assert "P1 (October to December 2017; 90 rows in its other months)" in warning
    assert "below 1 in 1,000 for the table, by chance" in warning


def test_a_service_opening_in_the_year_is_no_gap():
    late = rows({"P1": 10}, months("2017-07", "2018-03"))
    data = pd.concat([late, rows({"P2": 1}, YEAR)], ignore_index=True)
    data["visit_id"] = [f"V{i}" for i in range(len(data))]
    assert measure(data, spec(), Y1718, GEO).gaps == ()


def test_a_provider_whose_rows_come_in_clusters_is_not_named():
    # 20 rows in some months, 1 in others (a spell's review days): overdispersed, so one empty month is no evidence
    lumpy = [20, 1, 20, 1, 20, 0, 20, 1, 20, 1, 20, 1]
    data = pd.concat([rows({"P1": n}, [m]) for m, n in zip(YEAR, lumpy) if n] + [rows({"P2": 1}, YEAR)],
                     ignore_index=True)
    data["visit_id"] = [f"V{i}" for i in range(len(data))]
    assert measure(data, spec(), Y1718, GEO).gaps == ()
    steady = pd.concat([rows({"P1": 12}, [m for m in YEAR if str(m) != "2017-09"]), rows({"P2": 1}, YEAR)],
                       ignore_index=True)
    steady["visit_id"] = [f"V{i}" for i in range(len(steady))]
    (g,) = measure(steady, spec(), Y1718, GEO).gaps  # 132 steady rows: 12 x (11/12)^132 x 2 = 2.5e-4
    assert g.code == "P1" and month_span(g.months) == "September 2017"


def test_the_last_months_missing_at_a_provider_are_a_gap():
    data = pd.concat([rows({"P1": 20}, months("2017-04", "2017-12")), rows({"P2": 1}, YEAR)], ignore_index=True)
    data["visit_id"] = [f"V{i}" for i in range(len(data))]
    (g,) = measure(data, spec(), Y1718, GEO).gaps
    assert g.code == "P1" and month_span(g.months) == "January to March 2018"


# --- annualised figures --------------------------------------------------------------------------------------------
def result_with(gross: Range, cost: Range) -> SchemeResult:
    component = OpportunityComponent("Drug not given", CASH_RELEASING, NHSE_SPECIALISED, gross, "2017/18",
                                     implementation_cost=cost)
    return SchemeResult(context=None, kpis=[], opportunity=Opportunity((component,)),
                        quantities=[Quantity("Grams saved", "grams", Range(30.0, 60.0, 90.0))], measure=None,
                        tables={}, scenario_table=pd.DataFrame(), caveats=[],
                        data_months=(pd.Timestamp("2017-04-01"), pd.Timestamp("2017-12-01")), area_providers=())


def test_annualised_scales_gross_cost_and_quantities_by_12_over_months():
    nine = [m for m in YEAR if not ("2017-10" <= str(m) <= "2017-12")]
    coverage = check([measure(rows({"P1": 1}, nine), spec(), Y1718, GEO)], GEO.england, annualise=True)
    out = annualised(result_with(Range(900.0, 1800.0, 2700.0), Range(90.0, 90.0, 90.0)), coverage)
    (c,) = out.opportunity.components
    assert c.gross == Range(1200.0, 2400.0, 3600.0)  # 900 x 12/9
    assert c.implementation_cost == Range(120.0, 120.0, 120.0)
    assert out.opportunity_gbp == Range(1080.0, 2280.0, 3480.0)  # net: gross less cost
    assert out.quantities[0].values == Range(40.0, 80.0, 120.0)
    assert "may be understated, never overstated" in coverage.warnings(out)[0]


def test_a_whole_year_is_not_scaled():
    r = result_with(Range(1.0, 2.0, 3.0), Range.zero())
    assert annualised(r, Coverage("2017/18", (), True)) is r


def test_annualising_is_asked_for_by_the_environment(monkeypatch):
    monkeypatch.delenv(ANNUALISE, raising=False)
    assert not annualise_partial_years()
    monkeypatch.setenv(ANNUALISE, "1")
    assert annualise_partial_years()


# --- what `validate` says -------------------------------------------------------------------------------------------
def test_validate_says_what_a_table_covers():
    from ivanalysis.data.coverage import describe

    whole = rows({"P1": 1, "P2": 1, "P3": 1}, months("2016-04", "2018-03"))
    assert describe(whole, spec(), GEO) == ("dates 15 April 2016 to 15 March 2018; whole financial years: 2016/17, "
                                            "2017/18; 2017/18: 3 of the 4 providers, all 3 hubs")
    part = rows({"P3": 1}, [m for m in months("2016-04", "2018-03") if not ("2017-10" <= str(m) <= "2017-12")])
    assert describe(part, spec(), GEO) == (
        "dates 15 April 2016 to 15 March 2018; whole financial years: 2016/17; 2017/18 lacks October to December "
        "2017; 2017/18: 1 of the 4 providers, none in 2 of the 3 hubs (Hub one, Hub two)")
