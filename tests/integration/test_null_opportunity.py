"""The null test of counting beyond chance, small: on synthetic data with no true differences between providers or
areas (`ivanalysis synth --null`), the England opportunity (moderate) of each scheme that counts beyond chance is under
5% of the default data's at the same scale and seeds (bench/null_test.py runs the full version: 20 seeds, every
benchmark scheme). A test at 5% is wrong for about one null seed in 20, so a scheme whose data are quick to make gets
more seeds."""
from __future__ import annotations

import pytest

from ivanalysis.data.synth import GENERATORS
from ivanalysis.data.synth.common import null_data, provider_sizes
from ivanalysis.geography import load_geography
from ivanalysis.schemes import registry

pytestmark = pytest.mark.integration

SEEDS = {"where_to_look": range(1, 4), "virtual_biologics_clinics": range(1, 11),
         "antifungal_stewardship": range(1, 6), "patient_activation": range(1, 6)}
SCALE = 0.1
GOAL = 0.05


def gross_moderate(result) -> float:
    """The gross gap, moderate: every opportunity component's (Where to Look's stands beside the headline), or the
    headline of a result without components."""
    opportunity = getattr(result, "opportunity", None)
    if opportunity is None:
        return float(result.opportunity_gbp.moderate)
    return float(sum(c.gross.moderate for c in opportunity.components))


def england_gap(scheme: str, seed: int, null: bool) -> float:
    geo = load_geography()
    sizes = provider_sizes(geo, seed)
    with null_data(null):
        tables = {t: GENERATORS[t](geo, sizes, seed, SCALE) for t in registry.input_tables(scheme)}
    return gross_moderate(registry.analyse_tables(scheme, tables, geo.england, geography=geo))


@pytest.mark.parametrize("scheme", list(SEEDS))
def test_chance_alone_is_not_counted_as_money(scheme):
    default = [england_gap(scheme, s, False) for s in SEEDS[scheme]]
    null = [england_gap(scheme, s, True) for s in SEEDS[scheme]]
    assert min(default) > 0
    assert sum(null) / sum(default) < GOAL, (default, null)
