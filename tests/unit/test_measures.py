"""The rate measure that schemes share: funnel of every provider, monthly SPC of the area, by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from ivanalysis.geography import load_geography
from ivanalysis.schemes.base import Period, rate_measure

pytestmark = pytest.mark.unit


def test_rate_measure_pools_events_and_exposure():
    geo = load_geography()
    hub = geo.get("LON")
    p1, p2 = hub.providers[:2]
    other = geo.get("NW").providers[0]
    # provider-months: events (DDDs) and exposure (bed days)
    df = pd.DataFrame({
        "provider_code": [p1, p1, p2, p2, other, other],
        "month": pd.to_datetime(["2016-04-01", "2016-05-01"] * 3),
        "ddd": [100.0, 300.0, 50.0, 50.0, 1000.0, 1000.0],
        "bed_days": [1000.0, 1000.0, 500.0, 500.0, 4000.0, 6000.0],
    })
    m = rate_measure(df, events="ddd", exposure="bed_days", date="month", area=hub,
                     period=Period.financial_year("2016/17"), per=1000, name="DDDs per 1,000 occupied bed days",
                     higher_is_better=False, target=None, denominator_label="occupied bed days",
                     value_label="DDDs per 1,000 bed days")
    # England pooled: 2,500 DDDs / 13,000 bed days x 1,000 = 192.3
    assert m.funnel.target == pytest.approx(2500 / 13000 * 1000)
    rates = m.funnel.data.set_index("unit")["rate"]
    assert rates[p1] == pytest.approx(200.0) and rates[p2] == pytest.approx(100.0)
    # London by month: April 150 / 1,500 x 1,000 = 100, May 350 / 1,500 x 1,000 = 233.3
    assert m.trend.data["y"].tolist() == pytest.approx([100.0, 350 / 1.5])
    assert (m.value_format, m.value_label) == ("number", "DDDs per 1,000 bed days")


def test_a_measure_with_no_rows_for_the_area_or_year_is_a_data_error():
    from ivanalysis.errors import DataError
    from ivanalysis.schemes.base import proportion_measure

    geo = load_geography()
    other = geo.get("NW").providers[0]
    df = pd.DataFrame({"provider_code": [other, other], "when": pd.to_datetime(["2016-04-01", "2016-05-01"]),
                       "flag": [True, False]})
    args = dict(flag="flag", date="when", name="n", higher_is_better=True, target=None, denominator_label="episodes")
    with pytest.raises(DataError, match="no episodes for London"):
        proportion_measure(df, area=geo.get("LON"), period=Period.financial_year("2016/17"), **args)
    with pytest.raises(DataError, match="no episodes in 2017/18"):
        proportion_measure(df, area=geo.get("NW"), period=Period.financial_year("2017/18"), **args)
