"""Scheme 8 on the default synthetic data: the Menu's target and case study, and hubs adding up to England.

The Menu (chapter 8) publishes no national baseline or saving: it sets the target (90% of SACT intravenous
administrations dose-banded with standard products) and cites Leeds Teaching Hospitals saving over 125,000 pounds
in the first six months. The synthetic data assume uptake of about 30%, 45% and 60% over 2015/16 to 2017/18.
"""
from __future__ import annotations

import pytest

from ivanalysis.config import load_scheme_params
from ivanalysis.data.io import load_table
from ivanalysis.geography import load_geography
from ivanalysis.results import Period
from ivanalysis.schemes import chemo_dose_banding as cdb
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

# The module's tables, loaded once, named for the run cache: the national part (every provider in England) is
# computed once for England and the hubs, as a warm kernel does (test_national.py checks that this changes nothing).
KEPT = ("default data, loaded once by", __name__)


@pytest.fixture(scope="module")
def run(default_data):
    """analyse(area, period) on the default data, the table loaded (and validated) once."""
    geo = load_geography()
    tables = {"sact": load_table(default_data, "sact", geo)}
    params = load_scheme_params("chemo_dose_banding", cdb.ASSUMPTIONS)

    def analyse(area: str = "ENG", period: str = params.period):
        return registry.analyse_tables("chemo_dose_banding", tables, geo.get(area), Period.financial_year(period), geo,
                                       params_=params, data_identity=KEPT)
    return analyse


def test_target_is_the_menus_90_percent_and_uptake_rises_towards_it(run):
    r = run()
    kpi = r.kpi("Intravenous administrations dose-banded with standard products")
    assert kpi.target == 0.90 and kpi.met is False
    years = r.tables["years"].frame.set_index("Financial year")["Share dose-banded, standard product"]
    assert years.tolist() == pytest.approx([0.30, 0.45, 0.60], abs=0.01)  # the book's assumed uptake
    # banded doses stay within about 5% of the calculated dose
    assert r.kpi("Dose-banded doses within 5% of the calculated dose").value > 0.98


def test_a_large_provider_saves_like_leeds(run):
    # Leeds: over 125,000 pounds in the first six months, about 250,000 a year. From 2015/16 practice, the largest
    # providers reaching 90% save of that order (moderate scenario).
    r = run(period="2015/16")
    prov = r.tables["providers"].frame.sort_values("Administrations", ascending=False).head(5)
    assert 200_000 < prov["Saving (moderate)"].max() < 400_000
    assert r.opportunity_gbp.moderate > run().opportunity_gbp.moderate  # less is left to gain as uptake rises


def test_national_range_and_hubs_differ(run):
    england = run()
    o = england.opportunity_gbp
    assert 0 < o.low < o.moderate < o.high
    assert 3.0e6 < o.moderate < 5.0e6  # the book's calibration: 2017/18 at 60% uptake
    hubs = [run(h.code) for h in load_geography().hubs()]
    shares = [h.kpi("Intravenous administrations dose-banded with standard products").value for h in hubs]
    assert max(shares) - min(shares) > 0.15  # hubs differ
