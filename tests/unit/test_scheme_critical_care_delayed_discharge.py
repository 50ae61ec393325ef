"""Scheme 15, adult critical care delayed discharges: the whole analysis on a small hand-built table.

The arithmetic of delays, bands and the price difference is tested in test_schemes.py; here, what the page says of
the figure: capacity released (not cash) valued at XC07Z less a ward excess bed day, and no benchmark."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.geography import load_geography
from ivanalysis.results import CAPACITY_RELEASED, PROVIDER, Period
from ivanalysis.schemes import critical_care_delayed_discharge as acc
from ivanalysis.schemes import registry

pytestmark = pytest.mark.unit


@pytest.fixture
def result():
    """LON-P01 discharges to a ward after 3 h, 10 h, 28 h and 52 h in May 2017 (and one patient home after 100 h,
    which never counts); LON-P02 one after 2 h in June (two months, for the monthly chart)."""
    ready = pd.Series([pd.Timestamp("2017-05-01 10:00")] * 5 + [pd.Timestamp("2017-06-01 10:00")])
    cc = pd.DataFrame({"provider_code": ["LON-P01"] * 5 + ["LON-P02"], "ready_at": ready,
                       "discharged_at": ready + pd.to_timedelta([3, 10, 28, 52, 100, 2], unit="h"),
                       "destination": ["ward", "ward", "ward", "ward", "home", "ward"]})
    geo = load_geography()
    return registry.analyse_tables("critical_care_delayed_discharge", {"critical_care": cc}, geo.get("LON"),
                                   Period.financial_year("2017/18"), geo)


def test_delayed_days_are_valued_at_xc07z_less_a_ward_excess_bed_day(result):
    # bed days after the 4-hour standard: moderate (delays over 4 h) (6 + 24 + 48) / 24 = 3.25; low (over 24 h, each
    # still counted from the 4-hour point) (24 + 48) / 24 = 3.0.
    # value a day: moderate XC07Z £700 - ward excess bed day £300 = £400; low £600 - £350 = £250; high £800 - £250
    # = £550. Moderate 3.25 x 400 = £1,300; low 3.0 x 250 = £750; high 3.25 x 550 = £1,787.50
    days = result.quantities[0].values
    assert (days.low, days.moderate, days.high) == pytest.approx((3.0, 3.25, 3.25))
    (component,) = result.opportunity.components
    assert (component.gross.low, component.gross.moderate, component.gross.high) == pytest.approx(
        (750, 1_300, 1_787.5))
    prov = result.tables["providers"].frame.set_index("Provider")
    assert prov.loc["LON-P01", "Saving (moderate)"] == pytest.approx(1_300)
    assert prov.loc["LON-P02", "Saving (moderate)"] == 0.0


def test_the_figure_is_capacity_released_for_the_provider_not_cash(result):
    (component,) = result.opportunity.components
    assert (component.kind, component.payer, component.in_totals) == (CAPACITY_RELEASED, PROVIDER, False)
    assert component.note.startswith("Capacity released, not cash")
    assert "XC07Z" in component.note
    assert result.opportunity_gbp.moderate == 0.0  # nothing in the cash headline


def test_the_page_states_this_schemes_method_not_a_benchmark(result):
    assert result.opportunity_note == acc.OPPORTUNITY_NOTE
    assert "no benchmark" in result.opportunity_note
    assert "worse than the benchmark" not in result.opportunity_note


def test_the_scope_label_says_each_delay_is_priced_from_the_4_hour_point(result):
    label = result.params.assumptions["scope_hours"].label
    assert "from the 4-hour point" in label
    assert result.scenario_table.loc[label, "low"] == 24
